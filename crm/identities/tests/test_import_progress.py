"""Progress of an all-or-nothing import is visible to other sessions while its transaction
is still open (PostgreSQL: the progress goes through a second connection)."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from django.db import connection

from crm.core.tests.support import POSTGRES_ONLY
from crm.identities.imports import progress, services
from crm.identities.models import Identity, ImportJob

pytestmark = [*POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]


def read_from_another_session(job_id: int) -> tuple[int, int]:
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


def test_progress_is_visible_during_the_all_or_nothing_transaction(alice, monkeypatch):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["First Name", "Last Name", "Mobile"])
    writer.writerows([f"First{i}", f"Last{i}", f"0912{i:07d}"] for i in range(450))
    job = services.import_job_create(actor=alice, content=buffer.getvalue().encode(), filename="many.csv")
    job = services.import_job_configure(actor=alice, job=job, dry_run=False, mode=ImportJob.Mode.ALL_OR_NOTHING)

    observed: list[tuple[int, int]] = []
    original = progress.ProgressWriter.__call__

    def spy(self, processed: int) -> None:
        original(self, processed)
        assert connection.in_atomic_block  # still inside the import's transaction
        observed.append(read_from_another_session(job.pk))

    monkeypatch.setattr(progress.ProgressWriter, "__call__", spy)
    job = services.identity_import_run(job=job)

    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 450)
    # other sessions saw the count grow batch by batch, and none of the rows before commit
    assert observed == [(200, 0), (400, 0), (450, 0)]
    assert Identity.objects.count() == 450
