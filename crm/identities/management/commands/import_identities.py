"""python manage.py import_identities FILE [--format csv|xlsx|vcard] [--dry-run] [--mode all|skip]
[--mapping JSON] [--user USERNAME] [--category NAME]

Runs an import in the foreground with the same checks as the web wizard, printing progress
and the report. Exit code 1 when a dry run finds problems or an import fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm.core.errors import ApplicationError
from crm.identities.imports.fields import CUSTOM_PREFIX, FIELD_KEYS
from crm.identities.imports.readers import table_head
from crm.identities.imports.services import identity_import_run, import_job_configure, import_job_create
from crm.identities.models import Category, ImportJob

SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = "Import identities from a CSV, XLSX or vCard file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--format", choices=ImportJob.Format.values, help="Default: from the file name.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")
        parser.add_argument(
            "--mode",
            choices=ImportJob.Mode.values,
            default=ImportJob.Mode.SKIP_BAD,
            help="all: nothing is written if any row is bad; skip: bad rows are left out.",
        )
        parser.add_argument(
            "--mapping",
            help='JSON {"column header or number (1 = first)": "field"}; '
            "default: proposed from the headers. Fields: " + ", ".join(sorted(FIELD_KEYS)) + f", {CUSTOM_PREFIX}<key>",
        )
        parser.add_argument("--user", help="Import as this user (their rights apply); default: system.")
        parser.add_argument("--category", help="Put every imported identity in this category (name).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = self._user(options["user"])
        system = actor is None
        try:
            job = import_job_create(
                actor=actor, content=path.read_bytes(), filename=path.name, fmt=options["format"], system=system
            )
            mapping = self._mapping(job, options["mapping"]) if options["mapping"] else None
            job = import_job_configure(
                actor=actor,
                job=job,
                mapping=mapping,
                mode=options["mode"],
                dry_run=options["dry_run"],
                category=self._category(options["category"]),
                system=system,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self._show_mapping(job)
        job = identity_import_run(job=job, system=system, on_progress=self._progress)
        self._summary(job)
        if job.status == ImportJob.Status.FAILED or (job.dry_run and job.error_count):
            sys.exit(1)

    def _user(self, username: str | None) -> Any:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}")
        return user

    def _category(self, name: str | None) -> Category | None:
        if not name:
            return None
        category = Category.objects.filter(name=name).first()
        if category is None:
            raise CommandError(f"No category {name!r}")
        return category

    def _mapping(self, job: ImportJob, text: str) -> dict[str, str]:
        try:
            given = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--mapping is not JSON: {exc}") from exc
        with job.file.open("rb") as handle:
            headers, _rows = table_head(job.format, handle.read(), rows=0)
        mapping = {}
        for column, field in given.items():
            if str(column) in headers:
                mapping[str(headers.index(str(column)))] = field
            elif str(column).isdigit() and 0 < int(column) <= len(headers):
                mapping[str(int(column) - 1)] = field
            else:
                raise CommandError(f"No column {column!r} in the file")
            if field not in FIELD_KEYS and not field.startswith(CUSTOM_PREFIX):
                raise CommandError(f"Unknown field {field!r}")
        return mapping

    def _show_mapping(self, job: ImportJob) -> None:
        if job.format == ImportJob.Format.VCARD:
            return
        with job.file.open("rb") as handle:
            headers, _rows = table_head(job.format, handle.read(), rows=0)
        self.stdout.write("Column mapping:")
        for index, header in enumerate(headers):
            self.stdout.write(f"  {header or '#' + str(index + 1)} → {job.mapping.get(str(index), '-')}")

    def _progress(self, processed: int, total: int) -> None:
        self.stdout.write(f"  {processed}/{total} rows")

    def _summary(self, job: ImportJob) -> None:
        errors = [p for p in job.report if p.get("level") == "error"]
        warnings = [p for p in job.report if p.get("level") == "warning"]
        for problem in job.report[:SHOWN_PROBLEMS]:
            where = f"row {problem['row']}" + (f", {problem['field']}" if problem.get("field") else "")
            if problem.get("column"):
                where += f" ({problem['column']})"
            self.stdout.write(f"  {problem['level']}: {where}: {problem['message']}")
        if len(job.report) > SHOWN_PROBLEMS:
            self.stdout.write(f"  … and {len(job.report) - SHOWN_PROBLEMS} more")
        verb = "checked" if job.dry_run else "imported"
        self.stdout.write(
            f"{job.get_status_display()}: {job.processed_rows} rows {verb}, {job.created_count} identities created, "
            f"{job.error_count} bad rows ({len(errors)} errors, {len(warnings)} warnings shown in the report)."
        )
