"""What gateways tell us back: delivery reports and inbound SMS.

Both arrive on public URLs (Kannel's `dlr-url` / `get-url`, or a provider's webhook through
the API) with a shared secret. Both are idempotent: the same delivery report twice is one
`MessageEvent` (its dedupe key is provider + message + status) and changes the message once;
the same inbound SMS twice is one message (M3's `inbound_receive` keys it on the provider's
id)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.identities.phones import normalize_phone
from crm.messaging.gateways.base import ACCEPTED, BUFFERED, DELIVERED, FAILED
from crm.messaging.gateways.registry import gateway_by_key
from crm.messaging.models import Channel, Message, MessageEvent, SmsLine
from crm.messaging.sending import message_mark

EVENT_KIND = {
    ACCEPTED: MessageEvent.Kind.ACCEPTED,
    DELIVERED: MessageEvent.Kind.DELIVERED,
    FAILED: MessageEvent.Kind.FAILED,
}
MESSAGE_STATUS = {
    ACCEPTED: Message.Status.SENT,
    DELIVERED: Message.Status.DELIVERED,
    FAILED: Message.Status.FAILED,
}
# events that prove a hand-off reached the gateway (the transport's exactly-once check)
HANDOFF_PROOF = (MessageEvent.Kind.ACCEPTED, MessageEvent.Kind.DELIVERED, MessageEvent.Kind.FAILED)


class CallbackError(ValueError):
    """A callback that can not be used (unknown provider, malformed parameters)."""


def callback_secret() -> str:
    """The shared secret gateways send with their callbacks: CRM_SMS_CALLBACK_SECRET, or a
    value derived from SECRET_KEY (stable while SECRET_KEY is)."""
    configured = getattr(settings, "CRM_SMS_CALLBACK_SECRET", "") or ""
    if configured:
        return configured
    return hmac.new(settings.SECRET_KEY.encode(), b"crm.messaging.sms-callbacks", hashlib.sha256).hexdigest()[:40]


def secret_ok(given: str | None) -> bool:
    """Constant-time comparison; an empty or missing secret never matches."""
    if not given:
        return False
    return hmac.compare_digest(str(given).encode(), callback_secret().encode())


def _gateway(provider: str) -> Any:
    gateway = gateway_by_key(provider)
    if gateway is None:
        raise CallbackError(f"unknown provider {provider!r}")
    return gateway


def dlr_receive(*, provider: str, params: Mapping[str, str]) -> MessageEvent | None:
    """Store one delivery report. Returns the event (new or the one stored earlier), or None
    for reports that change nothing (buffered at the operator). Unknown messages raise
    Message.DoesNotExist; malformed reports CallbackError."""
    gateway = _gateway(provider)
    try:
        report = gateway.parse_dlr(params)
    except (ValueError, TypeError) as exc:
        raise CallbackError(str(exc)) from exc
    if report.state == BUFFERED:
        return None
    message = Message.objects.only("pk", "status").get(
        pk=report.message_id, channel=Channel.SMS, direction=Message.Direction.OUT
    )
    key = f"{provider}:{message.pk}:{report.provider_status}"
    with transaction.atomic():
        event, created = MessageEvent.objects.get_or_create(
            dedupe_key=key,
            defaults={
                "message": message,
                "kind": EVENT_KIND[report.state],
                "data": {
                    "provider": provider,
                    "status": report.provider_status,
                    "attempt": report.attempt,
                    "ref": report.provider_ref,
                    "reply": report.reply,
                },
            },
        )
        if created:
            message_mark(
                message_ids=[message.pk],
                status=MESSAGE_STATUS[report.state],
                at=report.at or timezone.now(),
                error=report.reply if report.state == FAILED else "",
            )
    return event


def line_for_number(number: str) -> SmsLine | None:
    """Our SMS line a number belongs to (as the operator wrote it, or in E.164)."""
    if not number:
        return None
    variants = {number, normalize_phone(number) or number}
    return SmsLine.objects.filter(Q(number__in=variants)).order_by("-active", "pk").first()


def sms_inbound_receive(*, provider: str, params: Mapping[str, str]) -> Message:
    """An SMS a customer sent: stored (once) and handed to inbound handling — identity
    matching, history, surveys, routing rules (`crm.messaging.inbound`)."""
    gateway = _gateway(provider)
    try:
        sms = gateway.parse_inbound(params)
    except (ValueError, TypeError) as exc:
        raise CallbackError(str(exc)) from exc
    from crm.messaging.inbound import inbound_receive  # M3's module; imported when first needed

    return inbound_receive(
        channel=Channel.SMS,
        from_address=normalize_phone(sms.from_number) or sms.from_number,
        to_address=sms.to_number,
        body=sms.text,
        provider_ref=sms.provider_ref,
        sms_line=line_for_number(sms.to_number),
        received_at=sms.received_at,
        meta={"provider": provider, **sms.meta},
    )
