from __future__ import annotations

from collections.abc import Collection

from django.contrib.contenttypes.models import ContentType
from django.db import models

from crm.core.audit.models import AuditEntry


def audit_entries_for(*, target: models.Model, limit: int = 50, hidden: Collection[str] = ()) -> list[AuditEntry]:
    """History of one row, newest first. The caller has already checked it may see `target`.

    `hidden`: field names the reader may not see (field-level rules); their old and new
    values are left out of each entry's changes, so the history does not reveal them.
    """
    ct = ContentType.objects.get_for_model(target, for_concrete_model=False)
    entries = list(AuditEntry.objects.filter(target_type=ct, target_id=str(target.pk)).select_related("actor")[:limit])
    if hidden:
        for entry in entries:
            if isinstance(entry.changes, dict):
                entry.changes = {k: v for k, v in entry.changes.items() if k not in hidden}
    return entries


def audit_entries_by_actor(*, actor_id: int, limit: int = 20) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(actor_id=actor_id).select_related("target_type")[:limit]
