"""Reads for what hangs on items; callers have checked the item is visible (or use
`item_panel`, which checks)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from crm.core.items.models import Attachment, AttachmentVersion, Comment, FollowUp, Mention
from crm.core.timeline.registry import item_title, item_url, item_visible


def followups_for_item(*, user: Any, item_type: str, item_id: str | int) -> QuerySet[FollowUp]:
    """Follow-ups are personal: only the user's own."""
    return FollowUp.objects.filter(user=user, item_type=item_type, item_id=str(item_id))


def followups_for_user(
    *,
    user: Any,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    include_done: bool = False,
) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.filter(user=user)
    if not include_done:
        qs = qs.filter(done_at__isnull=True)
    if since:
        qs = qs.filter(due_at__gte=since)
    if until:
        qs = qs.filter(due_at__lt=until)
    return qs.order_by("due_at", "id")


def comments_for_item(*, item_type: str, item_id: str | int) -> list[Comment]:
    """Top-level comments, each with `.thread` (its replies, oldest first)."""
    rows = list(
        Comment.objects.filter(item_type=item_type, item_id=str(item_id), deleted_at__isnull=True)
        .select_related("author")
        .order_by("created_at", "id")
    )
    by_parent: dict[int | None, list[Comment]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    top = by_parent.get(None, [])
    for comment in rows:
        comment.thread = by_parent.get(comment.pk, [])  # type: ignore[attr-defined]
    return top


def mentions_for_user(*, user: Any, unseen_only: bool = False) -> QuerySet[Mention]:
    qs = Mention.objects.filter(user=user, comment__deleted_at__isnull=True).select_related(
        "comment", "comment__author"
    )
    return qs.filter(seen_at__isnull=True) if unseen_only else qs


def attachments_for_item(*, item_type: str, item_id: str | int) -> QuerySet[Attachment]:
    return (
        Attachment.objects.filter(item_type=item_type, item_id=str(item_id), deleted_at__isnull=True)
        .select_related("created_by")
        .prefetch_related(Prefetch("versions", queryset=AttachmentVersion.objects.order_by("-number")))
        .annotate(version_count=Count("versions"))
    )


def attachments_for_items(*, item_type: str, item_ids: list[int | str]) -> list[Attachment]:
    """The live attachments of many items of one type in one query (a list page), each with
    `latest` (its newest version) and `version_count`. The caller has already scoped the
    items to what the user may see."""
    if not item_ids:
        return []
    rows = list(
        Attachment.objects.filter(item_type=item_type, item_id__in=[str(i) for i in item_ids], deleted_at__isnull=True)
        .prefetch_related(Prefetch("versions", queryset=AttachmentVersion.objects.order_by("-number")))
        .order_by("-id")
    )
    for row in rows:
        versions = list(row.versions.all())
        row.latest = versions[0] if versions else None  # type: ignore[attr-defined]
        row.version_count = len(versions)  # type: ignore[attr-defined]
    return rows


def attachment_version_for_user(*, user: Any, public_id: Any, number: int | None = None) -> AttachmentVersion | None:
    """A file to download, if the user may see the item it hangs on."""
    attachment = Attachment.objects.filter(public_id=public_id, deleted_at__isnull=True).first()
    if attachment is None or not item_visible(user, attachment.item_type, attachment.item_id):
        return None
    versions = attachment.versions.all()
    if number is not None:
        versions = versions.filter(number=number)
    return versions.order_by("-number").first()


def item_panel(*, user: Any, item_type: str, item_id: str | int) -> dict[str, Any] | None:
    """Everything the shared item panel shows, or None if the user may not see the item."""
    if not item_visible(user, item_type, item_id):
        return None
    return {
        "item_type": item_type,
        "item_id": str(item_id),
        "item_title": item_title(item_type, item_id),
        "item_url": item_url(item_type, item_id),
        "followups": list(followups_for_item(user=user, item_type=item_type, item_id=item_id)),
        "comments": comments_for_item(item_type=item_type, item_id=item_id),
        "attachments": list(attachments_for_item(item_type=item_type, item_id=item_id)),
    }


def item_counts(*, user: Any, item_type: str, item_id: str | int) -> dict[str, int]:
    key = {"item_type": item_type, "item_id": str(item_id)}
    return {
        "comments": Comment.objects.filter(**key, deleted_at__isnull=True).count(),
        "attachments": Attachment.objects.filter(**key, deleted_at__isnull=True).count(),
        "followups": FollowUp.objects.filter(Q(done_at__isnull=True), user=user, **key).count(),
    }
