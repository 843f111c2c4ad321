from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from crm.core.notifications.models import MessageTemplate, Notification, OutboxMessage


def notifications_for(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def notifications_after(*, user: Any, after_id: int, limit: int = 20) -> list[Notification]:
    """New pop-ups for a user's open tabs (the websocket and its polling fallback)."""
    return list(Notification.objects.filter(user=user, pk__gt=after_id, popup=True).order_by("pk")[:limit])


def notification_latest_id(*, user: Any) -> int:
    row = Notification.objects.filter(user=user).order_by("-pk").values_list("pk", flat=True).first()
    return row or 0


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def message_templates() -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.all()


def outbox_list(*, channel: str | None = None, status: str | None = None) -> QuerySet[OutboxMessage]:
    qs = OutboxMessage.objects.all()
    if channel:
        qs = qs.filter(channel=channel)
    if status:
        qs = qs.filter(status=status)
    return qs
