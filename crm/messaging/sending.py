"""Queueing outgoing messages: the one path every send takes (quick send, email composer,
bulk sends, occasions, survey replies, documents and payment links from other contexts).

`messages_queue` writes, in the caller's transaction, one `Message` and one core outbox
row per recipient, both keyed by the same dedupe key: queueing the same thing twice (a
retried request, a second worker, a resumed bulk send) returns the first rows and sends
nothing more. Suppressed addresses (operator blacklist, opt-outs, bounces) get a
`suppressed` message and no outbox row. Transports (`crm.messaging.transports`) send the
outbox rows and keep `Message.status` in step."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.bulk import bulk_insert_returning
from crm.core.notifications.models import OutboxMessage
from crm.core.timeline.services import timeline_record_new
from crm.identities.phones import normalize_phone
from crm.messaging.models import Channel, Message, Suppression

MESSAGE_ITEM = "messaging.message"
# outbox channels of customer messages (system notifications use plain "email"/"sms")
OUTBOX_CHANNEL = {Channel.SMS: "msg.sms", Channel.EMAIL: "msg.email", Channel.FAX: "msg.fax"}
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


@dataclass
class Outgoing:
    """One recipient's message, already rendered for them."""

    to_address: str
    body: str
    subject: str = ""
    html: str = ""
    identity_id: int | None = None
    key: str = ""  # unique within the send; defaults to identity id or address
    meta: dict[str, Any] = field(default_factory=dict)


class AddressError(ValueError):
    pass


def sms_parts(text: str) -> int:
    """How many SMS the text takes: GSM 7-bit 160 (153 when concatenated), otherwise UCS-2
    (Persian) 70 (67 when concatenated)."""
    if not text:
        return 1
    if all(ch in GSM7 for ch in text):
        return 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def normalise_address(channel: str, address: str) -> str:
    """E.164 for SMS/fax, lower-case for email; raises AddressError when unusable."""
    address = (address or "").strip()
    if channel in (Channel.SMS, Channel.FAX):
        number = normalize_phone(address)
        if not number:
            raise AddressError(_("“%(address)s” is not a phone number.") % {"address": address})
        return number
    if "@" not in address or " " in address or len(address) > 254:
        raise AddressError(_("“%(address)s” is not an email address.") % {"address": address})
    local, _sep, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def suppressed_addresses(channel: str, addresses: Iterable[str]) -> dict[str, str]:
    """address -> reason, for the addresses that must not be sent to."""
    found: dict[str, str] = {}
    chunk: list[str] = []

    def flush() -> None:
        rows = Suppression.objects.filter(channel=channel, address__in=chunk).values_list("address", "reason")
        found.update(dict(rows))
        chunk.clear()

    for address in addresses:
        chunk.append(address)
        if len(chunk) >= 5000:
            flush()
    if chunk:
        flush()
    return found


def messages_queue(
    *,
    actor: Any,
    channel: str,
    items: Sequence[Outgoing],
    dedupe_prefix: str,
    sms_line: Any = None,
    mailbox: Any = None,
    fax_line: Any = None,
    bulk_send: Any = None,
    template: Any = None,
    due_at: dt.datetime | Sequence[dt.datetime] | None = None,
    from_address: str = "",
    history: bool = True,
    want_rows: bool = True,
) -> list[Message]:
    """Queue messages to many recipients at once; returns the rows (new or earlier).

    `due_at` may be one time or one per item (a bulk send spreads its chunks). Addresses
    must already be normalised (`normalise_address`). Runs in one transaction. A bulk send
    passes `want_rows=False` (nothing returned, no model instances built: rows go to the
    database as plain values) and its messages stay out of the global CRM history (the
    send is the item there) while each identity's history shows its own message."""
    if not items:
        return []
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    user_id = user.pk if user else None
    keys = [f"{dedupe_prefix}:{item.key or item.identity_id or item.to_address}" for item in items]
    times = list(due_at) if isinstance(due_at, Sequence) else [due_at or now] * len(items)
    suppressed = suppressed_addresses(channel, {item.to_address for item in items})
    outbox_channel = OUTBOX_CHANNEL[channel]
    common = {
        "channel": channel,
        "direction": Message.Direction.OUT,
        "user_id": user_id,
        "mailbox_id": getattr(mailbox, "pk", None),
        "sms_line_id": getattr(sms_line, "pk", None),
        "fax_line_id": getattr(fax_line, "pk", None),
        "bulk_send_id": getattr(bulk_send, "pk", None),
        "template_id": getattr(template, "pk", None),
        "from_address": from_address,
        "created_at": now,
    }
    with transaction.atomic():
        existing = set(Message.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
        rows, outbox_rows, seen = [], [], set(existing)
        for item, key, when in zip(items, keys, times, strict=True):
            if key in seen:
                continue
            seen.add(key)
            reason = suppressed.get(item.to_address)
            subject = item.subject[:300]
            rows.append(
                {
                    **common,
                    "status": Message.Status.SUPPRESSED if reason else Message.Status.QUEUED,
                    "identity_id": item.identity_id,
                    "to_address": item.to_address,
                    "subject": subject,
                    "body": item.body,
                    "html": item.html,
                    "parts": sms_parts(item.body) if channel == Channel.SMS else 1,
                    "dedupe_key": key,
                    "meta": {**item.meta, "suppressed": reason} if reason else dict(item.meta),
                }
            )
            if not reason:
                outbox_rows.append(
                    {
                        "channel": outbox_channel,
                        "recipient": item.to_address,
                        "user_id": user_id,
                        "subject": subject,
                        "body": "",  # the transport reads the Message (same dedupe key): one copy of the text
                        "dedupe_key": key,
                        "due_at": when,
                        "created_at": now,
                    }
                )
        outbox_ids = dict(
            zip((r["dedupe_key"] for r in outbox_rows), bulk_insert_returning(OutboxMessage, outbox_rows), strict=True)
        )
        for row in rows:
            row["outbox_id"] = outbox_ids.get(row["dedupe_key"])
        message_ids = bulk_insert_returning(Message, rows)
        if history:
            timeline_record_new(
                item_type=MESSAGE_ITEM,
                items=[
                    (row["identity_id"], pk, now, _summary(row["subject"], row["body"]), {"channel": channel})
                    for row, pk in zip(rows, message_ids, strict=True)
                    if row["identity_id"]
                ],
                actor=actor,
                global_history=bulk_send is None,
            )
        if not want_rows:
            return []
        made = list(Message.objects.filter(pk__in=message_ids).order_by("id")) if message_ids else []
        earlier = list(Message.objects.filter(dedupe_key__in=existing)) if existing else []
    return made + earlier


def _summary(subject: str, body: str) -> str:
    return " ".join((subject or body).split())[:200]


def message_summary(message: Message) -> str:
    return _summary(message.subject, message.body)


def message_mark(
    *, message_ids: Iterable[int], status: str, at: dt.datetime | None = None, error: str = "", provider_ref: str = ""
) -> int:
    """Move messages forward (queued → sending → sent → delivered/failed); a late or
    repeated report never moves a message backwards."""
    order = {
        Message.Status.QUEUED: 0,
        Message.Status.SENDING: 1,
        Message.Status.SENT: 2,
        Message.Status.FAILED: 3,
        Message.Status.DELIVERED: 4,
    }
    allowed_from = [s for s, rank in order.items() if rank < order.get(status, 0)]
    if status == Message.Status.FAILED:  # a delivered message can not fail afterwards
        allowed_from = [Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT]
    when = at or timezone.now()
    values: dict[str, Any] = {"status": status}
    if status == Message.Status.SENT:
        values["sent_at"] = when
    if status == Message.Status.DELIVERED:
        values["delivered_at"] = when
    if error:
        values["error"] = error[:4000]
    if provider_ref:
        values["provider_ref"] = provider_ref[:200]
    return Message.objects.filter(pk__in=list(message_ids), status__in=allowed_from).update(**values)
