"""Background work of the identities context (Django Tasks API; run by `crm_worker`)."""

from __future__ import annotations

from django.tasks import task

from crm.identities.imports.services import identity_import_run
from crm.identities.models import ImportJob


@task()
def identity_import_task(job_id: int) -> None:
    """Run an import job. Idempotent: a job that is no longer pending is left alone."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is not None:
        identity_import_run(job=job)
