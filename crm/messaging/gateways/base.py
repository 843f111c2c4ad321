"""What an SMS gateway adapter does for the CRM: hand messages to the provider, and read
the provider's delivery reports and inbound messages off its callbacks.

An adapter is plain code around one provider's HTTP interface (Kannel's smsbox, an Iranian
SMS web service…); the transport (`crm.messaging.transports`) decides what to send and
records what happened, the callbacks (`crm.messaging.callbacks`) check the shared secret and
store reports. Adapters never touch the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class GatewayError(Exception):
    """The provider could not take a message now (connection refused, timeout, 5xx):
    the outbox tries again later."""


class GatewayRefused(GatewayError):
    """The provider refused a message for good (bad number, wrong credentials, 4xx-style
    answer): sending it again would be refused again."""


# the message states a gateway reports, as the CRM names them
ACCEPTED = "accepted"  # the operator (SMSC) took the message
DELIVERED = "delivered"  # the handset got it
FAILED = "failed"  # the operator or the handset refused it
BUFFERED = "buffered"  # queued at the operator, not delivered yet (no change in the CRM)


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery report off a provider callback."""

    message_id: int  # our Message.pk, carried by the callback URL or looked up by ref
    state: str  # ACCEPTED / DELIVERED / FAILED / BUFFERED
    attempt: str = ""  # the hand-off marker the report belongs to
    provider_status: str = ""  # the provider's own status code, e.g. Kannel's 1/2/4/8/16
    provider_ref: str = ""  # the provider's id of the message, if it gives one
    reply: str = ""  # the provider's / SMSC's text (error reason)
    at: dt.datetime | None = None


@dataclass(frozen=True)
class InboundSms:
    """One SMS a customer sent to one of our numbers."""

    from_number: str
    to_number: str
    text: str
    provider_ref: str  # unique per message at the provider: receiving it twice stores it once
    received_at: dt.datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class SmsGateway(Protocol):
    """A provider adapter; `gateway_for(line)` builds one per SMS line."""

    key: str

    def send(self, line: Any, messages: list[Any]) -> dict[int, str | BaseException]:
        """Hand messages (crm.messaging.models.Message rows, status `sending`, with
        `meta["handoff"]` set) to the provider: per message id, the provider's reference or
        the exception (GatewayRefused = never retry; other exceptions = retry later)."""
        ...

    def parse_dlr(self, request_params: Mapping[str, str]) -> DeliveryReport:
        """Read a delivery report off the callback's parameters; ValueError if malformed."""
        ...

    def parse_inbound(self, request_params: Mapping[str, str]) -> InboundSms:
        """Read an inbound SMS off the callback's parameters; ValueError if malformed."""
        ...
