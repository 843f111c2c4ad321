"""Reading histories: one identity's (the profile tab) and everyone's (the CRM history)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from crm.core.timeline.models import HistoryItem, TimelineEntry
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


def crm_history_page(
    *,
    user: Any,
    item_types: list[str] | None = None,
    actor_ids: list[int] | None = None,
    identity_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before: tuple[dt.datetime, int] | None = None,
    per_page: int = 25,
) -> dict[str, Any]:
    """The global CRM history (AC-9): every item the user may see, newest first.

    Paged by cursor (the last row's time and id), since rows the user may not see are
    dropped after reading: the loop reads on until a page is full, so a user who sees
    little still gets full pages.
    """
    qs: QuerySet[HistoryItem] = HistoryItem.objects.filter(hidden=False)
    if item_types:
        qs = qs.filter(item_type__in=item_types)
    if actor_ids:
        qs = qs.filter(actor_id__in=actor_ids)
    if identity_id is not None:
        linked = TimelineEntry.objects.filter(
            identity_id=identity_id, item_type=OuterRef("item_type"), item_id=OuterRef("item_id")
        )
        qs = qs.filter(Exists(linked))
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    qs = qs.select_related("actor").order_by("-occurred_at", "-id")
    shown: list[HistoryItem] = []
    cursor = before
    exhausted = False
    for _round in range(6):
        chunk_qs = qs
        if cursor:
            at, pk = cursor
            chunk_qs = chunk_qs.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=pk))
        chunk = list(chunk_qs[: per_page * 2])
        if len(chunk) < per_page * 2:
            exhausted = True
        if not chunk:
            break
        cursor = (chunk[-1].occurred_at, chunk[-1].pk)
        for row in _filter_visible(user, chunk):  # type: ignore[arg-type]
            shown.append(row)
            if len(shown) == per_page:
                cursor = (row.occurred_at, row.pk)
                break
        if len(shown) >= per_page or exhausted:
            break
    for row in shown:
        item_type = item_type_get(row.item_type)
        row.type_label = item_type.label if item_type else row.item_type  # type: ignore[attr-defined]
        row.icon = item_type.icon if item_type else "bi-dot"  # type: ignore[attr-defined]
        row.url = item_type.url(row.item_id) if item_type else None  # type: ignore[attr-defined]
    # a full page may be the last one; the next request then shows an empty page, which
    # costs one cheap query and keeps the cursor honest
    has_next = len(shown) == per_page
    return {"rows": shown, "next": cursor if has_next else None}
