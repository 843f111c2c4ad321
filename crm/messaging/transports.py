"""Outbox transports for SMS: customer messages ("msg.sms") and the platform's own
notifications to users ("sms": reminders, mentions… for users who chose SMS).

Exactly once at the edge (CM-6). A worker that takes outbox rows:
1. loads their Messages and, for each one to send, writes `status=sending` and a hand-off
   marker (`meta["handoff"] = {"a": attempt id, "at": time}`) and COMMITS — before any
   request leaves;
2. hands them to the line's gateway (one keep-alive connection per pool thread);
3. records what came back (`sent` + the reference; or the error).

If the worker dies between 1 and 3, another worker takes the rows over once their lease
runs out and finds the marker: the message may or may not have reached the gateway. It is
not sent again blindly: if a delivery report for it arrived (accepted / delivered / failed),
the hand-off happened and the row is done; if none arrived yet, the row is deferred
(`Deferred`, no attempt counted) until `CRM_SMS_HANDOFF_GRACE_SECONDS` (default 20) have
passed since the hand-off, and only then sent again. Kannel reports the SMSC's acceptance
within moments of taking a message, so a message it took is never sent twice; the residual
case is a gateway that took a message but cannot reach its operator for longer than the
grace period (then the operator may get it twice) — raise the grace period for such links."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm.core.notifications.models import OutboxMessage
from crm.core.notifications.registry import Deferred, PermanentFailure, Transport, register_transport
from crm.identities.phones import normalize_phone
from crm.messaging.callbacks import HANDOFF_PROOF
from crm.messaging.gateways.base import GatewayRefused
from crm.messaging.gateways.kannel import GatewayUnavailable
from crm.messaging.gateways.registry import gateway_for
from crm.messaging.models import Message, MessageEvent, SmsLine

logger = logging.getLogger(__name__)
DONE = (Message.Status.SENT, Message.Status.DELIVERED)


def handoff_grace() -> float:
    return float(getattr(settings, "CRM_SMS_HANDOFF_GRACE_SECONDS", 20))


def default_line() -> SmsLine | None:
    return SmsLine.objects.filter(active=True).order_by("-is_default", "pk").first()


def _mark_handoff(messages: list[Message], attempt: str, now: dt.datetime) -> None:
    """Step 1: the marker, committed before anything leaves (one statement)."""
    stamp = now.isoformat()
    for message in messages:
        message.status = Message.Status.SENDING
        message.meta = {**(message.meta or {}), "handoff": {"a": attempt, "at": stamp}}
    with transaction.atomic():
        Message.objects.bulk_update(messages, ["status", "meta"], batch_size=500)


def _clear_handoff(messages: list[Message]) -> None:
    """The gateway answered "not taken": no hand-off happened, the next try may send at once."""
    for message in messages:
        message.meta = {k: v for k, v in (message.meta or {}).items() if k != "handoff"}
        message.status = Message.Status.QUEUED
    Message.objects.bulk_update(messages, ["meta"], batch_size=500)
    Message.objects.filter(pk__in=[m.pk for m in messages], status=Message.Status.SENDING).update(
        status=Message.Status.QUEUED
    )


def _record(sent: dict[int, str], now: dt.datetime) -> None:
    """Step 3 for the successes: `sent` (never over a report that came first) + refs."""
    if not sent:
        return
    with transaction.atomic():
        Message.objects.filter(pk__in=list(sent), status__in=[Message.Status.QUEUED, Message.Status.SENDING]).update(
            status=Message.Status.SENT, sent_at=now
        )
        rows = [Message(pk=pk, provider_ref=ref[:200]) for pk, ref in sent.items()]
        Message.objects.bulk_update(rows, ["provider_ref"], batch_size=500)


def _fail(message: Message, error: str) -> None:
    Message.objects.filter(
        pk=message.pk, status__in=[Message.Status.QUEUED, Message.Status.SENDING, Message.Status.SENT]
    ).update(status=Message.Status.FAILED, error=error[:4000])


def _triage(
    rows: list[OutboxMessage], messages: list[Message], results: dict[int, str | BaseException]
) -> list[Message]:
    """Which messages to send now; the others get their outcome in `results` (done by an
    earlier hand-off, deferred while its report may still come, cancelled)."""
    by_key = {row.dedupe_key: row for row in rows}
    now = timezone.now()
    marked = [m.pk for m in messages if (m.meta or {}).get("handoff")]
    proven = set(
        MessageEvent.objects.filter(message__in=marked, kind__in=HANDOFF_PROOF).values_list("message_id", flat=True)
    )
    grace = handoff_grace()
    to_send: list[Message] = []
    for message in messages:
        row = by_key[message.dedupe_key]
        handoff = (message.meta or {}).get("handoff")
        if message.status in (Message.Status.CANCELLED, Message.Status.SUPPRESSED):
            results[row.pk] = PermanentFailure(f"message {message.status}")
        elif message.pk in proven or message.status in DONE:
            # an earlier hand-off reached the gateway (its report came): done, not again
            results[row.pk] = message.provider_ref or f"handoff:{handoff.get('a', '') if handoff else ''}"
        elif handoff:
            at = parse_datetime(str(handoff.get("at", ""))) or now
            waited = (now - at).total_seconds()
            if waited < grace:
                results[row.pk] = Deferred(
                    seconds=max(1.0, grace - waited + 1), reason="handed off earlier; waiting for its report"
                )
            else:
                to_send.append(message)
        else:
            to_send.append(message)
    return to_send


def send_sms_batch(rows: list[OutboxMessage]) -> dict[int, str | BaseException]:
    """The "msg.sms" transport: outbox rows (keyed like their Messages) → outcome per row."""
    results: dict[int, str | BaseException] = {}
    by_key = {row.dedupe_key: row for row in rows}
    messages = list(Message.objects.filter(dedupe_key__in=list(by_key)).select_related("sms_line"))
    found = {m.dedupe_key for m in messages}
    for row in rows:
        if row.dedupe_key not in found:
            results[row.pk] = PermanentFailure("the message of this outbox row is gone")
    to_send = _triage(rows, messages, results)
    if not to_send:
        return results
    attempt = uuid.uuid4().hex[:12]
    _mark_handoff(to_send, attempt, timezone.now())
    fallback = None
    groups: dict[int, tuple[SmsLine, list[Message]]] = {}
    for message in to_send:
        line = message.sms_line
        if line is None or not line.active:
            fallback = fallback or default_line()
            line = fallback
        if line is None:
            _fail(message, "no active SMS line")
            results[by_key[message.dedupe_key].pk] = PermanentFailure("no active SMS line")
            continue
        groups.setdefault(line.pk, (line, []))[1].append(message)
    sent: dict[int, str] = {}
    for line, group in groups.values():
        try:
            outcomes = gateway_for(line).send(line, group)
        except Exception as exc:  # the adapter itself failed: treat every message alike
            logger.exception("SMS gateway of line %s failed", line.pk)
            outcomes = {m.pk: exc for m in group}
        not_taken: list[Message] = []
        for message in group:
            row = by_key[message.dedupe_key]
            outcome = outcomes.get(message.pk, GatewayUnavailable("no answer from the adapter"))
            if isinstance(outcome, str):
                sent[message.pk] = outcome
                results[row.pk] = outcome
            elif isinstance(outcome, GatewayRefused):
                _fail(message, str(outcome))
                results[row.pk] = PermanentFailure(str(outcome))
            else:
                if isinstance(outcome, GatewayUnavailable):
                    not_taken.append(message)
                if row.attempts + 1 >= row.max_attempts:
                    _fail(message, str(outcome))
                results[row.pk] = outcome
        if not_taken:
            _clear_handoff(not_taken)
    _record(sent, timezone.now())
    return results


def send_sms(row: OutboxMessage) -> str:
    outcome = send_sms_batch([row])[row.pk]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


# --- the platform's own SMS (notifications to users) -----------------------------------------


def _user_mobile(user: Any) -> str:
    if not getattr(user, "notify_by_sms", False) or not getattr(user, "mobile", ""):
        return ""
    return normalize_phone(user.mobile) or ""


def send_system_sms(row: OutboxMessage) -> str:
    """A notification: the text is in the outbox row; sent on the default line without
    delivery reports (the in-app notification is the record)."""
    line = default_line()
    if line is None:
        raise PermanentFailure("no active SMS line for notifications")
    note = SimpleNamespace(
        pk=row.pk,
        to_address=row.recipient,
        body=row.body,
        from_address=line.number,
        meta={"handoff": {"a": f"o{row.pk}"}},
        wants_reports=False,
    )
    outcome = gateway_for(line).send(line, [note])[row.pk]
    if isinstance(outcome, GatewayRefused):
        raise PermanentFailure(str(outcome))
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


register_transport(
    Transport(
        channel="msg.sms",
        label="SMS",
        send=send_sms,
        address_for=lambda user: "",  # customer messages only: users are told through "sms"
        send_batch=send_sms_batch,
    )
)
register_transport(Transport(channel="sms", label="SMS", send=send_system_sms, address_for=_user_mobile))
