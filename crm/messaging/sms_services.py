"""SMS and fax lines, their access grants, and the suppression list (operator blacklist,
opt-outs): writes, audited; and the reads behind the SMS pages."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.errors import ApplicationError
from crm.core.permissions.access import require_perm
from crm.messaging.access import messages_visible_to
from crm.messaging.models import AccountAccess, Channel, FaxLine, Message, SmsLine, Suppression
from crm.messaging.sending import AddressError, Outgoing, messages_queue, normalise_address

LINE_FIELDS = ("name", "number", "provider", "config", "rate_per_second", "is_default", "active")
FAX_FIELDS = ("name", "number", "provider", "config", "is_default", "active")


class SmsErrorCode(StrEnum):
    BAD_ADDRESS = "bad_address"
    ALREADY_SUPPRESSED = "already_suppressed"
    EMPTY_IMPORT = "empty_import"
    LINE_INACTIVE = "line_inactive"


class SmsError(ApplicationError):
    messages = {
        SmsErrorCode.BAD_ADDRESS: _("“%(address)s” is not a usable number or address."),
        SmsErrorCode.ALREADY_SUPPRESSED: _("This address is already on the list."),
        SmsErrorCode.EMPTY_IMPORT: _("The file has no numbers in it."),
        SmsErrorCode.LINE_INACTIVE: _("This line is switched off."),
    }


# --- lines ------------------------------------------------------------------------------------


@transaction.atomic
def sms_line_save(*, actor: Any, line: SmsLine | None = None, secret: str | None = None, **values: Any) -> SmsLine:
    """Create or change an SMS line; `secret=None` keeps the stored password/API key."""
    require_perm(actor, "messaging.change_smsline" if line else "messaging.add_smsline")
    values = {k: v for k, v in values.items() if k in LINE_FIELDS}
    if values.get("is_default"):
        SmsLine.objects.exclude(pk=getattr(line, "pk", None)).filter(is_default=True).update(is_default=False)
    if line is None:
        line = SmsLine(**values, secret=secret or "")
        return tracked_create(obj=line, actor=actor)
    if secret:
        values["secret"] = secret
    tracked_update(obj=line, actor=actor, **values)
    return line


@transaction.atomic
def fax_line_save(*, actor: Any, line: FaxLine | None = None, secret: str | None = None, **values: Any) -> FaxLine:
    require_perm(actor, "messaging.change_faxline" if line else "messaging.add_faxline")
    values = {k: v for k, v in values.items() if k in FAX_FIELDS}
    if values.get("is_default"):
        FaxLine.objects.exclude(pk=getattr(line, "pk", None)).filter(is_default=True).update(is_default=False)
    if line is None:
        return tracked_create(obj=FaxLine(**values, secret=secret or ""), actor=actor)
    if secret:
        values["secret"] = secret
    tracked_update(obj=line, actor=actor, **values)
    return line


@transaction.atomic
def line_access_set(*, actor: Any, line: SmsLine | FaxLine, users: Iterable[Any], can_send: bool = True) -> int:
    """Who may use a line (CM-3): replaces the grants. No grants = open to all staff."""
    field = "sms_line" if isinstance(line, SmsLine) else "fax_line"
    require_perm(actor, f"messaging.change_{line._meta.model_name}")
    AccountAccess.objects.filter(**{field: line}).delete()
    grants = [
        AccountAccess(user=user, can_send=can_send, **{field: line}) for user in {u.pk: u for u in users}.values()
    ]
    AccountAccess.objects.bulk_create(grants)
    audit_record(
        actor=actor,
        target=line,
        action=f"{line._meta.model_name}.access",
        changes={"users": [g.user_id for g in grants]},
    )
    return len(grants)


def line_test_send(*, actor: Any, line: SmsLine, to: str, text: str) -> Message:
    """ "Send a test SMS": one message through the outbox like any other."""
    require_perm(actor, "messaging.change_smsline")
    if not line.active:
        raise SmsError(SmsErrorCode.LINE_INACTIVE)
    try:
        address = normalise_address(Channel.SMS, to)
    except AddressError:
        raise SmsError(SmsErrorCode.BAD_ADDRESS, address=to, fields={"to": [_("Not a phone number.")]}) from None
    import uuid

    [message] = messages_queue(
        actor=actor,
        channel=Channel.SMS,
        items=[Outgoing(to_address=address, body=text, meta={"test": True})],
        dedupe_prefix=f"linetest:{line.pk}:{uuid.uuid4().hex}",
        sms_line=line,
        from_address=line.number,
        history=False,
    )
    return message


# --- suppression list -------------------------------------------------------------------------


def suppression_add(*, actor: Any, channel: str, address: str, reason: str, note: str = "") -> Suppression:
    require_perm(actor, "messaging.add_suppression")
    try:
        address = normalise_address(channel, address)
    except AddressError:
        raise SmsError(SmsErrorCode.BAD_ADDRESS, address=address, fields={"address": [_("Not usable.")]}) from None
    try:
        with transaction.atomic():
            row = Suppression.objects.create(channel=channel, address=address, reason=reason, note=note[:200])
            audit_record(
                actor=actor, target=row, action="suppression.added", changes={"address": address, "reason": reason}
            )
    except IntegrityError:
        raise SmsError(SmsErrorCode.ALREADY_SUPPRESSED, fields={"address": [_("Already on the list.")]}) from None
    return row


@transaction.atomic
def suppression_remove(*, actor: Any, row: Suppression) -> None:
    require_perm(actor, "messaging.delete_suppression")
    audit_record(actor=actor, target=row, action="suppression.removed", changes={"address": row.address})
    row.delete()


def _numbers_in(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig", "replace")
    found: list[str] = []
    for row in csv.reader(io.StringIO(text.replace(";", ",").replace("\t", ","))):
        found.extend(cell.strip() for cell in row if cell.strip())
    return found


def suppression_import(
    *, actor: Any, content: bytes, reason: str = Suppression.Reason.BLACKLIST, channel: str = Channel.SMS
) -> dict[str, int]:
    """Numbers from a text or CSV file (one per line or cell) onto the list; returns counts
    of added, already listed and unusable entries."""
    require_perm(actor, "messaging.add_suppression")
    cells = _numbers_in(content)
    if not cells:
        raise SmsError(SmsErrorCode.EMPTY_IMPORT)
    wanted: list[str] = []
    invalid = 0
    for cell in cells:
        try:
            wanted.append(normalise_address(channel, cell))
        except AddressError:
            invalid += 1
    wanted = list(dict.fromkeys(wanted))
    with transaction.atomic():
        existing = set(
            Suppression.objects.filter(channel=channel, address__in=wanted).values_list("address", flat=True)
        )
        new = [
            Suppression(channel=channel, address=a, reason=reason, note="import") for a in wanted if a not in existing
        ]
        Suppression.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        counts = {"added": len(new), "existing": len(existing), "invalid": invalid}
        if new:
            audit_record(actor=actor, target=new[0], action="suppression.imported", changes=counts)
    return counts


def suppression_list(*, search: str = "", reason: str = "", channel: str = "") -> QuerySet[Suppression]:
    qs = Suppression.objects.all()
    if channel:
        qs = qs.filter(channel=channel)
    if reason:
        qs = qs.filter(reason=reason)
    if search:
        qs = qs.filter(Q(address__icontains=search.strip()) | Q(note__icontains=search.strip()))
    return qs.order_by("-id")


# --- reads for the SMS pages and the API ------------------------------------------------------


def sms_list_for_user(
    *,
    user: Any,
    direction: str = "",
    status: str = "",
    line: int | None = None,
    identity: int | None = None,
    since: Any = None,
    until: Any = None,
    search: str = "",
    channel: str = Channel.SMS,
) -> QuerySet[Message]:
    qs = messages_visible_to(user)
    if channel:
        qs = qs.filter(channel=channel)
    if direction:
        qs = qs.filter(direction=direction)
    if status:
        qs = qs.filter(status=status)
    if line:
        qs = qs.filter(sms_line_id=line)
    if identity:
        qs = qs.filter(identity_id=identity)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    if search:
        qs = qs.filter(Q(to_address__icontains=search) | Q(from_address__icontains=search) | Q(body__icontains=search))
    return qs.select_related("sms_line", "user").order_by("-id")


def message_get_for_user(*, user: Any, pk: int) -> Message | None:
    return messages_visible_to(user).filter(pk=pk).select_related("sms_line", "mailbox", "fax_line", "user").first()
