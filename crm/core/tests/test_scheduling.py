"""Due-time jobs: claim only due rows, idempotent scheduling, leases, retries with backoff,
and a worker that lost its lease cannot overwrite the row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crm.core.dictionaries.models import DictionaryEntry
from crm.core.scheduling import services
from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import (
    LEASE,
    due_job_cancel,
    due_job_run,
    due_job_schedule,
    due_jobs_claim,
    due_jobs_run_batch,
)

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def handled(monkeypatch):
    """Registers "test.ok", which records the ids of the jobs it ran."""
    calls: list[int] = []
    monkeypatch.setitem(services._handlers, "test.ok", lambda job: calls.append(job.pk))
    return calls


@pytest.fixture
def failing(monkeypatch):
    """Registers "test.fail", which writes a row and then fails (the row must not stay)."""

    def handler(job: DueJob) -> None:
        DictionaryEntry.objects.create(dictionary="side-effects", code=f"job-{job.pk}-{job.attempts}")
        raise RuntimeError("mail server unreachable")

    monkeypatch.setitem(services._handlers, "test.fail", handler)


def status_of(job: DueJob) -> DueJob:
    job.refresh_from_db()
    return job


# --- claiming --------------------------------------------------------------------------


def test_claim_takes_only_due_pending_rows():
    # given rows that are due, not yet due, and already finished in various ways
    now = timezone.now()
    due = due_job_schedule(kind="test.ok", due_at=now - MINUTE)
    due_job_schedule(kind="test.ok", due_at=now + MINUTE)
    for status in (DueJob.Status.DONE, DueJob.Status.FAILED, DueJob.Status.CANCELLED):
        DueJob.objects.create(kind="test.ok", due_at=now - MINUTE, status=status)

    # when a worker claims
    claimed = due_jobs_claim(worker_id="w1", now=now)

    # then it gets only the due pending row, now RUNNING under its lease
    assert [job.pk for job in claimed] == [due.pk]
    row = status_of(due)
    assert (row.status, row.claimed_by, row.lease_until) == (DueJob.Status.RUNNING, "w1", now + LEASE)
    # and a second worker finds nothing left to take
    assert due_jobs_claim(worker_id="w2", now=now) == []


def test_claim_honours_the_limit_and_takes_the_oldest_first():
    now = timezone.now()
    jobs = [due_job_schedule(kind="test.ok", due_at=now - MINUTE * (10 - i)) for i in range(5)]

    claimed = due_jobs_claim(worker_id="w1", limit=2, now=now)

    assert [job.pk for job in claimed] == [jobs[0].pk, jobs[1].pk]
    assert DueJob.objects.filter(status=DueJob.Status.PENDING).count() == 3


def test_scheduling_twice_with_a_dedupe_key_keeps_one_row():
    # given a reminder scheduled for an activity
    first = due_job_schedule(kind="test.ok", due_at=timezone.now(), payload={"n": 1}, dedupe_key="reminder:42")

    # when the same reminder is scheduled again (e.g. the service ran twice)
    again = due_job_schedule(kind="test.ok", due_at=timezone.now() + MINUTE, payload={"n": 2}, dedupe_key="reminder:42")

    # then the first row is returned and no second one exists
    assert again.pk == first.pk
    assert DueJob.objects.filter(dedupe_key="reminder:42").count() == 1
    assert status_of(first).payload == {"n": 1}


def test_jobs_without_a_dedupe_key_are_not_merged():
    due_job_schedule(kind="test.ok", due_at=timezone.now())
    due_job_schedule(kind="test.ok", due_at=timezone.now())
    assert DueJob.objects.count() == 2


def test_cancel_stops_a_pending_job_but_not_a_running_one():
    now = timezone.now()
    pending = due_job_schedule(kind="test.ok", due_at=now + MINUTE, dedupe_key="later")
    running = due_job_schedule(kind="test.ok", due_at=now - MINUTE, dedupe_key="now")
    due_jobs_claim(worker_id="w1", now=now)

    assert due_job_cancel(dedupe_key="later") == 1
    assert due_job_cancel(dedupe_key="now") == 0
    assert status_of(pending).status == DueJob.Status.CANCELLED
    assert status_of(running).status == DueJob.Status.RUNNING
    # and when the cancelled one would have been due, it is not claimed (the other is still leased)
    assert due_jobs_claim(worker_id="w2", now=now + 2 * MINUTE) == []


# --- running ---------------------------------------------------------------------------


def test_a_batch_runs_due_jobs_once_and_marks_them_done(handled):
    now = timezone.now()
    jobs = [due_job_schedule(kind="test.ok", due_at=now - MINUTE) for _ in range(3)]

    assert due_jobs_run_batch(worker_id="w1") == 3
    assert due_jobs_run_batch(worker_id="w1") == 0

    assert sorted(handled) == sorted(job.pk for job in jobs)
    for job in jobs:
        row = status_of(job)
        assert (row.status, row.attempts) == (DueJob.Status.DONE, 1)
        assert row.finished_at is not None


def test_a_job_of_an_unknown_kind_fails_at_once():
    job = due_job_schedule(kind="test.nobody-handles-this", due_at=timezone.now() - MINUTE)

    due_jobs_run_batch(worker_id="w1")

    row = status_of(job)
    assert row.status == DueJob.Status.FAILED
    assert "no handler" in row.last_error


# --- leases ----------------------------------------------------------------------------


def test_an_expired_lease_lets_another_worker_take_over(handled):
    # given a job claimed by w1, which then died without finishing it
    now = timezone.now()
    job = due_job_schedule(kind="test.ok", due_at=now - MINUTE)
    due_jobs_claim(worker_id="w1", now=now)

    # when w2 looks while the lease still runs, nothing is there for it
    assert due_jobs_claim(worker_id="w2", now=now + LEASE - dt.timedelta(seconds=1)) == []

    # when w2 looks after the lease ran out, it takes the job and runs it
    [taken] = due_jobs_claim(worker_id="w2", now=now + LEASE + dt.timedelta(seconds=1))
    assert taken.pk == job.pk
    assert due_job_run(job=taken, worker_id="w2") is True

    # then the job is done by w2, exactly once
    row = status_of(job)
    assert (row.status, row.claimed_by) == (DueJob.Status.DONE, "w2")
    assert handled == [job.pk]


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_row(handled):
    # given w1 claimed a job, was too slow, and w2 took it over after the lease ran out
    now = timezone.now()
    job = due_job_schedule(kind="test.ok", due_at=now - MINUTE)
    [w1_copy] = due_jobs_claim(worker_id="w1", now=now)
    [w2_copy] = due_jobs_claim(worker_id="w2", now=now + LEASE + dt.timedelta(seconds=1))

    # when w1 finally finishes its (stale) copy
    due_job_run(job=w1_copy, worker_id="w1")

    # then the row still belongs to w2 and is not marked done by w1
    row = status_of(job)
    assert (row.status, row.claimed_by, row.attempts) == (DueJob.Status.RUNNING, "w2", 0)

    # and w2's own result is what counts
    due_job_run(job=w2_copy, worker_id="w2")
    row = status_of(job)
    assert (row.status, row.claimed_by, row.attempts) == (DueJob.Status.DONE, "w2", 1)


def test_a_stale_worker_failure_does_not_reschedule_the_row(failing):
    now = timezone.now()
    job = due_job_schedule(kind="test.fail", due_at=now - MINUTE)
    [w1_copy] = due_jobs_claim(worker_id="w1", now=now)
    due_jobs_claim(worker_id="w2", now=now + LEASE + dt.timedelta(seconds=1))

    due_job_run(job=w1_copy, worker_id="w1")

    row = status_of(job)
    assert (row.status, row.claimed_by, row.attempts, row.last_error) == (DueJob.Status.RUNNING, "w2", 0, "")


# --- retries ---------------------------------------------------------------------------


def test_a_failing_handler_is_retried_with_growing_backoff_then_fails(failing):
    # given a job allowed three attempts whose handler always fails
    job = DueJob.objects.create(kind="test.fail", due_at=timezone.now() - MINUTE, max_attempts=3)
    delays = []

    for attempt in (1, 2):
        # when a worker runs it
        [claimed] = due_jobs_claim(worker_id="w1", now=max(timezone.now(), status_of(job).due_at))
        before = timezone.now()
        assert due_job_run(job=claimed, worker_id="w1") is False
        after = timezone.now()

        # then it goes back to pending, later, with the error kept
        row = status_of(job)
        assert (row.status, row.attempts, row.finished_at) == (DueJob.Status.PENDING, attempt, None)
        assert "mail server unreachable" in row.last_error
        expected = dt.timedelta(seconds=30 * 2**attempt)
        assert before + expected <= row.due_at <= after + expected
        delays.append(expected)
        # and it is not due before its backoff runs out
        assert due_jobs_claim(worker_id="w1", now=row.due_at - dt.timedelta(seconds=1)) == []

    assert delays[1] > delays[0]

    # when the last allowed attempt fails too
    [claimed] = due_jobs_claim(worker_id="w1", now=status_of(job).due_at)
    due_job_run(job=claimed, worker_id="w1")

    # then the job is failed for good and never claimed again
    row = status_of(job)
    assert (row.status, row.attempts) == (DueJob.Status.FAILED, 3)
    assert row.finished_at is not None
    assert due_jobs_claim(worker_id="w1", now=timezone.now() + dt.timedelta(days=1)) == []
    # and the failed attempts left none of their writes behind
    assert not DictionaryEntry.objects.filter(dictionary="side-effects").exists()
