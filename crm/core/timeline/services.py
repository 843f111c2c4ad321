"""Keeping identity histories in step with CRM items. Called by the items' services,
inside their transactions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from crm.core.bulk import bulk_insert_rows
from crm.core.timeline.models import HistoryItem, TimelineEntry


@transaction.atomic
def timeline_record(
    *,
    identity_ids: Iterable[int],
    item_type: str,
    item_id: str | int,
    occurred_at: dt.datetime,
    summary: str,
    actor: Any = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Put an item in these identities' histories (and take it out of others'), and in
    the global CRM history (also items linked to no identity)."""
    ids = set(identity_ids)
    key = str(item_id)
    TimelineEntry.objects.filter(item_type=item_type, item_id=key).exclude(identity_id__in=ids).delete()
    user = actor if getattr(actor, "is_authenticated", False) else None
    HistoryItem.objects.update_or_create(
        item_type=item_type,
        item_id=key,
        defaults={"occurred_at": occurred_at, "summary": summary[:300], "actor": user, "hidden": False},
    )
    for identity_id in ids:
        TimelineEntry.objects.update_or_create(
            identity_id=identity_id,
            item_type=item_type,
            item_id=key,
            defaults={
                "occurred_at": occurred_at,
                "summary": summary[:300],
                "actor": user,
                "extra": extra or {},
                "hidden": False,
            },
        )


def timeline_record_new(
    *,
    item_type: str,
    items: Iterable[tuple[int, str | int, dt.datetime, str, dict[str, Any]]],
    actor: Any = None,
    global_history: bool = True,
) -> None:
    """Bulk `timeline_record` for items that are new, so nothing needs replacing (imports).

    items: (identity_id, item_id, occurred_at, summary, extra). `global_history=False`
    leaves them out of the CRM history (each recipient's copy of a bulk send: the send
    itself is the item there) while they stay in each identity's history.
    """
    user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    items = list(items)
    bulk_insert_rows(
        TimelineEntry,
        [
            {
                "identity_id": identity_id,
                "item_type": item_type,
                "item_id": str(item_id),
                "occurred_at": occurred_at,
                "summary": summary[:300],
                "actor_id": user_id,
                "extra": extra or {},
            }
            for identity_id, item_id, occurred_at, summary, extra in items
        ],
    )
    if not global_history:
        return
    # items linked to many identities (an import job) may already have their one row
    seen: set[str] = set(
        HistoryItem.objects.filter(item_type=item_type, item_id__in={str(item[1]) for item in items}).values_list(
            "item_id", flat=True
        )
    )
    history_rows = []
    for _identity_id, item_id, occurred_at, summary, _extra in items:
        if str(item_id) not in seen:
            seen.add(str(item_id))
            history_rows.append(
                {
                    "item_type": item_type,
                    "item_id": str(item_id),
                    "occurred_at": occurred_at,
                    "summary": summary[:300],
                    "actor_id": user_id,
                    "hidden": False,
                }
            )
    bulk_insert_rows(HistoryItem, history_rows)


def timeline_hide(*, item_type: str, item_id: str | int, hidden: bool = True) -> int:
    """Soft-deleted items leave the history; restored ones come back."""
    HistoryItem.objects.filter(item_type=item_type, item_id=str(item_id)).update(hidden=hidden)
    return TimelineEntry.objects.filter(item_type=item_type, item_id=str(item_id)).update(hidden=hidden)


@transaction.atomic
def timeline_move(*, from_identity_id: int, to_identity_id: int) -> list[int]:
    """Merge: move one identity's history to another; returns the moved rows' ids (for undo).

    Items already in the survivor's history (linked to both) keep the survivor's row.
    """
    existing = set(TimelineEntry.objects.filter(identity_id=to_identity_id).values_list("item_type", "item_id"))
    rows = TimelineEntry.objects.filter(identity_id=from_identity_id)
    moved, duplicates = [], []
    for pk, item_type, item_id in rows.values_list("pk", "item_type", "item_id"):
        (duplicates if (item_type, item_id) in existing else moved).append(pk)
    TimelineEntry.objects.filter(pk__in=moved).update(identity_id=to_identity_id)
    TimelineEntry.objects.filter(pk__in=duplicates).update(hidden=True)
    return moved


def timeline_unmove(*, row_ids: Iterable[int], to_identity_id: int) -> None:
    TimelineEntry.objects.filter(pk__in=list(row_ids)).update(identity_id=to_identity_id)


def timeline_shared_rows(*, from_identity_id: int, to_identity_id: int) -> list[int]:
    """The shown rows of `from` whose item is already in `to`'s history: the ones
    timeline_move will hide. A merge keeps them so its undo can show them again."""
    shared = TimelineEntry.objects.filter(
        identity_id=to_identity_id, item_type=OuterRef("item_type"), item_id=OuterRef("item_id")
    )
    rows = TimelineEntry.objects.filter(identity_id=from_identity_id, hidden=False).filter(Exists(shared))
    return list(rows.values_list("pk", flat=True))


def timeline_show_rows(*, row_ids: Iterable[int]) -> None:
    """Undo of timeline_move's hiding (rows named by timeline_shared_rows)."""
    TimelineEntry.objects.filter(pk__in=list(row_ids)).update(hidden=False)
