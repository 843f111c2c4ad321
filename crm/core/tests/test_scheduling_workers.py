"""Due jobs with several workers on PostgreSQL: SKIP LOCKED claims never block on or share
rows, and two `crm_worker` processes racing over 1,000 due rows handle each exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.utils import timezone

from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_jobs_claim
from crm.core.tests.due_handlers import KIND
from crm.core.tests.support import POSTGRES_ONLY, finish, racing_children, release

pytestmark = [*POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]

ROWS = 1000


def test_claim_skips_rows_another_worker_has_locked():
    # given ten due rows, five of which another worker holds locked in its open transaction
    past = timezone.now() - dt.timedelta(minutes=1)
    jobs = DueJob.objects.bulk_create(DueJob(kind=KIND, due_at=past) for _ in range(10))
    locked, released = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                list(DueJob.objects.select_for_update().filter(pk__in=[j.pk for j in jobs[:5]]))
                locked.set()
                released.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)

        # when this worker claims (it would hang here if it waited for the lock)
        claimed = due_jobs_claim(worker_id="w2")
    finally:
        released.set()
        holder.join(timeout=30)

    # then it got exactly the rows nobody held
    assert sorted(job.pk for job in claimed) == sorted(job.pk for job in jobs[5:])


@pytest.mark.slow
def test_two_worker_processes_handle_each_due_row_exactly_once(tmp_path):
    # given 1,000 due rows whose handler appends the job id to one log file
    log = tmp_path / "handled.log"
    past = timezone.now() - dt.timedelta(minutes=1)
    jobs = DueJob.objects.bulk_create(DueJob(kind=KIND, due_at=past, payload={"path": str(log)}) for _ in range(ROWS))
    ids = {job.pk for job in jobs}

    # when two `manage.py crm_worker --once` processes start at the same moment
    args = [["--once", "--no-tasks", "--batch-size", "25", "--worker-id", name] for name in ("w1", "w2")]
    with racing_children("crm.core.tests.run_worker", args) as workers:
        release(workers)
        for worker in workers:
            finish(worker)

    # then every row was handled exactly once
    handled = [int(line) for line in log.read_text().split()]
    assert [pk for pk, times in Counter(handled).items() if times > 1] == []
    assert set(handled) == ids
    assert len(handled) == ROWS
    # and every row is DONE after one attempt, shared between both workers
    rows = DueJob.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", "attempts").distinct()) == {(DueJob.Status.DONE, 1)}
    assert set(rows.values_list("claimed_by", flat=True).distinct()) == {"w1", "w2"}
