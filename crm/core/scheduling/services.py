"""Due-time work: schedule rows, claim them safely from many workers, run their handlers."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crm.core.scheduling.leases import claim_leased
from crm.core.scheduling.models import DueJob

logger = logging.getLogger(__name__)
Handler = Callable[[DueJob], None]
BatchHandler = Callable[[list[DueJob]], None]
_handlers: dict[str, Handler] = {}
_batch_handlers: dict[str, BatchHandler] = {}
LEASE = dt.timedelta(minutes=5)


def register_due_handler(kind: str, handler: Handler) -> None:
    _handlers[kind] = handler


def due_handler(kind: str) -> Callable[[Handler], Handler]:
    def decorate(fn: Handler) -> Handler:
        register_due_handler(kind, fn)
        return fn

    return decorate


_startup: list[Callable[[], Any]] = []


def on_worker_start(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Run when a worker starts: contexts make sure their recurring jobs exist (the daily
    occasion run, the periodic mail fetch) even if nothing scheduled them since a deploy.
    Must be idempotent: many workers start."""
    _startup.append(fn)
    return fn


def worker_started() -> None:
    for fn in _startup:
        try:
            with transaction.atomic():
                fn()
        except Exception:
            logger.exception("worker start hook %s failed", getattr(fn, "__name__", fn))


def due_batch_handler(kind: str) -> Callable[[BatchHandler], BatchHandler]:
    """A handler that takes all the claimed jobs of its kind at once (thousands of reminders
    due in the same minute): one transaction and a few statements per batch instead of per
    job. It must be idempotent like any handler; if it raises, the jobs run one by one
    through the per-job handler, which must also be registered."""

    def decorate(fn: BatchHandler) -> BatchHandler:
        _batch_handlers[kind] = fn
        return fn

    return decorate


def due_job_schedule(
    *, kind: str, due_at: dt.datetime, payload: dict[str, Any] | None = None, dedupe_key: str | None = None
) -> DueJob:
    """Schedule work; with a dedupe_key, scheduling the same thing twice returns the first row."""
    if dedupe_key:
        existing = DueJob.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
        try:
            with transaction.atomic():
                return DueJob.objects.create(kind=kind, due_at=due_at, payload=payload or {}, dedupe_key=dedupe_key)
        except IntegrityError:
            return DueJob.objects.get(dedupe_key=dedupe_key)
    return DueJob.objects.create(kind=kind, due_at=due_at, payload=payload or {})


def due_job_cancel(*, dedupe_key: str) -> int:
    return DueJob.objects.filter(dedupe_key=dedupe_key, status=DueJob.Status.PENDING).update(
        status=DueJob.Status.CANCELLED, finished_at=timezone.now()
    )


def due_jobs_claim(*, worker_id: str, limit: int = 100, now: dt.datetime | None = None) -> list[DueJob]:
    """Atomically take up to `limit` due rows for this worker (skip rows others hold)."""
    return claim_leased(
        DueJob,
        worker_id=worker_id,
        limit=limit,
        now=now or timezone.now(),
        lease=LEASE,
        pending=DueJob.Status.PENDING,
        running=DueJob.Status.RUNNING,
    )


def _finish(job: DueJob, worker_id: str, **values: Any) -> None:
    # Only the holder of the lease may finish the row: a worker that lost its lease
    # (it was too slow and another worker took over) does not overwrite the result.
    DueJob.objects.filter(pk=job.pk, claimed_by=worker_id, status=DueJob.Status.RUNNING).update(**values)


def due_job_run(*, job: DueJob, worker_id: str) -> bool:
    handler = _handlers.get(job.kind)
    now = timezone.now()
    if handler is None:
        _finish(job, worker_id, status=DueJob.Status.FAILED, finished_at=now, last_error=f"no handler for {job.kind}")
        return False
    try:
        with transaction.atomic():
            handler(job)
            _finish(job, worker_id, status=DueJob.Status.DONE, finished_at=timezone.now(), attempts=job.attempts + 1)
        return True
    except Exception:
        logger.exception("due job %s failed", job.pk)
        attempts = job.attempts + 1
        retry = attempts < job.max_attempts
        _finish(
            job,
            worker_id,
            status=DueJob.Status.PENDING if retry else DueJob.Status.FAILED,
            attempts=attempts,
            due_at=now + dt.timedelta(seconds=30 * 2**attempts) if retry else job.due_at,
            finished_at=None if retry else now,
            last_error=traceback.format_exc()[-4000:],
        )
        return False


def _run_as_batch(kind: str, jobs: list[DueJob], worker_id: str) -> bool:
    try:
        with transaction.atomic():
            _batch_handlers[kind](jobs)
            DueJob.objects.filter(
                pk__in=[job.pk for job in jobs], claimed_by=worker_id, status=DueJob.Status.RUNNING
            ).update(status=DueJob.Status.DONE, finished_at=timezone.now(), attempts=F("attempts") + 1)
        return True
    except Exception:
        logger.exception("batch of %s %s jobs failed; running them one by one", len(jobs), kind)
        return False


def due_jobs_run_batch(*, worker_id: str, limit: int = 100) -> int:
    jobs = due_jobs_claim(worker_id=worker_id, limit=limit)
    by_kind: dict[str, list[DueJob]] = {}
    for job in jobs:
        by_kind.setdefault(job.kind, []).append(job)
    for kind, group in by_kind.items():
        if kind in _batch_handlers and len(group) > 1 and _run_as_batch(kind, group, worker_id):
            continue
        for job in group:
            due_job_run(job=job, worker_id=worker_id)
    return len(jobs)
