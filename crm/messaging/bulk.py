"""Bulk sends (CM-6): drafts, recipients from many sources, queueing exactly once, pacing,
pause / resume / cancel, resend by delivery status, stats.

Exactly once: starting a send writes one `Message` + one outbox row per recipient through
`messages_queue`, keyed `bulk:<send id>:<address>`. Starting again, a due job run twice, or a
queueing run that died half-way and is run again finds the rows already written and writes
nothing more; the outbox workers then send each row once.

Pacing: recipients are queued in order; chunk k (of `chunk_size` recipients) is due at
start + k × chunk_size / rate_per_minute minutes. Pause moves the pending outbox rows far
into the future, resume spreads them again from now, cancel cancels them (messages whose
row was not yet taken by a worker become `cancelled`).

Personalisation runs per chunk of a few thousand recipients with M3's
`crm.messaging.placeholders.identity_values` / `template_render`; nothing holds all the
rendered messages at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record
from crm.core.errors import ApplicationError
from crm.core.notifications.models import OutboxMessage
from crm.core.notifications.services import outbox_cancel, outbox_reschedule
from crm.core.richtext import sanitize_html
from crm.core.scheduling.services import due_handler, due_job_cancel, due_job_schedule
from crm.core.templating import placeholders_in, render_text
from crm.messaging.access import mailboxes_for_user, sms_lines_for_user
from crm.messaging.bulk_selectors import (
    bulk_send_get_for_user,
    can_manage_bulk_send,
    group_get_for_user,
)
from crm.messaging.models import BulkSend, Channel, Message, TargetGroup, TargetGroupMember, Template
from crm.messaging.sending import AddressError, Outgoing, messages_queue, normalise_address

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
CHUNK = 2000  # recipients personalised and written per round
START_JOB = "messaging.bulk_start"
FAR_AWAY = dt.timedelta(days=3650)
RESEND_STATUSES = {"failed", "sent", "cancelled", "queued"}  # "sent" = handed over, never delivered


class BulkErrorCode(StrEnum):
    NOT_ALLOWED = "bulk_not_allowed"
    NOT_DRAFT = "bulk_not_draft"
    NO_TEXT = "bulk_no_text"
    BAD_CHANNEL = "bulk_bad_channel"
    NO_ACCOUNT = "bulk_no_account"
    BAD_SOURCE = "bulk_bad_source"
    BAD_STATE = "bulk_bad_state"
    BAD_FILE = "bulk_bad_file"
    NO_NAME = "bulk_no_name"


class BulkError(ApplicationError):
    messages = {
        BulkErrorCode.NOT_ALLOWED: _("You may not do this with this bulk send."),
        BulkErrorCode.NOT_DRAFT: _("Only a draft can be changed."),
        BulkErrorCode.NO_TEXT: _("Write the text or choose a template."),
        BulkErrorCode.BAD_CHANNEL: _("Bulk sends go by SMS or email."),
        BulkErrorCode.NO_ACCOUNT: _("Choose a line or mailbox you may send from."),
        BulkErrorCode.BAD_SOURCE: _("Choose who gets this send."),
        BulkErrorCode.BAD_STATE: _("This cannot be done while the send is “%(status)s”."),
        BulkErrorCode.BAD_FILE: _("The file could not be read: %(reason)s"),
        BulkErrorCode.NO_NAME: _("Give the send a name."),
    }


# --- recipient sources ----------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientSource:
    """A list whose saved filters can be sent to: `resolve(user, query_string)` gives the
    identity ids of the list's rows that user may see (e.g. invoices → their customers)."""

    list_key: str
    label: Any
    resolve: Callable[[Any, str], Iterable[int]]


_sources: dict[str, RecipientSource] = {}


def register_recipient_source(list_key: str, label: Any, resolve: Callable[[Any, str], Iterable[int]]) -> None:
    _sources[list_key] = RecipientSource(list_key, label, resolve)


def recipient_sources() -> list[RecipientSource]:
    return list(_sources.values())


def recipient_source_get(list_key: str) -> RecipientSource | None:
    return _sources.get(list_key)


FILTERABLE_CUSTOM = {"choice", "multi_choice", "text", "long_text", "number", "money", "date"}


def identity_filters_from_query(user: Any, query: str, *, preset: str = "all") -> Any:
    """The identities list's query string (q, kind, category, customers, unknown, assigned,
    city, colour, class_code, cf_<key>) as `IdentityFilters`, read the way the list page
    reads it: invalid parts are ignored."""
    from crm.core.customfields.selectors import custom_field_definitions
    from crm.core.i18n.calendars import parse_user_date
    from crm.core.i18n.digits import to_latin_digits
    from crm.core.permissions.access import hidden_fields
    from crm.identities import selectors
    from crm.identities.models import Identity

    params = dict(parse_qsl((query or "").lstrip("?")))
    f = selectors.IdentityFilters(q=params.get("q", "")[:200])
    if params.get("kind") in Identity.Kind.values:
        f.kind = params["kind"]
    if params.get("category", "").isdigit():
        f.category = selectors.categories_for_user(user=user).filter(pk=int(params["category"])).first()
    truthy = {"on", "1", "true", "True"}
    f.customers_only = params.get("customers") in truthy or preset == "customers"
    f.unknown = True if params.get("unknown") in truthy else None
    f.city = params.get("city", "").strip()[:80]
    if params.get("colour") in Identity.Colour.values:
        f.colour = params["colour"]
    f.class_code = to_latin_digits(params.get("class_code", "")).strip()[:20]
    assigned = params.get("assigned", "")
    if preset == "mine" or assigned == "me":
        f.assigned_to = user
    elif assigned.isdigit():
        from django.contrib.auth import get_user_model

        f.assigned_to = get_user_model().objects.filter(pk=int(assigned), is_active=True).first()
    hidden = hidden_fields(user, Identity)
    for definition in custom_field_definitions(model=Identity):
        raw = params.get(f"cf_{definition.key}", "").strip()
        if not raw or definition.kind not in FILTERABLE_CUSTOM or f"custom.{definition.key}" in hidden:
            continue
        value: Any = raw
        op = {"multi_choice": "has", "text": "contains", "long_text": "contains"}.get(definition.kind, "eq")
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
        f.custom.append((definition, op, value))
    return f


def _identity_resolver(preset: str) -> Callable[[Any, str], Iterable[int]]:
    def resolve(user: Any, query: str) -> Iterable[int]:
        from crm.identities.selectors import identity_list_for_user

        filters = identity_filters_from_query(user, query, preset=preset)
        return identity_list_for_user(user=user, filters=filters).values_list("pk", flat=True)

    return resolve


register_recipient_source("identities", _("Identities"), _identity_resolver("all"))
register_recipient_source("customers", _("Customers"), _identity_resolver("customers"))
register_recipient_source("my_identities", _("My assigned identities"), _identity_resolver("mine"))


# --- recipients -----------------------------------------------------------------------------


@dataclass
class Recipient:
    address: str  # as given; normalised later
    identity_id: int | None = None
    name: str = ""


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids))


def _identity_ids(send: BulkSend, user: Any) -> list[int] | None:
    """Identity ids of identity-based sources (None for address lists)."""
    from crm.identities.selectors import categories_for_user, identity_base_for_user

    params = send.source_params or {}
    source = send.source
    if source == BulkSend.Source.CATEGORIES:
        from crm.identities.models import Category, IdentityCategory

        allowed = categories_for_user(user=user).filter(pk__in=[int(i) for i in params.get("ids", [])])
        paths = list(allowed.values_list("path", flat=True))
        if not paths:
            return []
        q = Q()
        for path in paths:
            q |= Q(path__startswith=path)
        cats = Category.objects.filter(q).values("pk")
        linked = IdentityCategory.objects.filter(category_id__in=cats).values("identity_id")
        return _unique(
            identity_base_for_user(user=user).filter(pk__in=linked).order_by("pk").values_list("pk", flat=True)
        )
    if source == BulkSend.Source.TARGET_GROUP:
        group_id = send.target_group_id or params.get("id")
        members = TargetGroupMember.objects.filter(group_id=group_id).values("identity_id")
        return _unique(
            identity_base_for_user(user=user).filter(pk__in=members).order_by("pk").values_list("pk", flat=True)
        )
    if source == BulkSend.Source.SAVED_FILTER:
        list_key, query = params.get("list_key", "identities"), params.get("query", "")
        if params.get("saved_filter"):
            from crm.core.lists.selectors import saved_filter_get_for

            saved = saved_filter_get_for(user=user, pk=int(params["saved_filter"]))
            if saved is None:
                raise BulkError(BulkErrorCode.BAD_SOURCE)
            list_key, query = saved.list_key, saved.query
        found = recipient_source_get(list_key)
        if found is None:
            raise BulkError(BulkErrorCode.BAD_SOURCE)
        return _unique(found.resolve(user, query))
    return None


def _address_rows(send: BulkSend) -> Iterator[Recipient]:
    params = send.source_params or {}
    if send.source == BulkSend.Source.NUMBERS:
        for line in params.get("lines", []):
            parts = [p.strip() for p in str(line).replace("\t", ",").split(",", 1)]
            if parts and parts[0]:
                yield Recipient(parts[0], None, parts[1] if len(parts) > 1 else "")
    elif send.source == BulkSend.Source.EXCEL:
        for row in params.get("rows", []):
            if row and str(row[0]).strip():
                yield Recipient(str(row[0]).strip(), None, str(row[1]).strip() if len(row) > 1 and row[1] else "")
    elif send.source == BulkSend.Source.RESEND:
        original = BulkSend.objects.filter(pk=params.get("send") or send.resend_of_id).first()
        if original is None:
            return
        statuses = [s for s in params.get("statuses", []) if s in RESEND_STATUSES] or ["failed"]
        rows = (
            Message.objects.filter(bulk_send=original, status__in=statuses)
            .order_by("id")
            .values_list("to_address", "identity_id")
        )
        for address, identity_id in rows.iterator(chunk_size=CHUNK):
            yield Recipient(address, identity_id, "")


def _addresses_for(channel: str, identity_ids: Sequence[int]) -> dict[int, str]:
    """One address per identity: for SMS a mobile (primary first), for email the primary."""
    from crm.identities.models import Email, Phone

    found: dict[int, str] = {}
    if channel == Channel.EMAIL:
        rows = Email.objects.filter(identity_id__in=identity_ids).order_by("-is_primary", "id")
        for identity_id, address in rows.values_list("identity_id", "address"):
            found.setdefault(identity_id, address)
        return found
    kinds = [Phone.Kind.FAX] if channel == Channel.FAX else [Phone.Kind.MOBILE]
    rows = Phone.objects.filter(identity_id__in=identity_ids, kind__in=kinds).order_by("-is_primary", "id")
    for identity_id, number in rows.values_list("identity_id", "number"):
        found.setdefault(identity_id, number)
    return found


def _match_identities(channel: str, user: Any, addresses: Sequence[str]) -> dict[str, int]:
    """Identities (visible to the user) owning typed/uploaded addresses: the message lands in
    their history and is personalised for them."""
    from crm.identities.selectors import identity_base_for_user

    if not addresses:
        return {}
    visible = identity_base_for_user(user=user)
    if channel == Channel.EMAIL:
        from crm.identities.models import Email

        rows = Email.objects.filter(address__in=addresses, identity__in=visible).values_list("address", "identity_id")
    else:
        from crm.identities.models import Phone

        rows = Phone.objects.filter(number__in=addresses, identity__in=visible).values_list("number", "identity_id")
    out: dict[str, int] = {}
    for address, identity_id in rows:
        out.setdefault(address, identity_id)
    return out


def _recipient_chunks(send: BulkSend, user: Any) -> Iterator[list[Recipient]]:
    ids = _identity_ids(send, user)
    if ids is not None:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            addresses = _addresses_for(send.channel, chunk)
            yield [Recipient(addresses.get(i, ""), i, "") for i in chunk]
        return
    rows = _address_rows(send)
    while True:
        chunk = list(itertools.islice(rows, CHUNK))
        if not chunk:
            return
        yield chunk


# --- personalisation ------------------------------------------------------------------------


def _placeholders() -> tuple[Callable[[list[int]], dict[int, dict[str, str]]], Callable[..., str]]:
    try:
        from crm.messaging.placeholders import identity_values, template_render
    except ImportError:  # M3's module not there: names only, core rendering

        def identity_values(ids: list[int]) -> dict[int, dict[str, str]]:
            from crm.identities.models import Identity

            rows = Identity.objects.filter(pk__in=ids).values_list("pk", "display_name", "first_name", "last_name")
            return {
                pk: {"identity.display_name": d, "identity.first_name": f, "identity.last_name": last}
                for pk, d, f, last in rows
            }

        def template_render(text: str, values: dict[str, Any], *, html: bool = False) -> str:
            return render_text(text, values, escape_html=html)

    return identity_values, template_render


def _address_key(address: str) -> str:
    return address if len(address) <= 150 else hashlib.sha256(address.encode()).hexdigest()


def _spread(send: BulkSend, start: dt.datetime, index: int) -> dt.datetime:
    if not send.rate_per_minute:
        return start
    chunk = max(1, send.chunk_size)
    return start + dt.timedelta(seconds=(index // chunk) * chunk * 60 / send.rate_per_minute)


def _match_typed(send: BulkSend, user: Any, chunk: list[Recipient]) -> None:
    """Typed or uploaded addresses that belong to an identity get it (history, placeholders)."""
    normalised = []
    for r in chunk:
        try:
            normalised.append(normalise_address(send.channel, r.address))
        except AddressError:
            normalised.append("")
    owners = _match_identities(send.channel, user, [a for a in normalised if a])
    for r, address in zip(chunk, normalised, strict=True):
        if address:
            r.identity_id = owners.get(address)


def _render(
    send: BulkSend, r: Recipient, address: str, values: dict[int, dict[str, str]] | None, render: Any
) -> Outgoing:
    """One recipient's message; `values` is None when the text has no placeholders."""
    if values is not None:
        mine = dict(values.get(r.identity_id, {})) if r.identity_id else {}
        if r.name:
            mine.setdefault("identity.display_name", r.name)
            mine.setdefault("identity.first_name", r.name)
        body = render(send.body, mine, html=send.is_html)
        subject = render(send.subject, mine) if send.subject else ""
    else:
        body, subject = send.body, send.subject
    html = ""
    if send.channel == Channel.EMAIL and send.is_html:
        html, body = body, " ".join(strip_tags(body).split())
    return Outgoing(
        to_address=address, body=body, subject=subject, html=html, identity_id=r.identity_id, key=_address_key(address)
    )


@dataclass
class _Run:
    """What one queueing run has seen so far."""

    send: BulkSend
    start: dt.datetime
    trusted: bool  # addresses from identities' phones: E.164 already
    skipped: dict[str, int]
    seen: set[str]
    index: int = 0

    def address(self, r: Recipient) -> str | None:
        if not r.address:
            self.skipped["no_address"] += 1
            return None
        if self.trusted and E164.match(r.address):
            address = r.address
        else:
            try:
                address = normalise_address(self.send.channel, r.address)
            except AddressError:
                self.skipped["invalid"] += 1
                return None
        if address in self.seen:
            self.skipped["duplicate"] += 1
            return None
        self.seen.add(address)
        return address


def _queue_all(send: BulkSend, user: Any) -> dict[str, int]:
    """Write every recipient's message; returns the skipped counts of this run."""
    identity_values, template_render = _placeholders()
    needs_values = bool(placeholders_in(send.body) or placeholders_in(send.subject))
    run = _Run(
        send=send,
        start=max(send.start_at or timezone.now(), timezone.now()),
        trusted=send.channel != Channel.EMAIL and send.source not in (BulkSend.Source.NUMBERS, BulkSend.Source.EXCEL),
        skipped={"no_address": 0, "invalid": 0, "duplicate": 0},
        seen=set(),
    )
    from_address = send.mailbox.address if send.channel == Channel.EMAIL and send.mailbox else ""
    if send.channel == Channel.SMS and send.sms_line:
        from_address = send.sms_line.number
    for chunk in _recipient_chunks(send, user):
        if send.source in (BulkSend.Source.NUMBERS, BulkSend.Source.EXCEL):
            _match_typed(send, user, chunk)
        values = identity_values([r.identity_id for r in chunk if r.identity_id]) if needs_values else None
        items: list[Outgoing] = []
        times: list[dt.datetime] = []
        for r in chunk:
            address = run.address(r)
            if address is None:
                continue
            items.append(_render(send, r, address, values, template_render))
            times.append(_spread(send, run.start, run.index))
            run.index += 1
        if items:
            messages_queue(
                actor=user,
                channel=send.channel,
                items=items,
                dedupe_prefix=f"bulk:{send.pk}",
                sms_line=send.sms_line if send.channel == Channel.SMS else None,
                mailbox=send.mailbox if send.channel == Channel.EMAIL else None,
                bulk_send=send,
                template=send.template,
                due_at=times,
                from_address=from_address,
                want_rows=False,
            )
    return run.skipped


# --- services -------------------------------------------------------------------------------

EDITABLE = (
    "name",
    "channel",
    "template",
    "subject",
    "body",
    "is_html",
    "sms_line",
    "mailbox",
    "source",
    "source_params",
    "target_group",
    "campaign_id",
    "start_at",
    "rate_per_minute",
    "chunk_size",
    "track_opens",
    "track_clicks",
)


def _require_manage(actor: Any, send: BulkSend) -> None:
    if bulk_send_get_for_user(user=actor, pk=send.pk) is None or not can_manage_bulk_send(actor, send):
        raise BulkError(BulkErrorCode.NOT_ALLOWED)


def _clean(actor: Any, send: BulkSend) -> None:
    """Check a draft's fields against the actor's accounts and lists; fills from template."""
    if not (send.name or "").strip():
        raise BulkError(BulkErrorCode.NO_NAME, fields={"name": BulkError.messages[BulkErrorCode.NO_NAME]})
    if send.channel not in (Channel.SMS, Channel.EMAIL):
        raise BulkError(BulkErrorCode.BAD_CHANNEL, fields={"channel": BulkError.messages[BulkErrorCode.BAD_CHANNEL]})
    if send.template_id and not (send.body or "").strip():
        template = Template.objects.filter(pk=send.template_id).first()
        if template is not None:
            send.body = template.body
            send.subject = send.subject or template.subject
            send.is_html = template.is_html
    if not (send.body or "").strip():
        raise BulkError(BulkErrorCode.NO_TEXT, fields={"body": BulkError.messages[BulkErrorCode.NO_TEXT]})
    if send.channel == Channel.SMS:
        send.mailbox = None
        send.is_html = False
        lines = sms_lines_for_user(actor)
        if send.sms_line_id is None:
            send.sms_line = lines.filter(is_default=True).first() or lines.first()
        if send.sms_line is None or not lines.filter(pk=send.sms_line_id).exists():
            raise BulkError(BulkErrorCode.NO_ACCOUNT, fields={"sms_line": BulkError.messages[BulkErrorCode.NO_ACCOUNT]})
    else:
        send.sms_line = None
        boxes = mailboxes_for_user(actor)
        if send.mailbox_id is None:
            send.mailbox = boxes.filter(is_default=True).first() or boxes.first()
        if send.mailbox is None or not boxes.filter(pk=send.mailbox_id).exists():
            raise BulkError(BulkErrorCode.NO_ACCOUNT, fields={"mailbox": BulkError.messages[BulkErrorCode.NO_ACCOUNT]})
        if send.is_html:
            send.body = sanitize_html(send.body)
    _clean_source(actor, send)
    send.chunk_size = max(1, send.chunk_size or 1)


def _clean_source(actor: Any, send: BulkSend) -> None:
    """The recipients' source must exist and be visible to the actor."""
    params = send.source_params or {}
    source = send.source
    bad = BulkError(BulkErrorCode.BAD_SOURCE, fields={"source": BulkError.messages[BulkErrorCode.BAD_SOURCE]})
    if source == BulkSend.Source.TARGET_GROUP:
        group_id = send.target_group_id or params.get("id")
        if not group_id or group_get_for_user(user=actor, pk=int(group_id)) is None:
            raise bad
        send.target_group_id = int(group_id)
        send.source_params = {"id": int(group_id)}
    elif source == BulkSend.Source.CATEGORIES:
        if not params.get("ids"):
            raise bad
    elif source == BulkSend.Source.SAVED_FILTER:
        if params.get("saved_filter"):
            from crm.core.lists.selectors import saved_filter_get_for

            if saved_filter_get_for(user=actor, pk=int(params["saved_filter"])) is None:
                raise bad
        elif recipient_source_get(params.get("list_key", "")) is None:
            raise bad
    elif source == BulkSend.Source.NUMBERS:
        if not params.get("lines"):
            raise bad
    elif source == BulkSend.Source.EXCEL:
        if not params.get("rows"):
            raise bad
    elif source == BulkSend.Source.RESEND:
        original_id = params.get("send") or send.resend_of_id
        if not original_id or bulk_send_get_for_user(user=actor, pk=int(original_id)) is None:
            raise bad
        send.resend_of_id = int(original_id)
    else:
        raise bad


@transaction.atomic
def bulk_send_create(*, actor: Any, **fields: Any) -> BulkSend:
    """A draft bulk send. Fields as on `BulkSend` (`template`, `sms_line`, `mailbox`,
    `target_group` may be instances or ids via `<name>_id`)."""
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm("messaging.add_bulksend")):
        raise BulkError(BulkErrorCode.NOT_ALLOWED)
    unknown = set(fields) - set(EDITABLE) - {f"{name}_id" for name in EDITABLE} - {"resend_of", "resend_of_id"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    send = BulkSend(created_by=actor, status=BulkSend.Status.DRAFT, **fields)
    _clean(actor, send)
    send.save()
    audit_record(actor=actor, target=send, action="bulksend.created")
    return send


@transaction.atomic
def bulk_send_update(*, actor: Any, send: BulkSend, **fields: Any) -> BulkSend:
    send = BulkSend.objects.select_for_update().get(pk=send.pk)
    _require_manage(actor, send)
    if send.status not in (BulkSend.Status.DRAFT, BulkSend.Status.SCHEDULED):
        raise BulkError(BulkErrorCode.NOT_DRAFT)
    if send.status == BulkSend.Status.SCHEDULED:
        _unschedule(send)
        send.status = BulkSend.Status.DRAFT
    for name, value in fields.items():
        if name not in EDITABLE and name.removesuffix("_id") not in EDITABLE:
            raise TypeError(f"unknown field: {name}")
        setattr(send, name, value)
    _clean(actor, send)
    send.save()
    audit_record(actor=actor, target=send, action="bulksend.updated")
    return send


def _start_key(send: BulkSend) -> str:
    return f"bulk-start:{send.pk}:{int(send.start_at.timestamp()) if send.start_at else 0}"


def _unschedule(send: BulkSend) -> None:
    due_job_cancel(dedupe_key=_start_key(send))


def bulk_send_start(*, actor: Any, send: BulkSend, in_background: bool = False) -> int:
    """Queue every recipient now (or schedule the start at `start_at`). Returns how many
    messages this call wrote (0 when scheduled or already started: starting twice sends
    one set). `in_background` hands the queueing to a worker (a due job due now)."""
    with transaction.atomic():
        locked = BulkSend.objects.select_for_update().get(pk=send.pk)
        _require_manage(actor, locked)
        if locked.status not in (BulkSend.Status.DRAFT, BulkSend.Status.SCHEDULED, BulkSend.Status.QUEUEING):
            return 0
        now = timezone.now()
        later = locked.start_at and locked.start_at > now + dt.timedelta(seconds=5)
        if locked.status == BulkSend.Status.DRAFT and (later or in_background):
            locked.status = BulkSend.Status.SCHEDULED
            locked.save(update_fields=["status", "updated_at"])
            due_job_schedule(
                kind=START_JOB,
                due_at=locked.start_at if later else now,
                payload={"send": locked.pk, "user": actor.pk},
                dedupe_key=_start_key(locked),
            )
            audit_record(actor=actor, target=locked, action="bulksend.scheduled")
            send.status = locked.status
            return 0
        if locked.status == BulkSend.Status.SCHEDULED:
            _unschedule(locked)  # started by hand before its time: the job has nothing to do
        locked.status = BulkSend.Status.QUEUEING
        locked.error = ""
        if locked.channel == Channel.EMAIL:
            from crm.messaging.tracking import tracked_links

            locked.links = tracked_links(locked.body) if locked.track_clicks and locked.is_html else []
        locked.save(update_fields=["status", "error", "links", "updated_at"])
    before = Message.objects.filter(bulk_send=locked).count()
    # placeholders (dates, digits) read in the sender's language
    with translation.override(getattr(actor, "language", "") or settings.LANGUAGE_CODE):
        skipped = _queue_all(locked, actor)
    locked = _finish_queueing(actor, locked, skipped)
    for name in ("status", "total", "skipped", "queued_at", "links", "finished_at"):
        setattr(send, name, getattr(locked, name))
    return locked.total - before


@transaction.atomic
def _finish_queueing(actor: Any, send: BulkSend, skipped: dict[str, int]) -> BulkSend:
    """Counts, then the send is running (the outbox workers take it from here)."""
    locked = BulkSend.objects.select_for_update().get(pk=send.pk)
    suppressed = (
        Message.objects.filter(bulk_send=locked, status=Message.Status.SUPPRESSED)
        .values("meta__suppressed")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in suppressed:
        reason = row["meta__suppressed"] or "suppressed"
        skipped[reason] = skipped.get(reason, 0) + row["n"]
    locked.skipped = {k: v for k, v in skipped.items() if v}
    locked.total = Message.objects.filter(bulk_send=locked).count()
    locked.status = BulkSend.Status.RUNNING
    locked.queued_at = timezone.now()
    locked.save(update_fields=["skipped", "total", "status", "queued_at", "updated_at"])
    audit_record(actor=actor, target=locked, action="bulksend.started", changes={"total": locked.total})
    return bulk_send_refresh(send=locked)


@due_handler(START_JOB)
def _start_job(job: Any) -> None:
    from django.contrib.auth import get_user_model

    send = BulkSend.objects.filter(pk=job.payload.get("send")).first()
    if send is None or send.status not in (BulkSend.Status.SCHEDULED, BulkSend.Status.QUEUEING):
        return
    user = get_user_model().objects.filter(pk=job.payload.get("user"), is_active=True).first() or send.created_by
    if user is None:
        return
    try:
        bulk_send_start(actor=user, send=send)
    except BulkError as exc:  # the user lost the right meanwhile: say why, do not retry
        BulkSend.objects.filter(pk=send.pk).update(error=exc.message, status=BulkSend.Status.CANCELLED)


def _pending_outbox_ids(send: BulkSend) -> Iterator[list[int]]:
    ids = (
        Message.objects.filter(bulk_send=send, status=Message.Status.QUEUED, outbox_id__isnull=False)
        .order_by("id")
        .values_list("outbox_id", flat=True)
    )
    chunk = max(1, send.chunk_size)
    batch: list[int] = []
    for outbox_id in ids.iterator(chunk_size=5000):
        batch.append(outbox_id)
        if len(batch) >= chunk:
            yield batch
            batch = []
    if batch:
        yield batch


@transaction.atomic
def bulk_send_pause(*, actor: Any, send: BulkSend) -> BulkSend:
    locked = BulkSend.objects.select_for_update().get(pk=send.pk)
    _require_manage(actor, locked)
    if locked.status != BulkSend.Status.RUNNING:
        raise BulkError(BulkErrorCode.BAD_STATE, status=locked.get_status_display())
    far = timezone.now() + FAR_AWAY
    for batch in _pending_outbox_ids(locked):
        outbox_reschedule(ids=batch, due_at=far)
    locked.status = BulkSend.Status.PAUSED
    locked.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, target=locked, action="bulksend.paused")
    return locked


@transaction.atomic
def bulk_send_resume(*, actor: Any, send: BulkSend) -> BulkSend:
    locked = BulkSend.objects.select_for_update().get(pk=send.pk)
    _require_manage(actor, locked)
    if locked.status != BulkSend.Status.PAUSED:
        raise BulkError(BulkErrorCode.BAD_STATE, status=locked.get_status_display())
    now = timezone.now()
    step = (
        dt.timedelta(seconds=locked.chunk_size * 60 / locked.rate_per_minute)
        if locked.rate_per_minute
        else dt.timedelta()
    )
    for k, batch in enumerate(_pending_outbox_ids(locked)):
        outbox_reschedule(ids=batch, due_at=now + k * step)
    locked.status = BulkSend.Status.RUNNING
    locked.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, target=locked, action="bulksend.resumed")
    return locked


@transaction.atomic
def bulk_send_cancel(*, actor: Any, send: BulkSend) -> BulkSend:
    locked = BulkSend.objects.select_for_update().get(pk=send.pk)
    _require_manage(actor, locked)
    if locked.status in (BulkSend.Status.DONE, BulkSend.Status.CANCELLED):
        raise BulkError(BulkErrorCode.BAD_STATE, status=locked.get_status_display())
    if locked.status == BulkSend.Status.SCHEDULED:
        _unschedule(locked)
    for batch in _pending_outbox_ids(locked):
        outbox_cancel(ids=batch)
        cancelled = OutboxMessage.objects.filter(pk__in=batch, status=OutboxMessage.Status.CANCELLED).values("pk")
        Message.objects.filter(bulk_send=locked, status=Message.Status.QUEUED, outbox_id__in=cancelled).update(
            status=Message.Status.CANCELLED
        )
    locked.status = BulkSend.Status.CANCELLED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "finished_at", "updated_at"])
    audit_record(actor=actor, target=locked, action="bulksend.cancelled")
    return locked


def bulk_send_refresh(*, send: BulkSend) -> BulkSend:
    """A running send with nothing left to hand over is finished."""
    if send.status == BulkSend.Status.RUNNING:
        busy = Message.objects.filter(
            bulk_send=send, status__in=[Message.Status.QUEUED, Message.Status.SENDING]
        ).exists()
        if not busy:
            now = timezone.now()
            if BulkSend.objects.filter(pk=send.pk, status=BulkSend.Status.RUNNING).update(
                status=BulkSend.Status.DONE, finished_at=now
            ):
                send.status, send.finished_at = BulkSend.Status.DONE, now
    return send


@transaction.atomic
def bulk_send_resend(
    *, actor: Any, send: BulkSend, statuses: Sequence[str] = ("failed",), start: bool = False, name: str = ""
) -> BulkSend:
    """A new send (draft, or started) to this send's recipients whose message ended in one
    of `statuses` ("failed", "sent" = handed over but never delivered, "cancelled")."""
    _require_manage(actor, send)
    chosen = [s for s in statuses if s in RESEND_STATUSES]
    if not chosen:
        raise BulkError(BulkErrorCode.BAD_SOURCE)
    new = bulk_send_create(
        actor=actor,
        name=name or f"{send.name} — {_('resend')}",
        channel=send.channel,
        template=send.template,
        subject=send.subject,
        body=send.body,
        is_html=send.is_html,
        sms_line=send.sms_line,
        mailbox=send.mailbox,
        source=BulkSend.Source.RESEND,
        source_params={"send": send.pk, "statuses": chosen},
        resend_of=send,
        campaign_id=send.campaign_id,
        rate_per_minute=send.rate_per_minute,
        chunk_size=send.chunk_size,
        track_opens=send.track_opens,
        track_clicks=send.track_clicks,
    )
    if start:
        bulk_send_start(actor=actor, send=new)
    return new


def bulk_send_stats(send: BulkSend) -> dict[str, Any]:
    """Counts and rates of a send's report.

    total = messages written (suppressed included); queued = not yet handed over; sent =
    handed over (delivered ones included); coverage = delivered / total; success =
    delivered / handed over (sent + delivered + failed); open/click rates over delivered
    (or handed over when the channel reports no delivery)."""
    rows = Message.objects.filter(bulk_send=send).values("status").annotate(n=Count("id")).order_by()
    by = {row["status"]: row["n"] for row in rows}
    engagement = Message.objects.filter(bulk_send=send).aggregate(
        opened=Count("id", filter=Q(opened_at__isnull=False)), clicked=Count("id", filter=Q(clicked_at__isnull=False))
    )
    S = Message.Status
    total = sum(by.values())
    delivered = by.get(S.DELIVERED, 0)
    sent = by.get(S.SENT, 0) + delivered
    failed = by.get(S.FAILED, 0)
    handed = sent + failed
    base = delivered or sent

    def pct(part: int, whole: int) -> float:
        return round(100.0 * part / whole, 1) if whole else 0.0

    skipped = send.skipped or {}
    return {
        "total": total,
        "queued": by.get(S.QUEUED, 0) + by.get(S.SENDING, 0),
        "sending": by.get(S.SENDING, 0),
        "sent": sent,
        "delivered": delivered,
        "failed": failed,
        "cancelled": by.get(S.CANCELLED, 0),
        "suppressed": by.get(S.SUPPRESSED, 0),
        "skipped": sum(v for k, v in skipped.items() if k in ("no_address", "invalid", "duplicate")),
        "opened": engagement["opened"],
        "clicked": engagement["clicked"],
        "coverage": pct(delivered, total),
        "success": pct(delivered, handed),
        "open_rate": pct(engagement["opened"], base),
        "click_rate": pct(engagement["clicked"], base),
        "by_status": by,
    }


# --- Excel upload ---------------------------------------------------------------------------

MAX_FILE_BYTES = 20 * 1024 * 1024


def excel_rows(upload: Any) -> list[list[str]]:
    """Rows of an uploaded .xlsx: first column the number/address, second (optional) the
    name. A first row that holds no digit or @ is taken as a header and skipped."""
    from openpyxl import load_workbook

    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise BulkError(BulkErrorCode.BAD_FILE, reason=_("larger than 20 MB"))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise BulkError(BulkErrorCode.BAD_FILE, reason=str(exc)[:200]) from exc
    rows: list[list[str]] = []
    try:
        sheet = workbook.worksheets[0]
        for i, row in enumerate(sheet.iter_rows(max_col=2, values_only=True)):
            first = "" if not row or row[0] is None else str(row[0]).strip()
            if isinstance(row[0], float) and row[0].is_integer():
                first = str(int(row[0]))
            name = "" if len(row) < 2 or row[1] is None else str(row[1]).strip()
            if not first:
                continue
            if i == 0 and not any(ch.isdigit() or ch == "@" for ch in first):
                continue
            rows.append([first, name])
    finally:
        workbook.close()
    return rows


def target_group_choices(user: Any) -> list[TargetGroup]:
    from crm.messaging.bulk_selectors import groups_visible_to

    return list(groups_visible_to(user).order_by("name")[:500])
