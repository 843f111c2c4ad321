"""Import jobs (ID-9): upload, mapping and options, start (as a background task), run.

`identity_import_run` checks every row with identity_create's rules (rows.py) and
writes good rows in batches of BATCH: one COPY (PostgreSQL) or INSERT per table per batch,
one history item per imported identity, and one audit entry for the whole job. On
PostgreSQL the batches are written by a second thread while the next ones are checked
(writer.py). Modes:
dry run (nothing written, full report), all or nothing (one transaction; any bad row and
nothing is kept), skip bad rows (each batch commits; bad rows are reported).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.core.audit.services import audit_record
from crm.core.customfields.selectors import custom_field_definitions
from crm.core.errors import ApplicationError, PermissionDeniedError
from crm.core.i18n.search import normalize_compact
from crm.core.permissions.access import require_fields_writable, require_perm
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.imports.fields import CUSTOM_PREFIX, FIELD_KEYS, propose_mapping
from crm.identities.imports.progress import ProgressWriter
from crm.identities.imports.readers import check_content, count_rows, detect_format, source_rows, table_head
from crm.identities.imports.rows import Prepared, RowChecker, write_batch
from crm.identities.imports.writer import InlineWriter, ThreadWriter, writer_thread_possible
from crm.identities.models import Category, Identity, ImportJob
from crm.identities.selectors import categories_for_user
from crm.identities.services import SCALAR_FIELDS

logger = logging.getLogger(__name__)
BATCH = 1000  # rows checked against the database and written together
PROGRESS_EVERY = 200  # rows between two progress updates
MAX_REPORT = 5000  # report entries kept on the job; counts stay exact beyond that
IMPORT_PERMS = ("identities.import_identity", "identities.add_identity")


def _require_import(actor: Any) -> None:
    for perm in IMPORT_PERMS:
        require_perm(actor, perm)


def import_job_create(
    *, actor: Any, content: bytes, filename: str, fmt: str | None = None, system: bool = False
) -> ImportJob:
    """Store an uploaded file as a new import job and propose a column mapping."""
    if not system:
        _require_import(actor)
    fmt = fmt or detect_format(filename)
    if fmt not in ImportJob.Format.values:
        raise IdentityError(IdentityErrorCode.IMPORT_UNKNOWN_FORMAT)
    limit = settings.CRM_UPLOAD_MAX_BYTES
    if len(content) > limit:
        raise IdentityError(IdentityErrorCode.IMPORT_FILE_TOO_LARGE, limit=f"{limit / 1024 / 1024:g}")
    check_content(fmt, content)
    job = ImportJob(
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        original_name=Path(filename).name[:255],
        format=fmt,
    )
    if fmt != ImportJob.Format.VCARD:
        try:
            headers, _rows = table_head(fmt, content, rows=0)
        except Exception as exc:  # any parser failure means "not a readable file"
            raise IdentityError(IdentityErrorCode.IMPORT_BAD_FILE, format=fmt) from exc
        job.mapping = propose_mapping(headers, custom_field_definitions(model=Identity))
    job.file.save(f"{uuid.uuid4().hex}.{fmt}", ContentFile(content), save=False)
    job.save()
    return job


def _check_mapping(mapping: dict[str, str]) -> dict[str, str]:
    keys = {CUSTOM_PREFIX + d.key for d in custom_field_definitions(model=Identity)} | FIELD_KEYS
    return {str(column): field for column, field in mapping.items() if field in keys and str(column).isdigit()}


@transaction.atomic
def import_job_configure(
    *,
    actor: Any,
    job: ImportJob,
    mapping: dict[str, str] | None = None,
    mode: str | None = None,
    dry_run: bool | None = None,
    category: Category | None = None,
    system: bool = False,
) -> ImportJob:
    """Mapping and options of a job that has not started yet."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not system:
        _require_import(actor)
    if job.status != ImportJob.Status.PENDING:
        raise IdentityError(IdentityErrorCode.IMPORT_NOT_PENDING)
    if category is not None and not system and not categories_for_user(user=actor).filter(pk=category.pk).exists():
        raise PermissionDeniedError()
    if mapping is not None:
        job.mapping = _check_mapping(mapping)
    if mode is not None:
        job.mode = mode if mode in ImportJob.Mode.values else ImportJob.Mode.SKIP_BAD
    if dry_run is not None:
        job.dry_run = dry_run
    job.category = category
    job.save(update_fields=["mapping", "mode", "dry_run", "category"])
    return job


def import_job_start(*, actor: Any, job: ImportJob) -> ImportJob:
    """Queue the job for the worker once the surrounding transaction commits."""
    _require_import(actor)
    if job.status != ImportJob.Status.PENDING:
        raise IdentityError(IdentityErrorCode.IMPORT_NOT_PENDING)
    from crm.identities.tasks import identity_import_task

    transaction.on_commit(lambda: identity_import_task.enqueue(job.pk))
    return job


@transaction.atomic
def import_job_rerun(*, actor: Any, job: ImportJob) -> ImportJob:
    """'Run for real' after a finished dry run: a new job with the same file and settings."""
    _require_import(actor)
    skip_mode = job.mode == ImportJob.Mode.SKIP_BAD
    if not job.dry_run or job.status != ImportJob.Status.DONE or (job.error_count and not skip_mode):
        raise IdentityError(IdentityErrorCode.IMPORT_NOT_RERUNNABLE)
    real = ImportJob.objects.create(
        created_by=actor,
        file=job.file.name,
        original_name=job.original_name,
        format=job.format,
        mapping=job.mapping,
        mode=job.mode,
        dry_run=False,
        category=job.category,
    )
    return import_job_start(actor=actor, job=real)


# --- the run -------------------------------------------------------------------------


class _RollBack(Exception):
    """All-or-nothing mode found a bad row: leave the transaction without keeping anything."""


class _Run:
    def __init__(self, job: ImportJob, actor: Any, progress: Callable[[int], None]) -> None:
        self.job, self.actor, self.progress = job, actor, progress
        self.report: list[dict[str, Any]] = []
        self.bad_rows: set[int] = set()
        self.created: list[int] = []
        self.processed = 0
        self.summary = job.original_name or f"import #{job.pk}"
        self.writer: InlineWriter | ThreadWriter = InlineWriter(self._write)
        definitions = custom_field_definitions(model=Identity)
        self.checker = RowChecker(
            actor=actor,
            source=f"import #{job.pk}",
            definitions=definitions,
            categories=self._categories(),
            default_category_id=job.category_id,
        )

    def _categories(self) -> dict[str, int]:
        qs = categories_for_user(user=self.actor) if self.actor is not None else Category.objects.all()
        return {normalize_compact(name): pk for pk, name in qs.order_by("-path").values_list("pk", "name")}

    def _note(self, problems: list[dict[str, Any]]) -> None:
        for problem in problems:
            if problem["level"] == "error":
                self.bad_rows.add(problem["row"])
            if len(self.report) < MAX_REPORT:
                self.report.append(problem)

    def go(self, data: bytes, *, write: bool, all_or_nothing: bool = False) -> None:
        batch: list[Prepared] = []
        for src in source_rows(self.job.format, data, self.job.mapping):
            prepared, problems = self.checker.check(src)
            self._note(problems)
            if prepared is not None:
                batch.append(prepared)
            self.processed += 1
            if self.processed % PROGRESS_EVERY == 0:
                if len(batch) >= BATCH:
                    self._flush(batch, write=write, all_or_nothing=all_or_nothing)
                    batch = []
                self.progress(self.processed)
        self._flush(batch, write=write, all_or_nothing=all_or_nothing)
        self.progress(self.processed)

    def _flush(self, batch: list[Prepared], *, write: bool, all_or_nothing: bool) -> None:
        self._note(self.checker.check_batch(batch))
        if write and batch and not (all_or_nothing and self.bad_rows):  # all or nothing: stop writing
            self.writer.put(batch)

    def _write(self, batch: list[Prepared]) -> list[int]:
        return write_batch(batch, actor=self.actor, job_id=self.job.pk, summary=self.summary)

    def import_rows(self, data: bytes, *, all_or_nothing: bool) -> None:
        """Check and write. All or nothing: one transaction, rolled back if any row is bad."""
        if writer_thread_possible():
            self.writer = ThreadWriter(self._write, one_transaction=all_or_nothing, name=f"import-{self.job.pk}")
            self._go_and_finish(data, all_or_nothing=all_or_nothing)
        elif all_or_nothing:
            self.writer = InlineWriter(self._write)
            try:
                with transaction.atomic():
                    self._go_and_finish(data, all_or_nothing=True)
                    if self.bad_rows:
                        raise _RollBack
            except _RollBack:
                self.created = []
        else:
            self._go_and_finish(data, all_or_nothing=False)

    def _go_and_finish(self, data: bytes, *, all_or_nothing: bool) -> None:
        try:
            self.go(data, write=True, all_or_nothing=all_or_nothing)
        except Exception:
            with contextlib.suppress(Exception):  # the first error is the one to report
                self.writer.finish(commit=not all_or_nothing)
            self.created = self.writer.created
            raise
        try:
            self.writer.finish(commit=not (all_or_nothing and self.bad_rows))
        finally:
            self.created = self.writer.created


def _check_rights(job: ImportJob, actor: Any) -> None:
    """The rights identity_create asks for, plus giving customer numbers when a column has them."""
    _require_import(actor)
    fields = {"last_name" if f == "full_name" else f for f in job.mapping.values() if f}
    if "customer_number" in fields:
        require_perm(actor, "identities.assign_customer_number")
    require_fields_writable(actor, Identity, {f for f in fields if f in SCALAR_FIELDS or f.startswith(CUSTOM_PREFIX)})


def _ranges(ids: list[int]) -> list[list[int]]:
    """[1, 2, 3, 7, 8] → [[1, 3], [7, 8]]: bulk inserts give runs of consecutive ids."""
    ranges: list[list[int]] = []
    for pk in sorted(ids):
        if ranges and pk == ranges[-1][1] + 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ranges


def identity_import_run(
    *, job: ImportJob, system: bool = False, on_progress: Callable[[int, int], None] | None = None
) -> ImportJob:
    """Run a pending job (idempotent: a job someone else already took is left alone).

    The actor is the job's creator; `system` (the management command without --user)
    runs without one.
    """
    now = timezone.now()
    if not ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, processed_rows=0, created_count=0, error_count=0, report=[]
    ):
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    actor = job.created_by
    publish = ProgressWriter(job.pk)

    def progress(processed: int) -> None:
        publish(processed)
        if on_progress is not None:
            on_progress(processed, job.total_rows)

    language = getattr(actor, "language", "")  # the report speaks the language of whoever started it
    with translation.override(language) if language else contextlib.nullcontext():
        run = _run(job, actor, system=system, progress=progress)
    _finish(job, run, actor, started=now)
    return job


def _run(job: ImportJob, actor: Any, *, system: bool, progress: Callable[[int], None]) -> _Run | None:
    run: _Run | None = None
    try:
        if not system:
            if actor is None:
                raise PermissionDeniedError()
            _check_rights(job, actor)
        with job.file.open("rb") as handle:
            data = handle.read()
        job.total_rows = count_rows(job.format, data)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
        run = _Run(job, actor, progress)
        _execute(run, job, data)
    except ApplicationError as exc:
        _fail(job, run, exc.message)
    except Exception:
        logger.exception("import %s failed", job.pk)
        _fail(job, run, _("The file could not be read to the end; nothing more was imported."))
    return run


def _execute(run: _Run, job: ImportJob, data: bytes) -> None:
    all_or_nothing = job.mode == ImportJob.Mode.ALL_OR_NOTHING
    if job.dry_run:
        run.go(data, write=False)
    else:
        run.import_rows(data, all_or_nothing=all_or_nothing)
    job.status = ImportJob.Status.DONE
    if run.bad_rows and all_or_nothing and not job.dry_run:
        job.status = ImportJob.Status.FAILED


def _fail(job: ImportJob, run: _Run | None, message: str) -> None:
    job.status = ImportJob.Status.FAILED
    if run is not None and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
        run.created = []  # the transaction was rolled back
    entry = {"row": run.processed + 1 if run else 0, "field": "", "column": "", "message": message, "level": "error"}
    if run is None:
        job.report = [entry]
    else:
        run.report.append(entry)


def _finish(job: ImportJob, run: _Run | None, actor: Any, *, started: Any) -> None:
    if run is not None:
        job.processed_rows, job.report = run.processed, sorted(run.report, key=lambda p: p["row"])
        job.created_count, job.error_count = len(run.created), len(run.bad_rows)
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "error_count",
            "report",
            "finished_at",
        ]
    )
    if run is not None and run.created:
        audit_record(
            actor=actor,
            target=job,
            action="identity.imported",
            changes={
                "file": job.original_name,
                "mode": job.mode,
                "rows": job.processed_rows,
                "created": len(run.created),
                "skipped_rows": job.error_count,
                "identity_id_ranges": _ranges(run.created),
                "seconds": round((job.finished_at - started).total_seconds(), 1),
            },
        )
