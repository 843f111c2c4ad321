"""Messages that arrive (CM-8, CM-9): inbound SMS from the gateways' callbacks, inbound mail
from IMAP, faxes from their provider. Every one goes through `inbound_receive`:

1. stored once: the same (channel, provider reference) delivered twice is one message —
   the second call returns the first row and does nothing more;
2. matched to the sender's identity by phone or email (`resolve_contact`: an "unknown
   contact" profile when nobody has that number/address) and put in its history;
3. then, in this order, the first step that takes the message ends the chain:
   - inbound handlers other contexts register (`register_inbound_handler("serial_check",
     handler)`; `handler(message)` returns a reply text to take the message, or None);
   - SMS surveys and contests (`crm.messaging.surveys`);
   - routing rules (`crm.messaging.routing`): a task or a note now, tickets/forms later.
   A reply text is queued through `messages_queue` on the line (or mailbox) the message
   came in on, keyed by the inbound message, so it goes out once.

Each step runs in its own savepoint: a failing handler is logged in `message.meta` and
never loses the message."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.core.richtext import sanitize_html
from crm.core.timeline.services import timeline_record
from crm.identities.errors import IdentityError
from crm.identities.services import resolve_contact
from crm.messaging.models import Channel, Mailbox, Message
from crm.messaging.placeholders import identity_values, template_render
from crm.messaging.sending import (
    MESSAGE_ITEM,
    AddressError,
    Outgoing,
    message_summary,
    messages_queue,
    normalise_address,
)

logger = logging.getLogger(__name__)
InboundHandler = Callable[[Message], str | None]
_handlers: dict[str, InboundHandler] = {}


def register_inbound_handler(key: str, handler: InboundHandler) -> None:
    """`handler(message)` sees every new inbound message; returning a text takes the
    message (the text is sent back as the reply), returning None passes it on."""
    _handlers[key] = handler


def inbound_handlers() -> list[tuple[str, InboundHandler]]:
    return list(_handlers.items())


def _dedupe_key(channel: str, provider_ref: str, message_id: str) -> str:
    ref = provider_ref or (f"mid:{message_id}" if message_id else f"new:{uuid.uuid4().hex}")
    key = f"in:{channel}:{ref}"
    if len(key) > 200:
        key = f"in:{channel}:sha:{hashlib.sha256(ref.encode()).hexdigest()}"
    return key


def _clean_sender(channel: str, address: str) -> tuple[str, str | None]:
    """(address to store, the normalised address to match on or None)."""
    address = (address or "").strip()
    try:
        normal = normalise_address(channel, address)
    except AddressError:
        return address[:320], None
    return normal, normal


def _identity_for(channel: str, address: str | None) -> int | None:
    if not address:
        return None
    try:
        if channel == Channel.EMAIL:
            identity, _created = resolve_contact(email=address, source="email")
        else:
            identity, _created = resolve_contact(phone=address, source=channel)
    except IdentityError:
        return None
    return identity.pk


def _thread_key(message_id: str, in_reply_to: str) -> str:
    if in_reply_to:
        parent = Message.objects.filter(message_id=in_reply_to).values_list("thread_key", "message_id").first()
        if parent:
            return (parent[0] or parent[1])[:300]
        return in_reply_to[:300]
    return message_id[:300]


def inbound_receive(
    *,
    channel: str,
    from_address: str,
    to_address: str,
    body: str,
    provider_ref: str,
    subject: str = "",
    html: str = "",
    sms_line: Any = None,
    mailbox: Any = None,
    fax_line: Any = None,
    message_id: str = "",
    in_reply_to: str = "",
    received_at: dt.datetime | None = None,
    meta: dict[str, Any] | None = None,
    html_sanitised: bool = False,
) -> Message:
    """Store an arriving message once, put it in its sender's history, then let handlers,
    surveys and routing rules act on it (only the first time it arrives)."""
    key = _dedupe_key(channel, provider_ref or "", message_id or "")
    existing = Message.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing
    sender, match_on = _clean_sender(channel, from_address)
    when = received_at or timezone.now()
    try:
        with transaction.atomic():
            identity_id = _identity_for(channel, match_on)
            owner = mailbox.owner if isinstance(mailbox, Mailbox) and mailbox.kind == Mailbox.Kind.PERSONAL else None
            message = Message.objects.create(
                channel=channel,
                direction=Message.Direction.IN,
                status=Message.Status.RECEIVED,
                identity_id=identity_id,
                user=owner,
                mailbox=mailbox,
                sms_line=sms_line,
                fax_line=fax_line,
                from_address=sender,
                to_address=(to_address or "").strip()[:320],
                subject=(subject or "")[:300],
                body=body or "",
                html=(html if html_sanitised else sanitize_html(html)) if html else "",
                message_id=(message_id or "")[:300],
                in_reply_to=(in_reply_to or "")[:300],
                thread_key=_thread_key(message_id or "", in_reply_to or "") if channel == Channel.EMAIL else "",
                dedupe_key=key,
                provider_ref=(provider_ref or "")[:200],
                meta=dict(meta or {}),
                sent_at=when,
            )
            if identity_id:
                timeline_record(
                    identity_ids=[identity_id],
                    item_type=MESSAGE_ITEM,
                    item_id=message.pk,
                    occurred_at=when,
                    summary=message_summary(message),
                    extra={"channel": channel, "direction": "in"},
                )
    except IntegrityError:
        # the same message arrived twice at the same moment: the other call stored it
        found = Message.objects.filter(dedupe_key=key).first()
        if found is None:
            raise
        return found
    inbound_process(message)
    return message


def _step(message: Message, name: str, run: Callable[[], Any]) -> Any:
    try:
        with transaction.atomic():
            return run()
    except Exception as exc:
        logger.exception("inbound %s failed for message %s", name, message.pk)
        message.meta.setdefault("errors", []).append(f"{name}: {exc}"[:300])
        return None


def inbound_process(message: Message) -> None:
    """Handlers, then surveys, then routing rules; the first that takes the message wins."""
    from crm.messaging import routing, surveys

    outcome: dict[str, Any] = {}
    for key, handler in inbound_handlers():
        reply = _step(message, f"handler {key}", lambda handler=handler: handler(message))
        if reply:
            outcome = {"handled_by": key}
            _step(message, "reply", lambda reply=reply: reply_queue(message, str(reply)))
            break
    if not outcome and message.channel == Channel.SMS:
        taken = _step(message, "survey", lambda: surveys.survey_take(message))
        if taken is not None:
            answer, reply = taken
            outcome = {"survey": answer.survey_id, "answer": answer.pk}
            if reply:
                _step(message, "reply", lambda: reply_queue(message, reply))
    if not outcome:
        created = _step(message, "routing", lambda: routing.routing_apply(message))
        if created:
            outcome = {"routed": created}
    if outcome or message.meta.get("errors"):
        message.meta.update(outcome)
        Message.objects.filter(pk=message.pk).update(meta=message.meta)


def reply_text(message: Message, text: str) -> str:
    """A reply may greet the sender by name: `{{ identity.first_name }}`."""
    values = identity_values([message.identity_id]).get(message.identity_id, {}) if message.identity_id else {}
    return template_render(text, values)


def reply_queue(message: Message, text: str) -> Message | None:
    """Send `text` back to the sender on the line or mailbox the message came in on."""
    body = reply_text(message, text).strip()
    if not body:
        return None
    try:
        to = normalise_address(message.channel, message.from_address)
    except AddressError:
        return None
    item = Outgoing(
        to_address=to, body=body, identity_id=message.identity_id, key="reply", meta={"reply_to": message.pk}
    )
    prefix = f"reply:{message.pk}"
    if message.channel == Channel.SMS and message.sms_line_id:
        line = message.sms_line
        rows = messages_queue(
            actor=None, channel=Channel.SMS, items=[item], dedupe_prefix=prefix, sms_line=line, from_address=line.number
        )
    elif message.channel == Channel.EMAIL and message.mailbox_id:
        item.subject = _reply_subject(message.subject)
        box = message.mailbox
        rows = messages_queue(
            actor=None, channel=Channel.EMAIL, items=[item], dedupe_prefix=prefix, mailbox=box, from_address=box.address
        )
    else:
        return None
    return rows[0] if rows else None


def _reply_subject(subject: str) -> str:
    subject = (subject or "").strip()
    return subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()
