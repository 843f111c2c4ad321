"""Writes of email: mailboxes and who may use them (PL-11, CM-3), composing, replying and
forwarding (CM-2), read marks. Every outgoing mail is queued through
`crm.messaging.sending.messages_queue` and leaves through the "msg.email" transport."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.items.selectors import attachments_for_item
from crm.core.items.services import attachment_add
from crm.core.permissions.access import require_perm
from crm.core.richtext import sanitize_html
from crm.core.timeline.services import timeline_record
from crm.identities.selectors import identity_base_for_user
from crm.messaging.access import mailboxes_for_user, messages_visible_to
from crm.messaging.mail.building import html_to_text, message_id_for, typed_addresses
from crm.messaging.mail.errors import MailError, MailErrorCode
from crm.messaging.models import AccountAccess, Channel, Mailbox, Message
from crm.messaging.sending import (
    MESSAGE_ITEM,
    AddressError,
    Outgoing,
    message_summary,
    messages_queue,
    normalise_address,
)

MAX_RECIPIENTS = 50
MAILBOX_FIELDS = {
    "name",
    "address",
    "smtp_host",
    "smtp_port",
    "smtp_username",
    "smtp_password",
    "smtp_security",
    "imap_host",
    "imap_port",
    "imap_username",
    "imap_password",
    "imap_security",
    "imap_folder",
    "signature",
    "is_default",
    "active",
}
IMAP_IDENTITY = ("imap_host", "imap_port", "imap_username", "imap_folder")


# --- mailboxes ----------------------------------------------------------------------------


def mailbox_may_change(user: Any, mailbox: Mailbox) -> bool:
    """A personal mailbox is its owner's alone; organisation ones need the change right."""
    if mailbox.kind == Mailbox.Kind.PERSONAL:
        return mailbox.owner_id == getattr(user, "pk", None)
    return bool(getattr(user, "is_authenticated", False) and user.has_perm("messaging.change_mailbox"))


@transaction.atomic
def mailbox_save(*, actor: Any, values: dict[str, Any], mailbox: Mailbox | None = None) -> Mailbox:
    """Create or change a mailbox. An empty password keeps the stored one (passwords are
    never shown back). A new personal mailbox belongs to the actor."""
    clean = {k: v for k, v in values.items() if k in MAILBOX_FIELDS}
    clean = {k: v for k, v in clean.items() if not (k.endswith("_password") and not v)}
    if "address" in clean:
        clean["address"] = (clean["address"] or "").strip()
    if mailbox is None:
        kind = values.get("kind") or Mailbox.Kind.ORGANISATION
        if kind == Mailbox.Kind.PERSONAL:
            if not getattr(actor, "is_authenticated", False):
                raise MailError(MailErrorCode.NOT_PERSONAL)
            mailbox = Mailbox(kind=kind, owner=actor, **clean)
        else:
            require_perm(actor, "messaging.add_mailbox")
            mailbox = Mailbox(kind=Mailbox.Kind.ORGANISATION, **clean)
        mailbox.full_clean(exclude=["smtp_password", "imap_password"])
        tracked_create(obj=mailbox, actor=actor, action="mailbox.created")
    else:
        mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if not mailbox_may_change(actor, mailbox):
            if mailbox.kind == Mailbox.Kind.PERSONAL:
                raise MailError(MailErrorCode.NOT_PERSONAL)
            require_perm(actor, "messaging.change_mailbox")
        if any(k in clean and clean[k] != getattr(mailbox, k) for k in IMAP_IDENTITY):
            # another IMAP account or folder: its UIDs mean nothing here; the per-mailbox
            # provider reference (Message-ID) still keeps mails from being stored twice
            clean.update(imap_uidvalidity=None, imap_last_uid=0, imap_error="")
        tracked_update(obj=mailbox, actor=actor, action="mailbox.updated", **clean)
    if mailbox.is_default:
        others = Mailbox.objects.filter(kind=mailbox.kind, is_default=True).exclude(pk=mailbox.pk)
        if mailbox.kind == Mailbox.Kind.PERSONAL:
            others = others.filter(owner=mailbox.owner)
        others.update(is_default=False)
    from crm.messaging.mail.jobs import mail_fetch_ensure

    mail_fetch_ensure()
    return mailbox


@transaction.atomic
def mailbox_access_set(*, actor: Any, mailbox: Mailbox, grants: dict[int, bool]) -> list[AccountAccess]:
    """Who may read an organisation mailbox's messages (and send from it): user id ->
    may send. No grants at all means open to all staff for sending (see access.py)."""
    require_perm(actor, "messaging.change_mailbox")
    if mailbox.kind != Mailbox.Kind.ORGANISATION:
        raise MailError(MailErrorCode.NOT_PERSONAL)
    before = {g.user_id: g.can_send for g in AccountAccess.objects.filter(mailbox=mailbox)}
    AccountAccess.objects.filter(mailbox=mailbox).exclude(user_id__in=list(grants)).delete()
    rows = []
    for user_id, can_send in grants.items():
        row, _created = AccountAccess.objects.update_or_create(
            mailbox=mailbox, user_id=user_id, defaults={"can_send": bool(can_send)}
        )
        rows.append(row)
    after = {int(k): bool(v) for k, v in grants.items()}
    if before != after:
        audit_record(
            actor=actor,
            target=mailbox,
            action="mailbox.access_changed",
            changes={"grants": [{str(k): v for k, v in before.items()}, {str(k): v for k, v in after.items()}]},
        )
    return rows


def mailbox_for_sending(*, actor: Any, mailbox_id: int | None) -> Mailbox:
    """The mailbox the actor sends from: the one asked for if allowed, else their default."""
    allowed = mailboxes_for_user(actor, send=True)
    if mailbox_id:
        found = allowed.filter(pk=mailbox_id).first()
        if found is None:
            raise MailError(
                MailErrorCode.MAILBOX_NOT_ALLOWED,
                fields={"mailbox": MailError.messages[MailErrorCode.MAILBOX_NOT_ALLOWED]},
            )
        return found
    found = (
        allowed.filter(kind=Mailbox.Kind.PERSONAL, owner=actor).order_by("-is_default", "id").first()
        or allowed.order_by("-is_default", "kind", "id").first()
    )
    if found is None:
        raise MailError(MailErrorCode.NO_MAILBOX)
    return found


# --- composing ----------------------------------------------------------------------------


def _addresses(text: str | Sequence[str], field: str) -> list[str]:
    items = typed_addresses(text) if isinstance(text, str) else [a for t in text for a in typed_addresses(t)]
    found: list[str] = []
    for item in items:
        try:
            address = normalise_address(Channel.EMAIL, item)
            validate_email(address)
        except (AddressError, ValidationError):
            raise MailError(
                MailErrorCode.BAD_ADDRESS,
                fields={field: MailError.messages[MailErrorCode.BAD_ADDRESS] % {"address": item}},
                address=item,
            ) from None
        if address not in found:
            found.append(address)
    return found


def _identity_emails(actor: Any, identity_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(identity id, primary email) of the chosen identities the actor may see."""
    ids = [int(i) for i in identity_ids]
    if not ids:
        return []
    rows = identity_base_for_user(user=actor).filter(pk__in=ids).prefetch_related("emails")
    out = []
    for identity in rows:
        emails = list(identity.emails.all())
        if emails:
            out.append((identity.pk, emails[0].address.strip()))
    return out


def _identities_by_address(actor: Any, addresses: list[str]) -> dict[str, int]:
    if not addresses:
        return {}
    query = Q()
    for address in addresses:
        query |= Q(emails__address__iexact=address)
    rows = (
        identity_base_for_user(user=actor)
        .filter(query)
        .filter(is_unknown=False)
        .values_list("emails__address", "pk")
        .order_by("pk")
    )
    found: dict[str, int] = {}
    for address, pk in rows:
        found.setdefault((address or "").lower(), pk)
    return found


def thread_key_for(*, message_id: str, in_reply_to: str = "", references: Sequence[str] = ()) -> str:
    """The thread of a mail: the thread of the newest known message it refers to, else its own id."""
    refs = [r for r in [in_reply_to, *reversed(list(references))] if r]
    if refs:
        known = dict(Message.objects.filter(message_id__in=refs).values_list("message_id", "thread_key"))
        for ref in refs:
            if ref in known:
                return (known[ref] or ref)[:300]
    return (message_id or (refs[-1] if refs else ""))[:300]


def _copy_files(actor: Any, source: Message, target: Message) -> None:
    for attachment in reversed(list(attachments_for_item(item_type=MESSAGE_ITEM, item_id=source.pk))):
        versions = list(attachment.versions.all())
        if not versions:
            continue
        version = versions[0]
        with version.file.open("rb") as handle:
            data = handle.read()
        upload = SimpleUploadedFile(version.original_name or attachment.name, data, version.content_type)
        attachment_add(actor=actor, item_type=MESSAGE_ITEM, item_id=target.pk, upload=upload, name=attachment.name)


def _recipients(
    actor: Any, to: str | Sequence[str], cc: str | Sequence[str], picked: list[tuple[int, str]]
) -> tuple[list[str], list[str]]:
    to_list = _addresses(to, "to")
    for _pk, address in picked:
        try:
            normal = normalise_address(Channel.EMAIL, address)
        except AddressError:
            continue
        if normal not in to_list:
            to_list.append(normal)
    cc_list = [a for a in _addresses(cc, "cc") if a not in to_list]
    if not to_list:
        raise MailError(MailErrorCode.NO_RECIPIENT, fields={"to": MailError.messages[MailErrorCode.NO_RECIPIENT]})
    if len(to_list) + len(cc_list) > MAX_RECIPIENTS or len(", ".join(to_list)) > 320 or len(", ".join(cc_list)) > 5000:
        raise MailError(MailErrorCode.TOO_MANY_RECIPIENTS)
    return to_list, cc_list


def _bodies(body: str, *, is_html: bool, signature: str) -> tuple[str, str]:
    """(plain text, sanitised HTML or "") with the signature added."""
    if is_html:
        html = sanitize_html(body or "")
        if signature:
            html = f"{html}<p>--<br>{sanitize_html(signature).replace(chr(10), '<br>')}</p>"
        return html_to_text(html), html
    text = (body or "").rstrip()
    if signature:
        text = f"{text}\n\n-- \n{signature}"
    return text, ""


def _linked_identities(
    actor: Any, picked: list[tuple[int, str]], addresses: list[str], reply_to: Message | None
) -> list[int]:
    """The identities a mail goes in the history of: those chosen, those whose address it
    goes to, and the sender of the mail it answers."""
    by_address = _identities_by_address(actor, addresses)
    ids = [pk for pk, _a in picked]
    for address in addresses:
        pk = by_address.get(address.lower())
        if pk and pk not in ids:
            ids.append(pk)
    if reply_to is not None and reply_to.identity_id and reply_to.identity_id not in ids:
        ids.append(reply_to.identity_id)
    return ids


def _thread_headers(reply_to: Message | None, forward_of: Message | None) -> tuple[str, list[str], dict[str, Any]]:
    """(In-Reply-To, References, meta) of a new mail."""
    references: list[str] = []
    in_reply_to = ""
    meta: dict[str, Any] = {}
    if reply_to is not None:
        references = [r for r in ((reply_to.meta or {}).get("references") or "").split() if r]
        if reply_to.message_id:
            references.append(reply_to.message_id)
            in_reply_to = reply_to.message_id
        meta["reply_to"] = reply_to.pk
    if references:
        meta["references"] = " ".join(references[-20:])
    if forward_of is not None:
        meta["forward_of"] = forward_of.pk
    return in_reply_to, references, meta


@transaction.atomic
def email_compose(
    *,
    actor: Any,
    mailbox: Mailbox,
    to: str | Sequence[str] = "",
    cc: str | Sequence[str] = "",
    subject: str = "",
    body: str = "",
    is_html: bool = False,
    files: Sequence[UploadedFile] = (),
    identity_ids: Iterable[int] = (),
    reply_to: Message | None = None,
    forward_of: Message | None = None,
    add_signature: bool = True,
    compose_key: str = "",
) -> Message:
    """Queue one email (To and Cc recipients in one mail). `compose_key` makes a repeated
    submit of the same form one mail. Replies keep the thread (In-Reply-To/References);
    forwards carry the original's attachments."""
    if not mailboxes_for_user(actor, send=True).filter(pk=mailbox.pk).exists():
        raise MailError(
            MailErrorCode.MAILBOX_NOT_ALLOWED, fields={"mailbox": MailError.messages[MailErrorCode.MAILBOX_NOT_ALLOWED]}
        )
    visible = messages_visible_to(actor)
    for parent in (reply_to, forward_of):
        if parent is not None and not visible.filter(pk=parent.pk).exists():
            raise MailError(MailErrorCode.NOT_FOUND)
    prefix = f"mail:{actor.pk}:{(compose_key or uuid.uuid4().hex)[:64]}"
    earlier = Message.objects.filter(dedupe_key=f"{prefix}:mail").first()
    if earlier is not None:
        return earlier
    picked = _identity_emails(actor, identity_ids)
    to_list, cc_list = _recipients(actor, to, cc, picked)
    subject = " ".join((subject or "").split())[:300]
    text, html = _bodies(body, is_html=is_html, signature=(mailbox.signature or "").strip() if add_signature else "")
    if not subject and not text.strip() and not files:
        raise MailError(MailErrorCode.EMPTY_MESSAGE)
    identity_ids_all = _linked_identities(actor, picked, to_list + cc_list, reply_to)
    in_reply_to, references, meta = _thread_headers(reply_to, forward_of)
    (message,) = messages_queue(
        actor=actor,
        channel=Channel.EMAIL,
        items=[
            Outgoing(
                to_address=", ".join(to_list),
                subject=subject,
                body=text,
                html=html,
                identity_id=identity_ids_all[0] if identity_ids_all else None,
                key="mail",
                meta=meta,
            )
        ],
        dedupe_prefix=prefix,
        mailbox=mailbox,
        from_address=mailbox.address,
        history=False,
    )
    message.message_id = message_id_for(message, mailbox.address)
    message.in_reply_to = in_reply_to[:300]
    message.thread_key = (
        thread_key_for(message_id=message.message_id, in_reply_to=in_reply_to, references=references)
        if reply_to is not None
        else message.message_id
    )
    message.cc = ", ".join(cc_list)
    message.save(update_fields=["message_id", "in_reply_to", "thread_key", "cc"])
    for upload in files:
        attachment_add(actor=actor, item_type=MESSAGE_ITEM, item_id=message.pk, upload=upload)
    if forward_of is not None:
        _copy_files(actor, forward_of, message)
    timeline_record(
        identity_ids=identity_ids_all,
        item_type=MESSAGE_ITEM,
        item_id=message.pk,
        occurred_at=message.created_at or timezone.now(),
        summary=message_summary(message),
        actor=actor,
        extra={"channel": Channel.EMAIL, "direction": "out"},
    )
    audit_record(
        actor=actor, target=message, action="message.email_queued", changes={"to": message.to_address, "cc": message.cc}
    )
    return message


def reply_subject(subject: str, prefix: str = "Re") -> str:
    subject = (subject or "").strip()
    if subject.lower().startswith(f"{prefix.lower()}:"):
        return subject
    return f"{prefix}: {subject}".strip()


def message_read_set(*, actor: Any, message: Message, read: bool = True) -> None:
    """Mark an inbound message read (opened) or unread again."""
    if not messages_visible_to(actor).filter(pk=message.pk).exists():
        raise MailError(MailErrorCode.NOT_FOUND)
    if message.direction != Message.Direction.IN:
        return
    value = timezone.now() if read else None
    qs = Message.objects.filter(pk=message.pk)
    qs = qs.filter(read_at__isnull=True) if read else qs
    qs.update(read_at=value)
    message.read_at = value if (read and message.read_at is None) or not read else message.read_at
