"""Due jobs of messaging run by `crm_worker`: the daily occasion run.

One due job per day (kind "messaging.occasions", dedupe key per date) runs every active
occasion for that date shortly after midnight; the messages themselves are queued for each
occasion's hour. The job schedules the next day's job first, so a failing run does not stop
the chain. Saving an occasion (and loading the demo) makes sure a job is pending; a worker
that was down for days runs only yesterday's and today's — older greetings would be late."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_handler, due_job_schedule, on_worker_start

OCCASIONS_JOB = "messaging.occasions"
RUN_AT = dt.time(0, 5)
CATCH_UP_DAYS = 1


def _local_today() -> dt.date:
    return timezone.localdate()


def occasions_daily_schedule(*, on: dt.date) -> DueJob:
    due_at = timezone.make_aware(dt.datetime.combine(on, RUN_AT), timezone.get_default_timezone())
    return due_job_schedule(
        kind=OCCASIONS_JOB, due_at=due_at, payload={"on": on.isoformat()}, dedupe_key=f"{OCCASIONS_JOB}:{on}"
    )


@on_worker_start
def occasions_daily_ensure() -> DueJob | None:
    """Schedule today's run (or tomorrow's, once today's is done) if none is pending."""
    pending = DueJob.objects.filter(kind=OCCASIONS_JOB, status__in=[DueJob.Status.PENDING, DueJob.Status.RUNNING])
    if pending.exists():
        return None
    today = _local_today()
    done_today = DueJob.objects.filter(dedupe_key=f"{OCCASIONS_JOB}:{today}").exists()
    return occasions_daily_schedule(on=today + dt.timedelta(days=1) if done_today else today)


@due_handler(OCCASIONS_JOB)
def _run(job: DueJob) -> None:
    from crm.messaging.occasions import occasions_run

    on = dt.date.fromisoformat(job.payload.get("on") or _local_today().isoformat())
    today = _local_today()
    occasions_daily_schedule(on=max(on + dt.timedelta(days=1), today))
    if on >= today - dt.timedelta(days=CATCH_UP_DAYS):
        occasions_run(on=on)
