"""Where checked batches are written: inline, or on a second thread with its own database
connection so that PostgreSQL inserts one batch while the next is being checked.

An import is bound by Python on one core (parsing, checking each row with the services'
rules) while the database needs a good share of the other core (a dozen indexes on the
identity table). Written inline, the two take turns; with the writer thread they overlap.
The thread keeps the import's transactions: one per batch (skip bad rows), or one for the
whole file (all or nothing), committed or rolled back when the run ends. The importing
thread never writes identities itself, so its connection stays out of any transaction and
the progress it writes to the job row is visible at once (see progress.py).

The thread is used on PostgreSQL when the import is not already inside a transaction (the
worker, the management command). Inside one (tests, which keep their data uncommitted), or
on SQLite (one writer at a time), batches are written inline.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from crm.identities.imports.rows import Prepared

_COMMIT, _ROLLBACK = object(), object()
Write = Callable[[list[Prepared]], list[int]]


class _RolledBack(Exception):
    pass


def writer_thread_possible(using: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[using]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class InlineWriter:
    """Writes each batch at once, in the caller's connection: a transaction per batch, or a
    savepoint when the caller holds the all-or-nothing transaction (see services)."""

    def __init__(self, write: Write) -> None:
        self.write = write
        self.created: list[int] = []

    def put(self, batch: list[Prepared]) -> None:
        with transaction.atomic():
            self.created += self.write(batch)

    def finish(self, *, commit: bool) -> None:
        """Nothing is pending: every batch was written when it was put."""


class ThreadWriter:
    """Writes batches on a thread of its own, in order, with a short queue in between."""

    def __init__(self, write: Write, *, one_transaction: bool, name: str) -> None:
        self.write, self.one_transaction = write, one_transaction
        self.created: list[int] = []
        self.error: BaseException | None = None
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()

    def put(self, batch: list[Prepared]) -> None:
        while True:
            if not self.thread.is_alive():
                self._raise()
            try:
                self.queue.put(batch, timeout=0.5)
            except queue.Full:
                continue
            return

    def finish(self, *, commit: bool) -> None:
        """Wait for the writes; commit (or roll back) the all-or-nothing transaction."""
        if self.thread.is_alive():
            self.queue.put(_COMMIT if commit else _ROLLBACK)
            self.thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _main(self) -> None:
        try:
            if self.one_transaction:
                with transaction.atomic():
                    self._loop()
            else:
                self._loop()
        except _RolledBack:
            self.created = []
        except BaseException as exc:  # handed to the importing thread
            self.error = exc
            if self.one_transaction:
                self.created = []
        finally:
            connections.close_all()  # this thread's connections only

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is _COMMIT:
                return
            if item is _ROLLBACK:
                raise _RolledBack
            if self.one_transaction:
                self.created += self.write(item)
            else:
                with transaction.atomic():
                    self.created += self.write(item)
