"""The outbox transport "msg.email": customer emails leave through their Mailbox's SMTP
server, one connection per mailbox per batch.

Per message: a cancelled/suppressed message is given up; one already sent (a worker died
after the SMTP hand-off but before the outbox row was marked) is not sent again; otherwise
the message is marked `sending`, handed to SMTP with its own stable Message-ID (the same
Message-ID on a retry after a crash lets servers and clients recognise a repeat), then
marked `sent`. 5xx answers are permanent failures; everything else is retried by the outbox.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from crm.core.notifications.models import OutboxMessage
from crm.core.notifications.registry import PermanentFailure, Transport, register_transport
from crm.messaging.mail.building import build_email, envelope_sender, message_id_for, recipients_of
from crm.messaging.mail.errors import MailError, MailErrorCode
from crm.messaging.mail.servers import smtp_config, smtp_connect
from crm.messaging.models import Mailbox, Message, MessageEvent
from crm.messaging.sending import OUTBOX_CHANNEL, message_mark

logger = logging.getLogger(__name__)
CHANNEL = OUTBOX_CHANNEL["email"]
DONE = {Message.Status.SENT, Message.Status.DELIVERED}
GIVEN_UP = {Message.Status.CANCELLED, Message.Status.SUPPRESSED}


def messages_for_rows(rows: Iterable[OutboxMessage]) -> dict[str, Message]:
    keys = [row.dedupe_key for row in rows]
    qs = Message.objects.filter(dedupe_key__in=keys).select_related("mailbox", "fax_line")
    return {message.dedupe_key: message for message in qs}


def _ensure_message_id(message: Message) -> str:
    if not message.message_id:
        message.message_id = message_id_for(message, envelope_sender(message))
        updates = {"message_id": message.message_id}
        if not message.thread_key:
            message.thread_key = message.message_id
            updates["thread_key"] = message.thread_key
        Message.objects.filter(pk=message.pk).update(**updates)
    return message.message_id


def _permanent(exc: smtplib.SMTPException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(int(code) >= 500 for code, _msg in exc.recipients.values())
    code = getattr(exc, "smtp_code", 0) or 0
    return 500 <= int(code) < 600


def _fail(message: Message, error: BaseException) -> PermanentFailure:
    message_mark(message_ids=[message.pk], status=Message.Status.FAILED, error=str(error))
    MessageEvent.objects.bulk_create(
        [
            MessageEvent(
                message=message,
                kind=MessageEvent.Kind.FAILED,
                data={"error": str(error)[:500]},
                dedupe_key=f"smtp-fail:{message.pk}",
            )
        ],
        ignore_conflicts=True,
    )
    return PermanentFailure(str(error))


def smtp_hand_off(conn: smtplib.SMTP, message: Message, mail: Any) -> str:
    """Send one built email on an open connection and record it; returns the Message-ID."""
    message_mark(message_ids=[message.pk], status=Message.Status.SENDING)
    conn.send_message(mail, from_addr=envelope_sender(message), to_addrs=recipients_of(mail))
    ref = str(mail["Message-ID"])
    message_mark(message_ids=[message.pk], status=Message.Status.SENT, provider_ref=ref)
    MessageEvent.objects.bulk_create(
        [
            MessageEvent(
                message=message,
                kind=MessageEvent.Kind.ACCEPTED,
                data={"message_id": ref},
                dedupe_key=f"smtp:{message.pk}",
            )
        ],
        ignore_conflicts=True,
    )
    return ref


def send_batch(rows: list[OutboxMessage]) -> dict[int, str | BaseException]:
    results: dict[int, str | BaseException] = {}
    messages = messages_for_rows(rows)
    by_mailbox: dict[int | None, list[tuple[OutboxMessage, Message]]] = {}
    for row in rows:
        message = messages.get(row.dedupe_key)
        if message is None:
            results[row.pk] = PermanentFailure("no message for this outbox row")
        elif message.status in GIVEN_UP:
            results[row.pk] = PermanentFailure(f"message {message.status}")
        elif message.status in DONE:
            results[row.pk] = message.provider_ref or message.message_id or f"message-{message.pk}"
        elif message.mailbox is None:
            results[row.pk] = _fail(message, MailError(MailErrorCode.NO_MAILBOX))
        else:
            by_mailbox.setdefault(message.mailbox_id, []).append((row, message))
    for group in by_mailbox.values():
        results.update(_send_group(group[0][1].mailbox, group))
    return results


def _send_group(mailbox: Mailbox | None, group: list[tuple[OutboxMessage, Message]]) -> dict[int, str | BaseException]:
    results: dict[int, str | BaseException] = {}
    assert mailbox is not None
    try:
        config = smtp_config(mailbox)
    except MailError as exc:
        return {row.pk: exc for row, _message in group}  # retried: an admin may set the server
    conn: smtplib.SMTP | None = None
    try:
        for row, message in group:
            if conn is None:
                try:
                    conn = smtp_connect(config)
                except (OSError, smtplib.SMTPException) as exc:
                    for rest, _m in group:
                        results.setdefault(rest.pk, exc)
                    return results
            try:
                _ensure_message_id(message)
                mail = build_email(message)
                results[row.pk] = smtp_hand_off(conn, message, mail)
            except smtplib.SMTPServerDisconnected as exc:
                results[row.pk] = exc
                conn = None  # reconnect for the next one
            except smtplib.SMTPException as exc:
                results[row.pk] = _fail(message, exc) if _permanent(exc) else exc
            except OSError as exc:
                results[row.pk] = exc
                conn = None
    finally:
        if conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                conn.quit()
    return results


def send(row: OutboxMessage) -> str:
    result = send_batch([row])[row.pk]
    if isinstance(result, BaseException):
        raise result
    return result


register_transport(
    Transport(
        channel=CHANNEL, label=_("Email (mailboxes)"), send=send, address_for=lambda user: "", send_batch=send_batch
    )
)
