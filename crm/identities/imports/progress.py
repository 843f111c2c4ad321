"""How far an import has got, readable by the progress page while the import runs.

The number lives on the job row (`processed_rows`); the page polls that row. Outside a
transaction (dry runs, skip-bad-rows mode, which commits batch by batch) a plain UPDATE
is enough. The all-or-nothing mode runs in one transaction, and on PostgreSQL a row
written inside it stays invisible to the page until commit; so there the number goes
through a second, autocommit connection to the same database, made for this import and
closed after it. The import never writes the job row inside its transaction, so the
second connection has no lock to wait for (and gives up after two seconds if it ever did).

Why not the cache: the deployment's cache is the database cache, which writes through
the import's own connection, so it would be just as invisible. SQLite allows one writer
at a time, so while an all-or-nothing import holds the write lock no other connection
can write anything; there the number appears at commit (SQLite is for development).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from crm.identities.models import ImportJob

logger = logging.getLogger(__name__)


class ProgressWriter:
    def __init__(self, job_id: int, using: str = DEFAULT_DB_ALIAS) -> None:
        self.job_id = job_id
        self.using = using
        self._side: Any = None
        self._side_failed = False

    def __call__(self, processed: int) -> None:
        connection = connections[self.using]
        if not connection.in_atomic_block:
            ImportJob.objects.using(self.using).filter(pk=self.job_id).update(processed_rows=processed)
        elif connection.vendor == "postgresql" and not self._side_failed:
            self._side_write(processed)

    def _side_write(self, processed: int) -> None:
        table = connections[self.using].ops.quote_name(ImportJob._meta.db_table)
        try:
            if self._side is None:
                self._side = connections.create_connection(self.using)
                with self._side.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")
            with self._side.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET processed_rows = %s WHERE id = %s", [processed, self.job_id])  # noqa: S608 - table name from the model
        except DatabaseError:
            logger.warning("import %s: progress not published", self.job_id, exc_info=True)
            self._side_failed = True

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
