"""Fax (CM-4): a provider adapter interface, the email-to-fax adapter, the outbox transport
"msg.fax" and sending a fax with a PDF.

A `FaxLine.provider` names an adapter registered here; `register_fax_provider(key,
factory)` adds others (an HTTP fax API) without touching this module. The email-to-fax
adapter turns a fax into an email with the document attached, sent through a mailbox to
`config["address_pattern"].format(number=<digits>, e164=<+digits>)` — e.g.
`{number}@fax.example.com`. `config["mailbox"]` picks the mailbox (the default
organisation mailbox otherwise); faxes received by such a gateway arrive as mails in
`config["inbound_mailbox"]` and are stored as received faxes by the IMAP fetch."""

from __future__ import annotations

import contextlib
import smtplib
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from crm.core.items.services import attachment_add
from crm.core.notifications.models import OutboxMessage
from crm.core.notifications.registry import PermanentFailure, Transport, register_transport
from crm.identities.selectors import identity_base_for_user
from crm.messaging.access import fax_lines_for_user
from crm.messaging.mail.building import build_email, message_files
from crm.messaging.mail.errors import MailError, MailErrorCode
from crm.messaging.mail.servers import smtp_config, smtp_connect
from crm.messaging.mail.transport import messages_for_rows
from crm.messaging.models import Channel, FaxLine, Mailbox, Message, MessageEvent
from crm.messaging.sending import (
    MESSAGE_ITEM,
    OUTBOX_CHANNEL,
    AddressError,
    Outgoing,
    message_mark,
    messages_queue,
    normalise_address,
)

CHANNEL = OUTBOX_CHANNEL["fax"]
FAX_TYPES = {"application/pdf", "image/tiff"}


class FaxProvider(Protocol):
    def send(self, line: FaxLine, message: Message, document_bytes: bytes) -> str:
        """Hand the fax to the provider; return its reference. Raise `PermanentFailure`
        for a fax that can never go, anything else to be retried."""
        ...


_providers: dict[str, Callable[[], FaxProvider]] = {}


def register_fax_provider(key: str, factory: Callable[[], FaxProvider]) -> None:
    _providers[key] = factory


def fax_provider_for(line: FaxLine) -> FaxProvider:
    factory = _providers.get(line.provider)
    if factory is None:
        raise MailError(MailErrorCode.FAX_PROVIDER, provider=line.provider)
    return factory()


def fax_providers() -> list[str]:
    return sorted(_providers)


# --- the email-to-fax adapter ---------------------------------------------------------------


def fax_gateway_address(line: FaxLine, number: str) -> str:
    pattern = str((line.config or {}).get("address_pattern") or "")
    if "{" not in pattern or "@" not in pattern:
        raise PermanentFailure("the fax line has no address pattern such as {number}@fax.example.com")
    digits = "".join(ch for ch in number if ch.isdigit())
    return pattern.format(number=digits, e164=number)


def fax_mailbox(line: FaxLine) -> Mailbox:
    wanted = (line.config or {}).get("mailbox")
    qs = Mailbox.objects.filter(active=True)
    found = qs.filter(pk=wanted).first() if str(wanted or "").isdigit() else None
    found = found or qs.filter(kind=Mailbox.Kind.ORGANISATION).order_by("-is_default", "id").first()
    if found is None:
        raise PermanentFailure("no mailbox to send faxes by email")
    return found


class EmailToFax:
    """A fax is an email to the gateway's address with the document attached."""

    def send(self, line: FaxLine, message: Message, document_bytes: bytes) -> str:
        mailbox = fax_mailbox(line)
        to = fax_gateway_address(line, message.to_address)
        files = [f for f in message_files(message) if f[1] in FAX_TYPES]
        if not files:
            files = [("fax.pdf", "application/pdf", document_bytes)]
        proxy = Message(
            pk=message.pk,
            channel=Channel.EMAIL,
            mailbox=mailbox,
            from_address=mailbox.address,
            to_address=to,
            subject=message.subject or f"Fax {message.to_address}",
            body=message.body,
            dedupe_key=message.dedupe_key,
            token=message.token,
            created_at=message.created_at,
            meta={},
        )
        mail = build_email(proxy, to=[to], files=files)
        conn = smtp_connect(smtp_config(mailbox))
        try:
            conn.send_message(mail, from_addr=mailbox.address, to_addrs=[to])
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                conn.quit()
        return str(mail["Message-ID"])


register_fax_provider("email2fax", EmailToFax)


# --- the outbox transport -------------------------------------------------------------------


def _document(message: Message) -> bytes | None:
    for _name, content_type, data in message_files(message):
        if content_type in FAX_TYPES:
            return data
    return None


def send(row: OutboxMessage) -> str:
    message = messages_for_rows([row]).get(row.dedupe_key)
    if message is None:
        raise PermanentFailure("no message for this outbox row")
    if message.status in (Message.Status.CANCELLED, Message.Status.SUPPRESSED):
        raise PermanentFailure(f"message {message.status}")
    if message.status in (Message.Status.SENT, Message.Status.DELIVERED):
        return message.provider_ref or f"fax-{message.pk}"
    line = message.fax_line
    if line is None:
        raise PermanentFailure("no fax line")
    document = _document(message)
    if document is None:
        message_mark(message_ids=[message.pk], status=Message.Status.FAILED, error="no PDF document")
        raise PermanentFailure("no PDF document")
    try:
        provider = fax_provider_for(line)
    except MailError as exc:
        message_mark(message_ids=[message.pk], status=Message.Status.FAILED, error=exc.message)
        raise PermanentFailure(exc.message) from exc
    message_mark(message_ids=[message.pk], status=Message.Status.SENDING)
    try:
        ref = provider.send(line, message, document)
    except PermanentFailure as exc:
        message_mark(message_ids=[message.pk], status=Message.Status.FAILED, error=str(exc))
        raise
    message_mark(message_ids=[message.pk], status=Message.Status.SENT, provider_ref=ref)
    MessageEvent.objects.bulk_create(
        [
            MessageEvent(
                message=message, kind=MessageEvent.Kind.ACCEPTED, data={"ref": ref}, dedupe_key=f"fax:{message.pk}"
            )
        ],
        ignore_conflicts=True,
    )
    return ref


register_transport(Transport(channel=CHANNEL, label=_("Fax"), send=send, address_for=lambda user: ""))


# --- sending a fax ----------------------------------------------------------------------------


def fax_line_for_sending(*, actor: Any, line_id: int | None) -> FaxLine:
    allowed = fax_lines_for_user(actor, send=True)
    found = allowed.filter(pk=line_id).first() if line_id else allowed.order_by("-is_default", "id").first()
    if found is None:
        raise MailError(
            MailErrorCode.FAX_LINE_NOT_ALLOWED, fields={"line": MailError.messages[MailErrorCode.FAX_LINE_NOT_ALLOWED]}
        )
    return found


@transaction.atomic
def fax_send(
    *,
    actor: Any,
    line: FaxLine,
    to_number: str,
    document: UploadedFile,
    subject: str = "",
    cover_text: str = "",
    identity_id: int | None = None,
    compose_key: str = "",
) -> Message:
    """Queue a fax of a PDF document on a line the actor may send from."""
    if not fax_lines_for_user(actor, send=True).filter(pk=line.pk).exists():
        raise MailError(
            MailErrorCode.FAX_LINE_NOT_ALLOWED, fields={"line": MailError.messages[MailErrorCode.FAX_LINE_NOT_ALLOWED]}
        )
    try:
        number = normalise_address(Channel.FAX, to_number)
    except AddressError as exc:
        raise MailError(MailErrorCode.BAD_ADDRESS, str(exc), fields={"to": str(exc)}) from None
    head = document.read(8)
    document.seek(0)
    if not head.startswith(b"%PDF-"):
        raise MailError(MailErrorCode.FAX_DOCUMENT, fields={"document": MailError.messages[MailErrorCode.FAX_DOCUMENT]})
    if identity_id and not identity_base_for_user(user=actor).filter(pk=identity_id).exists():
        identity_id = None
    prefix = f"fax:{actor.pk}:{(compose_key or uuid.uuid4().hex)[:64]}"
    earlier = Message.objects.filter(dedupe_key=f"{prefix}:fax").first()
    if earlier is not None:
        return earlier
    (message,) = messages_queue(
        actor=actor,
        channel=Channel.FAX,
        items=[
            Outgoing(
                to_address=number,
                subject=" ".join((subject or "").split())[:300],
                body=cover_text or "",
                identity_id=identity_id,
                key="fax",
            )
        ],
        dedupe_prefix=prefix,
        fax_line=line,
        from_address=line.number,
    )
    attachment_add(actor=actor, item_type=MESSAGE_ITEM, item_id=message.pk, upload=document)
    return message
