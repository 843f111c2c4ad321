#!/usr/bin/env bash
# Everything `make test` checks, in order: cheap static checks first, then the suite on
# PostgreSQL (with the concurrency, browser and API-schema tests), then SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
step() { echo; echo "=== $* ==="; }

step "system packages (PostgreSQL, Chromium, gettext)"
bash scripts/system-deps.sh run test
make -s venv assets
PY=.venv/bin/python
mkdir -p var test-output

step "lint: ruff, formatting, import contracts"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports

step "migrations are complete and named"
DJANGO_SETTINGS_MODULE=config.settings.test $PY manage.py makemigrations --check --dry-run >/dev/null \
  || { echo "Model changes without a migration: run makemigrations --name <what_changed>"; exit 1; }
if ls crm/*/migrations/*_auto_*.py >/dev/null 2>&1; then echo "Auto-named migration found"; exit 1; fi

step "translations compile"
$PY manage.py compilemessages --ignore=.venv -v 0

step "production settings: check --deploy"
CRM_SECRET_KEY="ci-$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" CRM_ADMIN_PASSWORD="not-the-demo-$RANDOM-pass" \
  DJANGO_SETTINGS_MODULE=config.settings.production $PY manage.py check --deploy --fail-level WARNING
if CRM_SECRET_KEY="ci-$(head -c 48 /dev/urandom | base64)" CRM_ADMIN_PASSWORD=admin \
   DJANGO_SETTINGS_MODULE=config.settings.production $PY manage.py check >/dev/null 2>&1; then
  echo "production settings started with the demo password"; exit 1
fi
echo "production settings refuse the demo password: ok"

step "PostgreSQL"
bash scripts/postgres.sh start
export CRM_DB_ENGINE=postgresql CRM_DB_HOST=127.0.0.1 CRM_DB_PORT="${CRM_PG_PORT:-55432}" CRM_DB_USER=postgres

step "test suite on PostgreSQL (services, selectors, API, concurrency, schema)"
.venv/bin/pytest -q -n 2 --dist loadfile -m "not e2e" crm tests/api

step "browser tests (Chromium) on PostgreSQL"
.venv/bin/pytest -q -m e2e tests/e2e

step "test suite on SQLite"
unset CRM_DB_ENGINE CRM_DB_HOST CRM_DB_PORT CRM_DB_USER
.venv/bin/pytest -q -n 2 --dist loadfile -m "not e2e and not postgres" crm tests/api
