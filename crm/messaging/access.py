"""Who sees which messages and may send from which account (CM-3).

A user sees the messages they sent or own, and every message of an account (mailbox, SMS
line, fax line) they were given access to; `messaging.view_all_message` sees everything.
An account nobody was given access to is open to all staff; once grants exist, only the
grantees (and those who see everything) use it. A personal mailbox is its owner's alone."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from crm.messaging.models import AccountAccess, FaxLine, Mailbox, Message, SmsLine

SEE_ALL = "messaging.view_all_message"


def _granted(user: Any, field: str, *, send: bool = False) -> QuerySet[AccountAccess]:
    grants = AccountAccess.objects.filter(user=user, **{f"{field}__isnull": False})
    return grants.filter(can_send=True) if send else grants


def messages_visible_to(user: Any) -> QuerySet[Message]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Message.objects.none()
    if user.has_perm(SEE_ALL):
        return Message.objects.all()
    rule = (
        Q(user=user)
        | Q(mailbox__owner=user)
        | Q(mailbox__in=_granted(user, "mailbox").values("mailbox"))
        | Q(sms_line__in=_granted(user, "sms_line").values("sms_line"))
        | Q(fax_line__in=_granted(user, "fax_line").values("fax_line"))
    )
    return Message.objects.filter(rule)


def _open_or_granted(model: Any, user: Any, field: str, *, send: bool) -> QuerySet[Any]:
    qs = model.objects.filter(active=True)
    if user.has_perm(SEE_ALL):
        return qs
    return qs.filter(Q(grants__isnull=True) | Q(pk__in=_granted(user, field, send=send).values(field))).distinct()


def sms_lines_for_user(user: Any, *, send: bool = True) -> QuerySet[SmsLine]:
    return _open_or_granted(SmsLine, user, "sms_line", send=send)


def fax_lines_for_user(user: Any, *, send: bool = True) -> QuerySet[FaxLine]:
    return _open_or_granted(FaxLine, user, "fax_line", send=send)


def mailboxes_for_user(user: Any, *, send: bool = True) -> QuerySet[Mailbox]:
    """Organisation mailboxes open to the user, and their own personal ones."""
    own = Mailbox.objects.filter(active=True, kind=Mailbox.Kind.PERSONAL, owner=user)
    shared = Mailbox.objects.filter(active=True, kind=Mailbox.Kind.ORGANISATION)
    if not user.has_perm(SEE_ALL):
        shared = shared.filter(
            Q(grants__isnull=True) | Q(pk__in=_granted(user, "mailbox", send=send).values("mailbox"))
        )
    return (own | shared).distinct()
