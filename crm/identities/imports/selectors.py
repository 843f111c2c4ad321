"""Reads of import jobs: a job is seen by the person who started it (and superusers)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from crm.identities.models import ImportJob


def import_jobs_for_user(*, user: Any) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.select_related("category", "created_by")
    if getattr(user, "is_superuser", False):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(created_by=user)


def import_job_get_for_user(*, user: Any, pk: int) -> ImportJob | None:
    return import_jobs_for_user(user=user).filter(pk=pk).first()
