"""Reads of bulk sends, their recipients and target groups, with the access rule.

Access rule (bulk sends and target groups alike):
- `messaging.view_all_bulksend` (or superuser) sees every bulk send and every target group;
- anyone else with `messaging.view_bulksend` or `messaging.add_bulksend` (for groups also
  `messaging.view_targetgroup` / `messaging.add_targetgroup`) sees only the ones they created;
- nobody else sees any (pages answer 404).
Managing (editing a draft, starting, pausing, cancelling, resending, changing a group's
members) needs the record to be visible and either being its creator with the add right,
or the change right (`change_bulksend` / `change_targetgroup`) together with view-all."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMinute

from crm.messaging.models import BulkSend, Message, MessageEvent, TargetGroup, TargetGroupMember

SEE_ALL = "messaging.view_all_bulksend"


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _reach(user: Any, *perms: str) -> str:
    if not _active(user):
        return "none"
    if user.is_superuser or user.has_perm(SEE_ALL):
        return "all"
    return "own" if any(user.has_perm(p) for p in perms) else "none"


def bulk_sends_visible_to(user: Any) -> QuerySet[BulkSend]:
    reach = _reach(user, "messaging.view_bulksend", "messaging.add_bulksend")
    if reach == "none":
        return BulkSend.objects.none()
    qs = BulkSend.objects.all()
    return qs if reach == "all" else qs.filter(created_by=user)


def bulk_send_list_for_user(*, user: Any, status: str = "", channel: str = "", q: str = "") -> QuerySet[BulkSend]:
    qs = bulk_sends_visible_to(user).select_related("created_by", "template", "target_group")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("-id")


def bulk_send_get_for_user(*, user: Any, pk: int) -> BulkSend | None:
    return (
        bulk_sends_visible_to(user)
        .select_related("sms_line", "mailbox", "template", "target_group")
        .filter(pk=pk)
        .first()
    )


def can_manage_bulk_send(user: Any, send: BulkSend) -> bool:
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if send.created_by_id == user.pk and user.has_perm("messaging.add_bulksend"):
        return True
    return user.has_perm("messaging.change_bulksend") and user.has_perm(SEE_ALL)


def groups_visible_to(user: Any) -> QuerySet[TargetGroup]:
    reach = _reach(
        user,
        "messaging.view_targetgroup",
        "messaging.add_targetgroup",
        "messaging.view_bulksend",
        "messaging.add_bulksend",
    )
    if reach == "none":
        return TargetGroup.objects.none()
    qs = TargetGroup.objects.all()
    return qs if reach == "all" else qs.filter(created_by=user)


def group_list_for_user(*, user: Any, q: str = "") -> QuerySet[TargetGroup]:
    qs = groups_visible_to(user).select_related("created_by").annotate(member_count=Count("members"))
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name", "id")


def group_get_for_user(*, user: Any, pk: int) -> TargetGroup | None:
    return groups_visible_to(user).filter(pk=pk).first()


def can_manage_group(user: Any, group: TargetGroup) -> bool:
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    if group.created_by_id == user.pk and (
        user.has_perm("messaging.add_targetgroup") or user.has_perm("messaging.add_bulksend")
    ):
        return True
    return user.has_perm("messaging.change_targetgroup") and user.has_perm(SEE_ALL)


def group_member_ids(group: TargetGroup) -> QuerySet[TargetGroupMember]:
    return TargetGroupMember.objects.filter(group=group).order_by("identity_id")


# --- report -------------------------------------------------------------------------------

RECIPIENT_FILTERS = ("queued", "sending", "sent", "delivered", "failed", "cancelled", "suppressed", "opened", "clicked")


def bulk_recipients(send: BulkSend, *, status: str = "", q: str = "") -> QuerySet[Message]:
    """The send's messages (one per recipient), filtered by status or by opened/clicked."""
    qs = Message.objects.filter(bulk_send=send).only(
        "id",
        "identity_id",
        "to_address",
        "status",
        "error",
        "sent_at",
        "delivered_at",
        "opened_at",
        "clicked_at",
        "meta",
        "channel",
        "created_at",
    )
    if status == "opened":
        qs = qs.filter(opened_at__isnull=False)
    elif status == "clicked":
        qs = qs.filter(clicked_at__isnull=False)
    elif status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(to_address__icontains=q.strip())
    return qs.order_by("id")


def bulk_status_counts(send: BulkSend) -> dict[str, int]:
    rows = Message.objects.filter(bulk_send=send).values("status").annotate(n=Count("id")).order_by()
    return {row["status"]: row["n"] for row in rows}


def bulk_timeline(send: BulkSend, *, max_points: int = 120) -> dict[str, Any]:
    """Sent / delivered / failed / opened / clicked counts per minute (cumulative), for the
    chart. Failures come from the events (a message's own row keeps no failure time)."""
    series: dict[str, dict[dt.datetime, int]] = {}
    base = Message.objects.filter(bulk_send=send)
    for name, field in (
        ("sent", "sent_at"),
        ("delivered", "delivered_at"),
        ("opened", "opened_at"),
        ("clicked", "clicked_at"),
    ):
        rows = (
            base.filter(**{f"{field}__isnull": False})
            .annotate(minute=TruncMinute(field))
            .values("minute")
            .annotate(n=Count("id"))
            .order_by("minute")
        )
        series[name] = {row["minute"]: row["n"] for row in rows}
    failed = (
        MessageEvent.objects.filter(message__bulk_send=send, kind=MessageEvent.Kind.FAILED)
        .annotate(minute=TruncMinute("at"))
        .values("minute")
        .annotate(n=Count("message_id", distinct=True))
        .order_by("minute")
    )
    series["failed"] = {row["minute"]: row["n"] for row in failed}
    minutes = sorted({m for values in series.values() for m in values})
    if len(minutes) > max_points:  # keep the chart small: every k-th minute, totals stay right
        step = -(-len(minutes) // max_points)
        minutes = minutes[::step] + ([minutes[-1]] if (len(minutes) - 1) % step else [])
    out: dict[str, list[int]] = {name: [] for name in series}
    for name, values in series.items():
        running, points = 0, sorted(values.items())
        i = 0
        for minute in minutes:
            while i < len(points) and points[i][0] <= minute:
                running += points[i][1]
                i += 1
            out[name].append(running)
    return {"minutes": [m.isoformat() for m in minutes], "series": out}


def bulk_sends_of_resend(send: BulkSend) -> QuerySet[BulkSend]:
    return BulkSend.objects.filter(Q(resend_of=send)).order_by("-id")
