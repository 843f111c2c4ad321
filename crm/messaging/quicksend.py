"""Quick send (CM-1): an SMS, email or fax to one identity, a selection, or everything an
identities list shows — from a profile, a list, or another context (payment links).

The sender picks a line or mailbox they may send from (`crm.messaging.access`), a template
or free text; each recipient gets the text filled with their own placeholders. Recipients
the sender may not see are dropped before anything else (never messaged); identities
without a usable address and suppressed addresses are reported, not sent to. Everything
is queued through `messages_queue` under one dedupe prefix, so a retried request sends
nothing twice. More than `QUICK_SEND_LIMIT` recipients belong in a bulk send."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.core.customfields.selectors import custom_field_definitions
from crm.core.errors import ApplicationError
from crm.core.i18n.calendars import parse_user_date
from crm.core.i18n.digits import to_latin_digits
from crm.core.permissions.access import hidden_fields
from crm.core.richtext import sanitize_html
from crm.identities.models import Email, Identity, Phone
from crm.identities.selectors import (
    IdentityFilters,
    categories_for_user,
    identity_base_for_user,
    identity_list_for_user,
)
from crm.messaging.access import fax_lines_for_user, mailboxes_for_user, sms_lines_for_user
from crm.messaging.models import Channel, FaxLine, Mailbox, Message, SmsLine, Template
from crm.messaging.placeholders import identity_values, template_render
from crm.messaging.sending import AddressError, Outgoing, messages_queue, normalise_address
from crm.messaging.template_services import html_to_plain

QUICK_SEND_LIMIT = 5000
ACCOUNT_MODELS: dict[str, type] = {Channel.SMS: SmsLine, Channel.EMAIL: Mailbox, Channel.FAX: FaxLine}


class QuickSendErrorCode(StrEnum):
    NO_ACCOUNT = "no_account"
    ACCOUNT_NOT_ALLOWED = "account_not_allowed"
    NO_RECIPIENTS = "no_recipients"
    TOO_MANY = "too_many"
    EMPTY = "empty"
    TEMPLATE_CHANNEL = "template_channel"


class QuickSendError(ApplicationError):
    status = 400
    messages = {
        QuickSendErrorCode.NO_ACCOUNT: _(
            "You have no line or mailbox to send this from. Ask an administrator for access to one."
        ),
        QuickSendErrorCode.ACCOUNT_NOT_ALLOWED: _("You may not send from this line or mailbox."),
        QuickSendErrorCode.NO_RECIPIENTS: _("Choose at least one recipient."),
        QuickSendErrorCode.TOO_MANY: _(
            "That is more than %(limit)s recipients: use a bulk send, which sends in chunks and reports on them."
        ),
        QuickSendErrorCode.EMPTY: _("Write a message or choose a template."),
        QuickSendErrorCode.TEMPLATE_CHANNEL: _("That template is for another channel."),
    }


# --- accounts -------------------------------------------------------------------------------


def accounts_for(user: Any, channel: str) -> QuerySet[Any]:
    """The lines or mailboxes the user may send `channel` messages from."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return SmsLine.objects.none()
    if channel == Channel.SMS:
        return sms_lines_for_user(user, send=True).order_by("-is_default", "name")
    if channel == Channel.EMAIL:
        return mailboxes_for_user(user, send=True).order_by("-is_default", "kind", "name")
    return fax_lines_for_user(user, send=True).order_by("-is_default", "name")


def account_pick(user: Any, channel: str, account: Any = None) -> SmsLine | Mailbox | FaxLine:
    """The account to send from: the one asked for if the user may use it, else their default."""
    usable = accounts_for(user, channel)
    if account is not None:
        model = ACCOUNT_MODELS[Channel(channel)]
        if isinstance(account, tuple(ACCOUNT_MODELS.values())) and not isinstance(account, model):
            raise QuickSendError(QuickSendErrorCode.ACCOUNT_NOT_ALLOWED)
        try:
            pk = int(getattr(account, "pk", account))
        except (TypeError, ValueError):
            raise QuickSendError(QuickSendErrorCode.ACCOUNT_NOT_ALLOWED) from None
        found = usable.filter(pk=pk).first()
        if found is None:
            raise QuickSendError(QuickSendErrorCode.ACCOUNT_NOT_ALLOWED)
        return found
    found = usable.first()
    if found is None:
        raise QuickSendError(QuickSendErrorCode.NO_ACCOUNT)
    return found


def _from_address(channel: str, account: Any) -> str:
    return account.address if channel == Channel.EMAIL else account.number


# --- recipients -----------------------------------------------------------------------------


def addresses_of(channel: str, identity_ids: list[int]) -> dict[int, str]:
    """Each identity's address for the channel (batch): a mobile for SMS (any non-fax phone
    when it has no mobile), the primary email, a fax number."""
    found: dict[int, str] = {}
    if channel == Channel.EMAIL:
        rows = Email.objects.filter(identity_id__in=identity_ids).order_by("identity_id", "-is_primary", "id")
        for identity_id, address in rows.values_list("identity_id", "address"):
            found.setdefault(identity_id, address)
        return found
    rows = Phone.objects.filter(identity_id__in=identity_ids).order_by("identity_id", "-is_primary", "id")
    phones = list(rows.values_list("identity_id", "kind", "number"))
    if channel == Channel.FAX:
        for identity_id, kind, number in phones:
            if kind == Phone.Kind.FAX:
                found.setdefault(identity_id, number)
        return found
    for identity_id, kind, number in phones:
        if kind == Phone.Kind.MOBILE:
            found.setdefault(identity_id, number)
    for identity_id, kind, number in phones:
        if kind != Phone.Kind.FAX:
            found.setdefault(identity_id, number)
    return found


def _int_ids(values: Iterable[Any]) -> list[int]:
    out = []
    for value in values:
        text = to_latin_digits(str(value)).strip()
        if text.isdigit():
            out.append(int(text))
    return list(dict.fromkeys(out))


def parse_ids(text: str) -> list[int]:
    return _int_ids(to_latin_digits(text or "").replace("،", ",").split(","))


def _custom_filters(params: dict[str, str], user: Any) -> list[tuple[Any, str, Any]]:
    hidden = hidden_fields(user, Identity)
    found = []
    for definition in custom_field_definitions(model=Identity):
        raw = params.get(f"cf_{definition.key}", "").strip()
        if not raw or f"custom.{definition.key}" in hidden:
            continue
        op = {"multi_choice": "has", "text": "contains", "long_text": "contains"}.get(definition.kind, "eq")
        value: Any = raw
        if definition.kind in ("number", "money"):
            try:
                value = Decimal(to_latin_digits(raw).replace("٬", "").replace(",", "").replace("٫", "."))
            except InvalidOperation:
                continue
        elif definition.kind == "date":
            parsed = parse_user_date(raw)
            if parsed is None:
                continue
            value = parsed.isoformat()
        elif definition.kind not in ("choice", "multi_choice", "text", "long_text"):
            continue
        found.append((definition, op, value))
    return found


def identity_filters_from_query(user: Any, query: str, preset: str = "all") -> IdentityFilters:
    """The filters an identities list URL's query string means (the same parameters as the
    identities list page: q, kind, category, customers, unknown, assigned, city, colour,
    class_code, cf_<key>); `preset` is the list it came from: all, customers or mine."""
    params = {k: v[-1] for k, v in parse_qs(query or "", keep_blank_values=False).items()}
    filters = IdentityFilters(
        q=params.get("q", ""),
        kind=params.get("kind", "") if params.get("kind") in Identity.Kind.values else "",
        customers_only=bool(params.get("customers")) or preset == "customers",
        unknown=True if params.get("unknown") else None,
        city=params.get("city", "").strip(),
        colour=params.get("colour", "") if params.get("colour") in Identity.Colour.values else "",
        class_code=to_latin_digits(params.get("class_code", "")).strip(),
        custom=_custom_filters(params, user),
    )
    category = params.get("category", "")
    if category.isdigit():
        filters.category = categories_for_user(user=user).filter(pk=int(category)).first()
    assigned = params.get("assigned", "")
    if preset == "mine" or assigned == "me":
        filters.assigned_to = user
    elif assigned.isdigit():
        from crm.org.models import User

        filters.assigned_to = User.objects.filter(pk=int(assigned)).first()
    return filters


def identity_ids_from_list_query(user: Any, query: str, preset: str = "all", *, limit: int | None = None) -> list[int]:
    qs = identity_list_for_user(user=user, filters=identity_filters_from_query(user, query, preset))
    ids = qs.values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)


def visible_identity_ids(user: Any, identity_ids: Iterable[Any]) -> list[int]:
    """Of these ids, the identities the user may see, in the order given."""
    wanted = _int_ids(identity_ids)
    seen: set[int] = set()
    for start in range(0, len(wanted), 2000):
        chunk = wanted[start : start + 2000]
        seen.update(identity_base_for_user(user=user).filter(pk__in=chunk).values_list("pk", flat=True))
    return [pk for pk in wanted if pk in seen]


# --- sending --------------------------------------------------------------------------------


@dataclass
class QuickSendResult:
    messages: list[Message] = field(default_factory=list)
    skipped_hidden: int = 0  # ids the sender may not see: dropped, never messaged
    no_address: list[int] = field(default_factory=list)  # identities without an address for the channel
    invalid: list[str] = field(default_factory=list)  # typed addresses that are not usable
    account: Any = None

    @property
    def queued(self) -> int:
        return sum(1 for m in self.messages if m.status != Message.Status.SUPPRESSED)

    @property
    def suppressed(self) -> int:
        return sum(1 for m in self.messages if m.status == Message.Status.SUPPRESSED)


def _content(
    channel: str, template: Template | None, body: str, subject: str, is_html: bool | None
) -> tuple[str, str, bool]:
    if template is not None:
        if template.channel != channel:
            raise QuickSendError(QuickSendErrorCode.TEMPLATE_CHANNEL)
        body = body or template.body
        subject = subject or template.subject
        is_html = template.is_html if is_html is None else is_html
    if not (body or "").strip():
        raise QuickSendError(QuickSendErrorCode.EMPTY)
    return body, subject, bool(is_html) and channel == Channel.EMAIL


def _render(channel: str, body: str, subject: str, is_html: bool, values: dict[str, Any]) -> Outgoing:
    if is_html:
        html = sanitize_html(template_render(body, values, html=True))
        text = html_to_plain(html)
    else:
        html, text = "", template_render(body, values).strip()
    return Outgoing(to_address="", body=text, html=html, subject=template_render(subject, values).strip())


def _typed_recipients(
    user: Any, channel: str, addresses: Iterable[str], result: QuickSendResult
) -> list[tuple[str, int | None]]:
    """Typed numbers/addresses, each linked to a visible identity that has it (for history)."""
    normal: list[str] = []
    for raw in addresses:
        if not (raw or "").strip():
            continue
        try:
            normal.append(normalise_address(channel, raw))
        except AddressError:
            result.invalid.append(raw.strip())
    normal = list(dict.fromkeys(normal))
    visible = identity_base_for_user(user=user)
    if channel == Channel.EMAIL:
        rows = Email.objects.filter(address__in=normal, identity__in=visible).values_list("address", "identity_id")
    else:
        rows = Phone.objects.filter(number__in=normal, identity__in=visible).values_list("number", "identity_id")
    owner: dict[str, int] = {}
    for address, identity_id in rows.order_by("identity_id"):
        owner.setdefault(address, identity_id)
    return [(address, owner.get(address)) for address in normal]


def quick_send_report(
    *,
    actor: Any,
    channel: str,
    identity_ids: Iterable[Any] | None = None,
    addresses: Iterable[str] | None = None,
    template: Template | None = None,
    body: str = "",
    subject: str = "",
    account: Any = None,
    is_html: bool | None = None,
    values: dict[str, Any] | None = None,
    dedupe_prefix: str | None = None,
) -> QuickSendResult:
    """Queue one message per recipient; reports what was queued, suppressed and skipped.
    `values` adds placeholders for every recipient (e.g. `{"payment.link": url}`)."""
    channel = Channel(channel)
    result = QuickSendResult()
    result.account = account = account_pick(actor, channel, account)
    body, subject, html = _content(channel, template, body, subject, is_html)
    wanted = _int_ids(identity_ids or [])
    ids = visible_identity_ids(actor, wanted)
    result.skipped_hidden = len(wanted) - len(ids)
    typed = _typed_recipients(actor, channel, addresses or [], result)
    if len(ids) + len(typed) > QUICK_SEND_LIMIT:
        raise QuickSendError(QuickSendErrorCode.TOO_MANY, limit=QUICK_SEND_LIMIT)
    if not ids and not typed:
        if result.skipped_hidden or result.invalid:
            return result
        raise QuickSendError(QuickSendErrorCode.NO_RECIPIENTS)
    found = addresses_of(channel, ids)
    result.no_address = [pk for pk in ids if pk not in found]
    filled = identity_values([pk for pk in ids if pk in found] + [pk for _a, pk in typed if pk], user=actor)
    extra = values or {}
    items: list[Outgoing] = []
    for pk in ids:
        if pk not in found:
            continue
        try:
            to = normalise_address(channel, found[pk])
        except AddressError:
            result.no_address.append(pk)
            continue
        item = _render(channel, body, subject, html, {**filled.get(pk, {}), **extra})
        item.to_address, item.identity_id, item.key = to, pk, f"i{pk}"
        items.append(item)
    for address, pk in typed:
        item = _render(channel, body, subject, html, {**(filled.get(pk, {}) if pk else {}), **extra})
        item.to_address, item.identity_id, item.key = address, pk, f"a{address}"
        items.append(item)
    result.messages = messages_queue(
        actor=actor,
        channel=channel,
        items=items,
        dedupe_prefix=dedupe_prefix or f"quick:{uuid.uuid4().hex}",
        sms_line=account if channel == Channel.SMS else None,
        mailbox=account if channel == Channel.EMAIL else None,
        fax_line=account if channel == Channel.FAX else None,
        template=template,
        from_address=_from_address(channel, account),
    )
    return result


def quick_send(
    *,
    actor: Any,
    channel: str,
    identity_ids: Iterable[Any] | None = None,
    addresses: Iterable[str] | None = None,
    template: Template | None = None,
    body: str = "",
    subject: str = "",
    account: Any = None,
    is_html: bool | None = None,
    values: dict[str, Any] | None = None,
    dedupe_prefix: str | None = None,
) -> list[Message]:
    """`quick_send_report(...)` for callers that only need the messages (other contexts)."""
    return quick_send_report(
        actor=actor,
        channel=channel,
        identity_ids=identity_ids,
        addresses=addresses,
        template=template,
        body=body,
        subject=subject,
        account=account,
        is_html=is_html,
        values=values,
        dedupe_prefix=dedupe_prefix,
    ).messages
