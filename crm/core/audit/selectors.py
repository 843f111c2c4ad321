from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from crm.core.audit.models import AuditEntry


def audit_entries_for(*, target: models.Model, limit: int = 50) -> models.QuerySet[AuditEntry]:
    """History of one row, newest first. The caller has already checked it may see `target`."""
    ct = ContentType.objects.get_for_model(target, for_concrete_model=False)
    return AuditEntry.objects.filter(target_type=ct, target_id=str(target.pk)).select_related("actor")[:limit]


def audit_entries_by_actor(*, actor_id: int, limit: int = 20) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(actor_id=actor_id).select_related("target_type")[:limit]
