"""One background worker: due-time jobs and outbox messages (both claimed with SKIP LOCKED)
and queued Tasks.

Run as many as you like on as many machines as you like; they share nothing but the
database. `--once` drains what is due now and exits (tests, cron-style setups).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from crm.core.notifications.services import outbox_dispatch_batch
from crm.core.scheduling.services import due_jobs_run_batch, worker_started


class Command(BaseCommand):
    help = "Run the CRM background worker (due jobs and the task queue)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Process what is due now, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to sleep when idle.")
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--worker-id", default="")
        parser.add_argument("--no-tasks", action="store_true", help="Only due jobs, not the task queue.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = options["worker_id"] or f"{socket.gethostname()}:{os.getpid()}"
        self.running = True
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.stdout.write(f"crm worker {worker_id} started")
        worker_started()
        while self.running:
            close_old_connections()
            handled = due_jobs_run_batch(worker_id=worker_id, limit=options["batch_size"])
            handled += outbox_dispatch_batch(worker_id=worker_id, limit=options["batch_size"])
            if not options["no_tasks"]:
                handled += self._run_tasks(worker_id)
            if options["once"] and handled == 0:
                break
            if handled == 0:
                time.sleep(options["interval"])
        self.stdout.write(f"crm worker {worker_id} stopped")

    def _run_tasks(self, worker_id: str) -> int:
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=50,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.run()
        return worker._run_tasks

    def _stop(self, signum: int, frame: Any) -> None:
        self.running = False
