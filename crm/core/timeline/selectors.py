"""Reading histories: one identity's (the profile tab) and everyone's (the CRM history)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from crm.core.timeline.models import TimelineEntry
from crm.core.timeline.registry import item_type_get


def _filter_visible(user: Any, rows: list[TimelineEntry]) -> list[TimelineEntry]:
    """Drop items the user may not see, by each item type's own access rules."""
    if getattr(user, "is_superuser", False):
        return rows
    by_type: dict[str, list[str]] = {}
    for row in rows:
        by_type.setdefault(row.item_type, []).append(row.item_id)
    allowed: dict[str, set[str]] = {}
    for key, ids in by_type.items():
        item_type = item_type_get(key)
        allowed[key] = item_type.visible_ids(user, ids) if item_type else set()
    return [row for row in rows if row.item_id in allowed.get(row.item_type, set())]


def timeline_page(
    *,
    user: Any,
    identity_id: int | None = None,
    item_types: list[str] | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    page: int = 1,
    per_page: int = 25,
) -> dict[str, Any]:
    """A page of history, newest first; the caller has checked the identity is visible."""
    qs: QuerySet[TimelineEntry] = TimelineEntry.objects.filter(hidden=False)
    if identity_id is not None:
        qs = qs.filter(identity_id=identity_id)
    if item_types:
        qs = qs.filter(item_type__in=item_types)
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    start = (page - 1) * per_page
    rows = list(qs.select_related("actor").order_by("-occurred_at", "-id")[start : start + per_page + 1])
    has_next = len(rows) > per_page
    rows = _filter_visible(user, rows[:per_page])
    for row in rows:
        item_type = item_type_get(row.item_type)
        row.type_label = item_type.label if item_type else row.item_type  # type: ignore[attr-defined]
        row.icon = item_type.icon if item_type else "bi-dot"  # type: ignore[attr-defined]
        row.url = item_type.url(row.item_id) if item_type else None  # type: ignore[attr-defined]
    return {"rows": rows, "page_number": page, "has_next": has_next}


def timeline_count(*, identity_id: int) -> int:
    """How many items an identity's history shows (an index-only count)."""
    return TimelineEntry.objects.filter(identity_id=identity_id, hidden=False).count()
