"""A worker process for bench/platform_core.py: registers a no-op handler, drains due jobs."""

import sys

from _setup import django_on_postgres

django_on_postgres()
from crm.core.scheduling.services import due_jobs_run_batch, register_due_handler  # noqa: E402

register_due_handler("bench.noop", lambda job: None)
while due_jobs_run_batch(worker_id=sys.argv[1], limit=500):
    pass
