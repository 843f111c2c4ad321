"""Telling people things: in-app notifications and the outbox (email now, SMS/fax later).

Everything here is written inside the caller's transaction, so a change and the messages
it causes commit or roll back together; workers send afterwards (`outbox_dispatch_batch`).
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from crm.core.i18n.calendars import calendar_override, default_calendar_for
from crm.core.notifications.models import MessageTemplate, Notification, OutboxMessage
from crm.core.notifications.registry import (
    Deferred,
    PermanentFailure,
    Transport,
    message_kind_get,
    register_transport,
    transport_get,
    transports,
)
from crm.core.scheduling.leases import claim_leased
from crm.core.templating import render_text

logger = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=2)
_languages = [code for code, _name in settings.LANGUAGES]


def user_group(user_id: int) -> str:
    return f"notify.user.{user_id}"


def message_render(
    *, kind: str, language: str, values: Mapping[str, Any], wording: dict[tuple[str, str], Any] | None = None
) -> tuple[str, str]:
    """Subject and text of a system message in a language: the admin's wording if there
    is one, else the built-in default translated. `wording` caches the admin's templates
    for a batch ((kind, language) -> MessageTemplate or None)."""
    if wording is not None and (kind, language) in wording:
        template = wording[(kind, language)]
    else:
        template = MessageTemplate.objects.filter(kind=kind, language=language).first()
    if template:
        subject, body = template.subject, template.body
    else:
        message_kind = message_kind_get(kind)
        if message_kind is None:
            return str(values.get("title", kind)), str(values.get("text", ""))
        with translation.override(language):
            subject, body = str(message_kind.subject), str(message_kind.body)
    return render_text(subject, values), render_text(body, values)


def _language_of(user: Any) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def outbox_enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    dedupe_key: str,
    subject: str = "",
    html: str = "",
    user: Any = None,
    due_at: dt.datetime | None = None,
    meta: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Queue one message; queueing the same dedupe_key again returns the first row."""
    existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return OutboxMessage.objects.create(
                channel=channel,
                recipient=recipient,
                subject=subject[:300],
                body=body,
                html=html,
                user=user if getattr(user, "pk", None) else None,
                dedupe_key=dedupe_key,
                due_at=due_at or timezone.now(),
                meta=meta or {},
            )
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)


@dataclass(frozen=True)
class Notice:
    """One thing to tell one user (see `notify`)."""

    user: Any
    kind: str
    values: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]]
    dedupe_key: str
    url: str = ""
    item_type: str = ""
    item_id: str | int = ""
    popup: bool = True


def notify(
    *,
    users: Iterable[Any],
    kind: str,
    values: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]],
    dedupe_key: str,
    url: str = "",
    item_type: str = "",
    item_id: str | int = "",
    popup: bool = True,
) -> list[Notification]:
    """Tell users something: a notification in the app (pushed to their open tabs) and,
    on the channels each user chose, an outbox message. Idempotent per dedupe_key.

    `values` may be a function of the recipient: it is then called in the recipient's
    language and calendar, so times and dates read the way each of them reads them."""
    unique = {u.pk: u for u in users}.values()
    return notify_many([Notice(user, kind, values, dedupe_key, url, item_type, item_id, popup) for user in unique])


def notify_many(notices: Iterable[Notice]) -> list[Notification]:
    """`notify` for many (user, event) pairs at once — thousands of reminders due in the same
    minute — in a few statements: notifications and outbox rows are inserted once each on
    their unique keys (a second worker or a retried job adds nothing). Returns the
    notifications this call made."""
    pending: dict[str, Notice] = {}
    for notice in notices:
        if getattr(notice.user, "is_active", True):
            pending.setdefault(f"{notice.dedupe_key}:u{notice.user.pk}", notice)
    if not pending:
        return []
    existing = set(Notification.objects.filter(dedupe_key__in=list(pending)).values_list("dedupe_key", flat=True))
    fresh = {key: notice for key, notice in pending.items() if key not in existing}
    if not fresh:
        return []
    wording: dict[tuple[str, str], Any] = {
        (kind, language): None for kind in {n.kind for n in fresh.values()} for language in _languages
    }
    for template in MessageTemplate.objects.filter(kind__in={n.kind for n in fresh.values()}):
        wording[(template.kind, template.language)] = template
    rows, texts = [], {}
    for key, notice in fresh.items():
        user = notice.user
        language = _language_of(user)
        calendar = getattr(user, "calendar", "") or default_calendar_for(language)
        with translation.override(language), calendar_override(calendar):
            values = notice.values(user) if callable(notice.values) else notice.values
            subject, body = message_render(kind=notice.kind, language=language, values=values, wording=wording)
        texts[key] = (subject, body)
        rows.append(
            Notification(
                user=user,
                kind=notice.kind,
                title=subject[:300],
                body=body,
                url=notice.url,
                item_type=notice.item_type,
                item_id=str(notice.item_id),
                popup=notice.popup,
                dedupe_key=key,
            )
        )
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        made = list(Notification.objects.filter(dedupe_key__in=list(fresh)).order_by("id"))
        outbox = []
        for notification in made:
            notice = fresh[notification.dedupe_key]
            subject, body = texts[notification.dedupe_key]
            for transport in transports():
                address = transport.address_for(notice.user)
                if not address:
                    continue
                outbox.append(
                    OutboxMessage(
                        channel=transport.channel,
                        recipient=address,
                        user=notice.user,
                        subject=subject[:300],
                        body=f"{body}\n\n{_absolute(notice.url)}".strip() if notice.url else body,
                        dedupe_key=f"{notification.dedupe_key}:{transport.channel}",
                        due_at=timezone.now(),
                        meta={"notification": notification.pk, "kind": notice.kind},
                    )
                )
        OutboxMessage.objects.bulk_create(outbox, ignore_conflicts=True)
    for notification in made:
        transaction.on_commit(lambda pk=notification.user_id, nid=notification.pk: _push(pk, nid))
    return made


def _absolute(url: str) -> str:
    base = getattr(settings, "CRM_PUBLIC_URL", "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def _push(user_id: int, notification_id: int) -> None:
    """Wake this user's open tabs now. Best effort: tabs also poll, so a push lost between
    processes (the in-memory layer of the embedded setup) costs a few seconds, not the
    notification."""
    try:
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "notify.wake", "id": notification_id})
    except Exception:
        logger.debug("push to user %s failed", user_id, exc_info=True)


def notification_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def message_template_save(*, actor: Any, kind: str, language: str, subject: str, body: str) -> MessageTemplate:
    from crm.core.audit.services import audit_record

    template, _created = MessageTemplate.objects.update_or_create(
        kind=kind, language=language, defaults={"subject": subject, "body": body}
    )
    audit_record(
        actor=actor, action="messagetemplate.updated", target=template, changes={"subject": subject, "body": body}
    )
    return template


def message_template_reset(*, actor: Any, kind: str, language: str) -> None:
    from crm.core.audit.services import audit_record

    template = MessageTemplate.objects.filter(kind=kind, language=language).first()
    if template:
        audit_record(actor=actor, action="messagetemplate.deleted", target=template)
        template.delete()


# --- sending -----------------------------------------------------------------------


def outbox_claim(*, worker_id: str, limit: int = 100, now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Take due rows for this worker; rows whose holder died come back after the lease."""
    return claim_leased(
        OutboxMessage,
        worker_id=worker_id,
        limit=limit,
        now=now or timezone.now(),
        lease=LEASE,
        pending=OutboxMessage.Status.PENDING,
        running=OutboxMessage.Status.SENDING,
    )


def _outcome(row: OutboxMessage, worker_id: str, result: str | BaseException) -> bool:
    """Record what sending one row came to; only rows this worker still holds change."""
    held = OutboxMessage.objects.filter(pk=row.pk, claimed_by=worker_id, status=OutboxMessage.Status.SENDING)
    now = timezone.now()
    if isinstance(result, Deferred):
        held.update(
            status=OutboxMessage.Status.PENDING,
            due_at=now + dt.timedelta(seconds=result.seconds),
            last_error=str(result)[:4000],
        )
        return False
    if isinstance(result, PermanentFailure):
        held.update(status=OutboxMessage.Status.FAILED, attempts=row.attempts + 1, last_error=str(result)[:4000])
        return False
    if isinstance(result, BaseException):
        attempts = row.attempts + 1
        retry = attempts < row.max_attempts
        error = "".join(traceback.format_exception(result))[-4000:] if result.__traceback__ else repr(result)
        held.update(
            status=OutboxMessage.Status.PENDING if retry else OutboxMessage.Status.FAILED,
            attempts=attempts,
            due_at=now + dt.timedelta(seconds=30 * 2**attempts) if retry else row.due_at,
            last_error=error,
        )
        return False
    held.update(status=OutboxMessage.Status.SENT, attempts=row.attempts + 1, sent_at=now, provider_ref=result[:200])
    return True


def outbox_send(*, row: OutboxMessage, worker_id: str) -> bool:
    transport = transport_get(row.channel)
    if transport is None:
        return _outcome(row, worker_id, PermanentFailure(f"no transport for {row.channel}"))
    try:
        result: str | BaseException = transport.send(row)
    except Exception as exc:
        if not isinstance(exc, (Deferred, PermanentFailure)):
            logger.exception("outbox %s failed", row.pk)
        result = exc
    return _outcome(row, worker_id, result)


def _mark_sent(rows: list[OutboxMessage], worker_id: str, refs: dict[int, str]) -> None:
    """One statement for a batch's successes (the common case of a bulk send)."""
    if not rows:
        return
    now = timezone.now()
    with transaction.atomic():
        for row in rows:
            OutboxMessage.objects.filter(pk=row.pk, claimed_by=worker_id, status=OutboxMessage.Status.SENDING).update(
                status=OutboxMessage.Status.SENT,
                attempts=row.attempts + 1,
                sent_at=now,
                provider_ref=refs[row.pk][:200],
            )


def outbox_dispatch_batch(*, worker_id: str, limit: int = 100) -> int:
    """Claim due rows and send them: per row, or per channel in one call for transports
    that can send a batch (SMS gateways, one SMTP connection)."""
    rows = outbox_claim(worker_id=worker_id, limit=limit)
    by_channel: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    for channel, group in by_channel.items():
        transport = transport_get(channel)
        if transport is None or transport.send_batch is None:
            for row in group:
                outbox_send(row=row, worker_id=worker_id)
            continue
        try:
            results = transport.send_batch(group)
        except Exception as exc:  # the whole batch failed the same way
            logger.exception("outbox batch on %s failed", channel)
            results = {row.pk: exc for row in group}
        sent = [row for row in group if isinstance(results.get(row.pk), str)]
        _mark_sent(sent, worker_id, {row.pk: str(results[row.pk]) for row in sent})
        for row in group:
            outcome = results.get(row.pk, Deferred(reason="no result from the batch"))
            if not isinstance(outcome, str):
                _outcome(row, worker_id, outcome)
    return len(rows)


def outbox_cancel(*, ids: Iterable[int]) -> int:
    """Cancel rows not yet sent (a cancelled bulk send); rows being sent finish."""
    return OutboxMessage.objects.filter(pk__in=list(ids), status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.CANCELLED
    )


def outbox_reschedule(*, ids: Iterable[int], due_at: dt.datetime) -> int:
    """Move rows not yet sent to another time (pause = far future, resume = spread again)."""
    return OutboxMessage.objects.filter(pk__in=list(ids), status=OutboxMessage.Status.PENDING).update(due_at=due_at)


# --- the email transport (SMTP through Django's configured backend) -------------------


def _send_email(row: OutboxMessage) -> str:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.recipient],
        headers={"X-CRM-Message": row.dedupe_key[:200]},
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    message.send()
    return message.extra_headers.get("Message-ID", "") or f"outbox-{row.pk}"


def _email_address(user: Any) -> str:
    return user.email if getattr(user, "notify_by_email", False) and user.email else ""


def register_builtin_transports() -> None:
    register_transport(Transport(channel="email", label="Email", send=_send_email, address_for=_email_address))
