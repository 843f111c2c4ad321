"""Fetching new mail from a mailbox's IMAP folder (CM-2).

Nothing is imported twice: the folder's UIDVALIDITY and the last UID fetched are kept on
the mailbox, and every mail is stored through `crm.messaging.inbound.inbound_receive`
with a per-mailbox provider reference (its Message-ID, or the UID when it has none), which
is idempotent. HTML is sanitised (`crm.core.richtext.sanitize_html`); attachments go to
the core attachments of the message item (files of refused types are listed, not stored).
A mailbox seen for the first time imports only its newest mails (`CRM_MAIL_FIRST_FETCH`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import hashlib
import imaplib
import logging
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from crm.core.errors import ApplicationError
from crm.core.items.files import check_upload
from crm.core.items.services import attachment_add_system
from crm.core.richtext import sanitize_html
from crm.messaging.mail.building import html_to_text
from crm.messaging.mail.servers import imap_config, imap_connect
from crm.messaging.mail.services import thread_key_for
from crm.messaging.models import Channel, FaxLine, Mailbox, Message
from crm.messaging.sending import MESSAGE_ITEM

logger = logging.getLogger(__name__)
BATCH = 200
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UID = re.compile(rb"UID (\d+)")


@dataclass
class FetchResult:
    mailbox_id: int
    new: int = 0
    seen: int = 0
    error: str = ""
    message_ids: list[int] = field(default_factory=list)


@dataclass
class ParsedMail:
    from_address: str
    from_name: str
    to_address: str
    cc: str
    subject: str
    text: str
    html: str
    message_id: str
    in_reply_to: str
    references: list[str]
    date: dt.datetime | None
    files: list[tuple[str, str, bytes]]  # name, declared content type, bytes


def _header(mail: EmailMessage, name: str) -> str:
    try:
        value = mail.get(name)
    except Exception:  # a header too broken to parse
        return ""
    return " ".join(str(value or "").split())


def _ids(text: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", text or "")


def parse_mail(raw: bytes) -> ParsedMail:
    """Read an RFC 5322 message with the stdlib parser: sender, recipients, thread headers,
    the text and HTML bodies and the attachments."""
    mail = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(mail, EmailMessage)
    name, address = parseaddr(_header(mail, "From"))
    to = ", ".join(a for _n, a in getaddresses([_header(mail, "To")]) if a)
    cc = ", ".join(a for _n, a in getaddresses([_header(mail, "Cc")]) if a)
    text_part = mail.get_body(preferencelist=("plain",))
    html_part = mail.get_body(preferencelist=("html",))
    text = _content(text_part) if text_part is not None else ""
    html = _content(html_part) if html_part is not None else ""
    files = []
    for part in mail.iter_attachments():
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:
            logger.info("an attachment could not be decoded", exc_info=True)
            continue
        filename = part.get_filename() or "attachment"
        files.append((filename, part.get_content_type(), data))
    try:
        date = parsedate_to_datetime(_header(mail, "Date")) if _header(mail, "Date") else None
        if date is not None and timezone.is_naive(date):
            date = timezone.make_aware(date, dt.UTC)
    except (TypeError, ValueError, IndexError):
        date = None
    message_ids = _ids(_header(mail, "Message-ID"))
    in_reply = _ids(_header(mail, "In-Reply-To"))
    return ParsedMail(
        from_address=address.strip(),
        from_name=name.strip(),
        to_address=to[:320],
        cc=cc,
        subject=_header(mail, "Subject")[:300],
        text=text,
        html=html,
        message_id=message_ids[0] if message_ids else "",
        in_reply_to=in_reply[0] if in_reply else "",
        references=_ids(_header(mail, "References"))[-20:],
        date=date,
        files=files,
    )


def _content(part: Any) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def provider_ref_for(mailbox: Mailbox, parsed: ParsedMail, uidvalidity: int, uid: int) -> str:
    ref = (
        f"imap:{mailbox.pk}:{parsed.message_id}" if parsed.message_id else f"imap:{mailbox.pk}:uid:{uidvalidity}:{uid}"
    )
    if len(ref) > 200:
        ref = f"imap:{mailbox.pk}:sha:{hashlib.sha256(ref.encode()).hexdigest()}"
    return ref


def _fax_line_for(mailbox: Mailbox) -> FaxLine | None:
    """An email-to-fax line whose received faxes arrive in this mailbox (config inbound_mailbox)."""
    for line in FaxLine.objects.filter(active=True):
        if str((line.config or {}).get("inbound_mailbox", "")) == str(mailbox.pk):
            return line
    return None


def _store_files(message: Message, files: list[tuple[str, str, bytes]]) -> list[str]:
    """Attach what arrived with a mail to its message item (type checked by content, size
    capped, audited as "mail-fetch"); returns the names refused."""
    refused = []
    for name, _declared, data in files:
        try:
            check_upload(name, len(data), data[:64])
        except ApplicationError:
            refused.append(name)
            continue
        attachment_add_system(
            item_type=MESSAGE_ITEM,
            item_id=message.pk,
            upload=SimpleUploadedFile(name, data),
            name=name,
            source="mail-fetch",
        )
    return refused


def mail_store(*, mailbox: Mailbox, raw: bytes, uidvalidity: int, uid: int) -> tuple[Message, bool]:
    """Store one fetched mail (once); returns (message, stored now)."""
    from crm.messaging.inbound import inbound_receive

    parsed = parse_mail(raw)
    ref = provider_ref_for(mailbox, parsed, uidvalidity, uid)
    existing = Message.objects.filter(provider_ref=ref, direction=Message.Direction.IN, mailbox=mailbox).first()
    if existing is not None:
        return existing, False
    html = sanitize_html(parsed.html) if parsed.html else ""
    text = parsed.text or html_to_text(html)
    fax_line = _fax_line_for(mailbox)
    channel = Channel.FAX if fax_line is not None else Channel.EMAIL
    sender = parsed.from_address
    if fax_line is not None:
        # email-to-fax gateways send "<number>@fax.provider": the number is the sender
        sender = sender.partition("@")[0] or sender
    meta: dict[str, Any] = {"imap_uid": uid, "imap_uidvalidity": uidvalidity}
    if parsed.from_name:
        meta["from_name"] = parsed.from_name[:200]
    if parsed.references:
        meta["references"] = " ".join(parsed.references)
    with transaction.atomic():
        message = inbound_receive(
            channel=channel,
            from_address=sender,
            to_address=parsed.to_address or mailbox.address,
            body=text,
            provider_ref=ref,
            subject=parsed.subject,
            html=html,
            mailbox=mailbox,
            fax_line=fax_line,
            message_id=parsed.message_id,
            in_reply_to=parsed.in_reply_to,
            received_at=parsed.date,
            meta=meta,
            html_sanitised=True,
        )
        if Message.objects.filter(pk=message.pk, meta__files_stored=True).exists():
            return message, False
        updates: dict[str, Any] = {}
        if channel == Channel.EMAIL and parsed.references:
            thread = thread_key_for(
                message_id=parsed.message_id, in_reply_to=parsed.in_reply_to, references=parsed.references
            )
            if thread and thread != message.thread_key:
                updates["thread_key"] = thread
        if parsed.cc and not message.cc:
            updates["cc"] = parsed.cc
        refused = _store_files(message, parsed.files)
        message.meta = {**(message.meta or {}), "files_stored": True}
        if refused:
            message.meta["files_refused"] = refused[:50]
        updates["meta"] = message.meta
        Message.objects.filter(pk=message.pk).update(**updates)
        for name, value in updates.items():
            setattr(message, name, value)
    return message, True


def _select(conn: imaplib.IMAP4, folder: str) -> int:
    status, data = conn.select(_quote(folder), readonly=True)
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot open folder {folder!r}: {data!r}")
    _typ, values = conn.response("UIDVALIDITY")
    if values and values[0]:
        return int(values[0])
    status, data = conn.status(_quote(folder), "(UIDVALIDITY)")
    match = _UIDVALIDITY.search(b" ".join(d for d in data if isinstance(d, bytes)))
    return int(match.group(1)) if match else 0


def _quote(folder: str) -> str:
    folder = folder or "INBOX"
    return folder if re.fullmatch(r"[A-Za-z0-9._/-]+", folder) else '"' + folder.replace('"', '\\"') + '"'


def _uids_after(conn: imaplib.IMAP4, last_uid: int) -> list[int]:
    status, data = conn.uid("SEARCH", None, f"UID {last_uid + 1}:*")
    if status != "OK":
        raise imaplib.IMAP4.error(f"search failed: {data!r}")
    uids = sorted({int(x) for chunk in data if chunk for x in chunk.split()})
    return [u for u in uids if u > last_uid]  # "n:*" always returns the newest, even below n


def _fetch_raw(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    status, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def mailbox_fetch(*, mailbox: Mailbox, limit: int = BATCH) -> FetchResult:
    """Import the mailbox's new mails (at most `limit` now, oldest first); records the
    outcome on the mailbox (`imap_checked_at`, `imap_error`). Never raises for server
    trouble: the error is returned and shown on the mailbox page."""
    result = FetchResult(mailbox_id=mailbox.pk)
    try:
        config = imap_config(mailbox)
        conn = imap_connect(config)
    except (ApplicationError, OSError, imaplib.IMAP4.error) as exc:
        return _finish(mailbox, result, error=_text(exc))
    try:
        uidvalidity = _select(conn, mailbox.imap_folder)
        last_uid = mailbox.imap_last_uid if mailbox.imap_uidvalidity == uidvalidity else 0
        first_time = mailbox.imap_uidvalidity is None or mailbox.imap_uidvalidity != uidvalidity
        uids = _uids_after(conn, last_uid)
        if first_time and mailbox.imap_uidvalidity is None:
            keep = int(getattr(settings, "CRM_MAIL_FIRST_FETCH", 50))
            uids = uids[-keep:] if keep > 0 else []
        for uid in uids[:limit]:
            raw = _fetch_raw(conn, uid)
            if raw is not None:
                message, created = mail_store(mailbox=mailbox, raw=raw, uidvalidity=uidvalidity, uid=uid)
                result.seen += 1
                if created:
                    result.new += 1
                    result.message_ids.append(message.pk)
            Mailbox.objects.filter(pk=mailbox.pk).update(imap_uidvalidity=uidvalidity, imap_last_uid=uid)
            mailbox.imap_uidvalidity, mailbox.imap_last_uid = uidvalidity, uid
        if mailbox.imap_uidvalidity != uidvalidity:
            Mailbox.objects.filter(pk=mailbox.pk).update(imap_uidvalidity=uidvalidity, imap_last_uid=last_uid)
            mailbox.imap_uidvalidity, mailbox.imap_last_uid = uidvalidity, last_uid
    except (OSError, imaplib.IMAP4.error) as exc:
        return _finish(mailbox, result, error=_text(exc))
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()
    return _finish(mailbox, result)


def _text(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {message}"[:1000]


def _finish(mailbox: Mailbox, result: FetchResult, *, error: str = "") -> FetchResult:
    result.error = error
    now = timezone.now()
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_checked_at=now, imap_error=error)
    mailbox.imap_checked_at, mailbox.imap_error = now, error
    if error:
        logger.warning("mail fetch of mailbox %s failed: %s", mailbox.pk, error)
    return result
