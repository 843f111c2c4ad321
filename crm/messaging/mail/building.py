"""Turning a `Message` row into an RFC 5322 email (stdlib `email`), and the Message-ID we
give every outgoing mail: derived from the row's token, so the same row always carries the
same Message-ID — a mail sent again after a crash is recognisable as the same mail."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from html import unescape

from django.utils import timezone

from crm.core.items.selectors import attachments_for_item
from crm.messaging.models import Message
from crm.messaging.sending import MESSAGE_ITEM

_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</(p|div|h[1-6]|li|tr|blockquote|pre)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")


def html_to_text(html: str) -> str:
    """A readable plain-text version of (sanitised) HTML for the text/plain part."""
    text = _BLOCK.sub("\n", html or "")
    text = unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def address_list(text: str) -> list[str]:
    """Addresses out of a To/Cc text ("a@x.com, Name <b@y.com>; c@z.com")."""
    text = (text or "").replace(";", ",").replace("\n", ",")
    return [addr.strip() for _name, addr in getaddresses([text]) if addr.strip()]


def typed_addresses(text: str) -> list[str]:
    """Addresses typed by a person (To/Cc fields): every comma/semicolon/line separated
    entry is kept, so one that is not an address is reported instead of dropped."""
    found = []
    for raw in re.split(r"[,;\n]", text or ""):
        chunk = raw.strip()
        if not chunk:
            continue
        _name, addr = parseaddr(chunk)
        found.append(addr.strip() if addr and "@" in addr else chunk)
    return found


def domain_of(address: str) -> str:
    _local, _sep, domain = (address or "").rpartition("@")
    return domain.strip().lower() or "crm.invalid"


def message_id_for(message: Message, from_address: str = "") -> str:
    return f"<{message.token.hex}@{domain_of(from_address or message.from_address)}>"


def _sender(message: Message) -> str:
    mailbox = message.mailbox
    address = message.from_address or (mailbox.address if mailbox else "")
    name = mailbox.name if mailbox else ""
    try:
        return str(Address(display_name=name, addr_spec=address)) if name else address
    except (ValueError, IndexError):
        return formataddr((name, address)) if name else address


def _unsubscribe(message: Message) -> str:
    if not message.bulk_send_id:
        return ""
    try:
        from crm.messaging import tracking
    except ImportError:
        return ""
    make = getattr(tracking, "unsubscribe_url", None)
    return str(make(message)) if make else ""


def _tracked_html(message: Message, html: str) -> str:
    if not message.bulk_send_id or not html:
        return html
    try:
        from crm.messaging import tracking
    except ImportError:
        return html
    rewrite = getattr(tracking, "rewrite_html", None)
    return str(rewrite(message, html)) if rewrite else html


def message_files(message: Message) -> list[tuple[str, str, bytes]]:
    """(file name, content type, bytes) of the message's live attachments, oldest first."""
    files = []
    for attachment in reversed(list(attachments_for_item(item_type=MESSAGE_ITEM, item_id=message.pk))):
        versions = list(attachment.versions.all())
        if not versions:
            continue
        version = versions[0]
        with version.file.open("rb") as handle:
            files.append((version.original_name or attachment.name, version.content_type, handle.read()))
    return files


def build_email(
    message: Message,
    *,
    to: list[str] | None = None,
    files: list[tuple[str, str, bytes]] | None = None,
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """The email for a queued message (its text, HTML, attachments, thread headers)."""
    mail = EmailMessage()
    mail["From"] = _sender(message)
    mail["To"] = ", ".join(to if to is not None else address_list(message.to_address))
    cc = address_list(message.cc)
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(timezone.localtime(message.created_at or timezone.now()))
    mail["Message-ID"] = message.message_id or message_id_for(message)
    if message.in_reply_to:
        mail["In-Reply-To"] = message.in_reply_to
    references = (message.meta or {}).get("references") or ""
    if references:
        mail["References"] = references
    mail["X-CRM-Message"] = message.dedupe_key[:200]
    unsubscribe = _unsubscribe(message)
    if unsubscribe:
        mail["List-Unsubscribe"] = f"<{unsubscribe}>"
    for name, value in (extra_headers or {}).items():
        mail[name] = value
    text = message.body or html_to_text(message.html)
    html = _tracked_html(message, message.html)
    if unsubscribe:
        if unsubscribe not in text:
            text = f"{text}\n\n--\n{unsubscribe}"
        if html and unsubscribe not in html:
            html = f'{html}<p><a href="{unsubscribe}">{unsubscribe}</a></p>'
    mail.set_content(text or " ")
    if html:
        mail.add_alternative(html, subtype="html")
    for name, content_type, data in files if files is not None else message_files(message):
        maintype, _sep, subtype = (content_type or "application/octet-stream").partition("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return mail


def recipients_of(mail: EmailMessage) -> list[str]:
    found: list[str] = []
    for header in ("To", "Cc", "Bcc"):
        for _name, addr in getaddresses(mail.get_all(header, [])):
            if addr and addr not in found:
                found.append(addr)
    return found


def envelope_sender(message: Message) -> str:
    return message.from_address or (message.mailbox.address if message.mailbox else "")
