"""Reads of email and fax, always through `crm.messaging.access` (CM-3): inbox, sent box,
threads, unread counts, mailboxes a user may read or manage, fax lists."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from crm.messaging.access import SEE_ALL, _granted, messages_visible_to
from crm.messaging.models import Channel, Mailbox, Message


def message_get_for_user(*, user: Any, pk: int) -> Message | None:
    """Any message (email, SMS, fax) the user may see, or None (→ 404)."""
    return (
        messages_visible_to(user)
        .select_related("mailbox", "sms_line", "fax_line", "user", "bulk_send", "template")
        .filter(pk=pk)
        .first()
    )


def _email(user: Any, direction: str, mailbox_id: int | None, text: str) -> QuerySet[Message]:
    qs = messages_visible_to(user).filter(channel=Channel.EMAIL, direction=direction).select_related("mailbox")
    if mailbox_id:
        qs = qs.filter(mailbox_id=mailbox_id)
    text = (text or "").strip()
    if text:
        qs = qs.filter(
            Q(subject__icontains=text)
            | Q(from_address__icontains=text)
            | Q(to_address__icontains=text)
            | Q(body__icontains=text)
        )
    return qs.order_by("-id")


def mail_inbox_for_user(
    *, user: Any, mailbox_id: int | None = None, unread_only: bool = False, text: str = ""
) -> QuerySet[Message]:
    qs = _email(user, Message.Direction.IN, mailbox_id, text)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def mail_sent_for_user(*, user: Any, mailbox_id: int | None = None, text: str = "") -> QuerySet[Message]:
    """Mail sent from the mailboxes the user may read, or by the user (bulk sends excluded)."""
    return _email(user, Message.Direction.OUT, mailbox_id, text).filter(bulk_send__isnull=True)


def mail_unread_count(*, user: Any) -> int:
    return mail_inbox_for_user(user=user, unread_only=True).count()


def mail_thread_for_user(*, user: Any, message: Message) -> list[Message]:
    """The visible messages of a message's thread, oldest first (just the message alone
    when it has no thread key)."""
    if not message.thread_key:
        return [message]
    return list(
        messages_visible_to(user)
        .filter(channel=message.channel, thread_key=message.thread_key)
        .select_related("mailbox")
        .order_by("created_at", "id")[:200]
    )


def mailboxes_readable_by(user: Any) -> QuerySet[Mailbox]:
    """Mailboxes whose mail the user reads: their own, granted ones, all with view-all."""
    if user.has_perm(SEE_ALL):
        return Mailbox.objects.all()
    return Mailbox.objects.filter(
        Q(kind=Mailbox.Kind.PERSONAL, owner=user) | Q(pk__in=_granted(user, "mailbox").values("mailbox"))
    ).distinct()


def mailboxes_managed_by(user: Any) -> QuerySet[Mailbox]:
    """The mailbox settings page: the user's own personal mailboxes, and the organisation
    ones when they may manage them. Other people's personal mailboxes are never listed."""
    own = Q(kind=Mailbox.Kind.PERSONAL, owner=user)
    if user.has_perm("messaging.view_mailbox") or user.has_perm("messaging.change_mailbox"):
        return Mailbox.objects.filter(own | Q(kind=Mailbox.Kind.ORGANISATION)).select_related("owner")
    return Mailbox.objects.filter(own).select_related("owner")


def mailbox_get_managed(*, user: Any, pk: int) -> Mailbox | None:
    return mailboxes_managed_by(user).filter(pk=pk).first()


def fax_list_for_user(*, user: Any, direction: str | None = None, text: str = "") -> QuerySet[Message]:
    qs = messages_visible_to(user).filter(channel=Channel.FAX).select_related("fax_line")
    if direction:
        qs = qs.filter(direction=direction)
    text = (text or "").strip()
    if text:
        qs = qs.filter(Q(to_address__icontains=text) | Q(from_address__icontains=text) | Q(subject__icontains=text))
    return qs.order_by("-id")
