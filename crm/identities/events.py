"""Milestones of an identity that appear in its history tab (as timeline items)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from crm.core.audit.models import AuditEntry
from crm.core.timeline.services import timeline_record

EVENT_ITEM_TYPE = "identities.event"
IMPORT_ITEM_TYPE = "identities.import"  # item id: the ImportJob that created the identity


def identity_event(*, identity_id: int, entry: AuditEntry, summary: str, actor: Any = None) -> None:
    """Put an audited milestone (entry) into the identity's history."""
    timeline_record(
        identity_ids=[identity_id],
        item_type=EVENT_ITEM_TYPE,
        item_id=entry.pk,
        occurred_at=entry.created_at or timezone.now(),
        summary=summary,
        actor=actor,
        extra={"action": entry.action},
    )
