"""How far an import has got, readable by the progress page while the import runs.

The number lives on the job row (`processed_rows`); the page polls that row every second.
The importing thread writes it with a plain UPDATE, which commits at once because that
thread's connection is never inside a transaction while it imports: the identities are
written by the writer thread on a connection of its own (writer.py), which also holds the
all-or-nothing transaction. So on PostgreSQL the page sees the count grow in every mode,
and the job row is never locked by the import's own transaction.

Why not the cache: the deployment's cache is the database cache, which writes through the
importing connection; it would add nothing. When an import runs inside a transaction it
did not open (tests) or writes inline (SQLite: one writer at a time, so no second
connection could write during an all-or-nothing import anyway), the number is kept for the
end of the run, when the job row is saved with the results.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

from crm.identities.models import ImportJob


class ProgressWriter:
    def __init__(self, job_id: int, using: str = DEFAULT_DB_ALIAS) -> None:
        self.job_id = job_id
        self.using = using

    def __call__(self, processed: int) -> None:
        if not connections[self.using].in_atomic_block:
            ImportJob.objects.using(self.using).filter(pk=self.job_id).update(processed_rows=processed)
