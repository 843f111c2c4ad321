"""Imports as the worker runs them on PostgreSQL (nothing uncommitted around them): the
batches are written by a second thread, progress is visible to other sessions while an
all-or-nothing transaction is still open, and the modes keep their promises."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from django.db import connection

from crm.core.tests.support import POSTGRES_ONLY
from crm.identities.imports import progress, rows, services
from crm.identities.models import Identity, ImportJob, Phone

pytestmark = [*POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]


def people(count: int, bad_at: set[int] = frozenset()) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["First Name", "Last Name", "Mobile"])
    writer.writerows([f"First{i}", f"Last{i}", "12" if i in bad_at else f"0912{i:07d}"] for i in range(count))
    return buffer.getvalue().encode()


def start(actor, content: bytes, mode: str) -> ImportJob:
    job = services.import_job_create(actor=actor, content=content, filename="many.csv")
    return services.import_job_configure(actor=actor, job=job, dry_run=False, mode=mode)


def seen_from_another_session(job_id: int) -> tuple[int, int]:
    """(processed_rows of the job, identities) as a page request in another thread sees them."""
    seen: list[tuple[int, int]] = []

    def look() -> None:
        try:
            processed = ImportJob.objects.values_list("processed_rows", flat=True).get(pk=job_id)
            seen.append((processed, Identity.objects.count()))
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(timeout=30)
    return seen[0]


@pytest.fixture
def writer_threads(monkeypatch):
    """Names of the threads that wrote batches."""
    names: list[str] = []
    original = rows.write_batch

    def spy(batch, **kwargs):
        names.append(threading.current_thread().name)
        return original(batch, **kwargs)

    monkeypatch.setattr(services, "write_batch", spy)
    monkeypatch.setattr(services, "BATCH", 200)
    return names


def test_progress_is_visible_while_the_all_or_nothing_transaction_is_open(alice, monkeypatch, writer_threads):
    job = start(alice, people(450), "all")
    observed: list[tuple[int, int]] = []
    original = progress.ProgressWriter.__call__

    def spy(self, processed: int) -> None:
        original(self, processed)
        assert not connection.in_atomic_block  # the importing thread holds no transaction
        observed.append(seen_from_another_session(job.pk))

    monkeypatch.setattr(progress.ProgressWriter, "__call__", spy)
    job = services.identity_import_run(job=job)

    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 450)
    # other sessions saw the count grow, and none of the identities before the commit
    assert observed == [(200, 0), (400, 0), (450, 0)]
    assert Identity.objects.count() == 450
    assert set(writer_threads) == {f"import-{job.pk}"}  # written by the writer thread


def test_all_or_nothing_on_the_writer_thread_keeps_nothing_when_a_late_row_is_bad(alice, writer_threads):
    job = services.identity_import_run(job=start(alice, people(650, bad_at={620}), "all"))

    assert job.status == ImportJob.Status.FAILED
    assert [(p["row"], p["field"]) for p in job.report] == [(622, "mobile")]
    assert len(writer_threads) == 3  # three batches were written before row 622 was seen…
    assert (job.created_count, Identity.all_objects.count(), Phone.objects.count()) == (0, 0, 0)  # …and rolled back


def test_skip_mode_on_the_writer_thread_commits_batch_by_batch(alice, writer_threads):
    job = services.identity_import_run(job=start(alice, people(650, bad_at={3, 620}), "skip"))

    assert (job.status, job.created_count, job.error_count) == (ImportJob.Status.DONE, 648, 2)
    assert Identity.objects.count() == 648
    assert len(writer_threads) == 3  # a batch is written once it has 200 good rows


def test_a_failing_write_stops_the_import_and_keeps_committed_batches(alice, writer_threads, monkeypatch):
    calls = []
    original = rows.write_batch

    def fail_third(batch, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return original(batch, **kwargs)

    monkeypatch.setattr(services, "write_batch", fail_third)
    job = services.identity_import_run(job=start(alice, people(1000), "skip"))

    assert job.status == ImportJob.Status.FAILED
    assert job.report[-1]["message"].startswith("The file could not be read to the end")
    assert job.created_count == Identity.objects.count() == 400  # the first two batches stay

    calls.clear()
    Identity.objects.all().delete()
    job = services.identity_import_run(job=start(alice, people(1000), "all"))
    assert (job.status, job.created_count, Identity.objects.count()) == (ImportJob.Status.FAILED, 0, 0)
