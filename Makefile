# Two commands: `make run` serves the demo CRM, `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test setup venv assets demo worker lint format messages bench clean

run: setup demo ## serve the CRM with demo data on http://127.0.0.1:8000 plus one worker
	@echo ""
	@echo "  Open CRM on http://$(HOST):$(PORT)/  —  demo login: admin / $${CRM_ADMIN_PASSWORD:-admin}"
	@echo "  (other demo users: office, sales, sara, nazanin, olena, james … with the same password)"
	@echo ""
	@CRM_PUBLIC_URL=http://$(HOST):$(PORT) bash scripts/kannel.sh start \
	  || echo "  (Kannel did not start: SMS stay queued; see var/kannel/*.log)"
	@bash scripts/mail.sh start >/dev/null || echo "  (Dovecot did not start: the demo mailbox cannot fetch mail)"
	@trap 'bash scripts/kannel.sh stop >/dev/null 2>&1; bash scripts/mail.sh stop >/dev/null 2>&1; kill 0' EXIT INT TERM; \
	  $(PY) -m aiosmtpd -n -l 127.0.0.1:$${CRM_SMTP_PORT:-1025} -c aiosmtpd.handlers.Sink & \
	  $(PY) manage.py crm_worker & \
	  $(PY) manage.py runserver $(HOST):$(PORT) --noreload

test: ## install what the tests need and run the whole suite (PostgreSQL + SQLite + browser)
	@bash scripts/test.sh

setup: venv assets
	@mkdir -p var
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py createcachetable

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.lock scripts/find-python.sh
	@bash scripts/system-deps.sh run
	@test -x $(PY) || "$$(bash scripts/find-python.sh)" -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.lock
	@touch $@

assets: frontend/dist/.built
frontend/dist/.built: frontend/package.json frontend/package-lock.json frontend/build.mjs $(shell find frontend/src -type f 2>/dev/null)
	cd frontend && IBM_TELEMETRY_DISABLED=true npm ci --no-audit --no-fund --loglevel=error && npm run build --silent
	@touch $@

demo: setup
	$(PY) manage.py load_demo

worker: setup
	$(PY) manage.py crm_worker

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: venv ## refresh the fa/uk catalogues after changing strings, then compile them
	$(PY) manage.py makemessages -l fa -l uk --no-obsolete --ignore=.venv --ignore=frontend --ignore=var --ignore=tests --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv

bench: setup
	@echo "Benchmarks live in bench/; see bench/README.md"

clean:
	rm -rf var/crm.sqlite3* var/static frontend/dist
