"""System message kinds (reminder, mention, task assigned…) and outbox transports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class MessageKind:
    key: str
    label: str | Promise
    subject: str | Promise  # default wording; `{{ placeholders }}` from `placeholders`
    body: str | Promise
    placeholders: dict[str, str | Promise] = field(default_factory=dict)


@dataclass(frozen=True)
class Transport:
    """Sends one outbox row; returns the provider's reference. Raising means "retry later";
    raising `PermanentFailure` means "give up"."""

    channel: str
    label: str | Promise
    send: Callable[[Any], str]
    # the user's address on this channel, or "" when they have none / did not opt in
    address_for: Callable[[Any], str]
    # optional: send many rows at once (one connection, concurrent requests); returns per
    # row id a reference or the exception that `send` would have raised for that row
    send_batch: Callable[[list[Any]], dict[int, str | BaseException]] | None = None


class PermanentFailure(Exception):
    pass


class Deferred(Exception):
    """Not sent and not failed: look again later without counting an attempt — e.g. a row
    taken over from a dead worker whose hand-off to the gateway may have happened, until the
    gateway's report says whether it did (exactly once at the transport edge)."""

    def __init__(self, seconds: float = 15, reason: str = "") -> None:
        super().__init__(reason or "deferred")
        self.seconds = seconds


_kinds: dict[str, MessageKind] = {}
_transports: dict[str, Transport] = {}


def register_message_kind(kind: MessageKind) -> MessageKind:
    _kinds[kind.key] = kind
    return kind


def message_kind_get(key: str) -> MessageKind | None:
    return _kinds.get(key)


def message_kinds() -> list[MessageKind]:
    return sorted(_kinds.values(), key=lambda k: str(k.label))


def register_transport(transport: Transport) -> Transport:
    _transports[transport.channel] = transport
    return transport


def transport_get(channel: str) -> Transport | None:
    return _transports.get(channel)


def transports() -> list[Transport]:
    return list(_transports.values())
