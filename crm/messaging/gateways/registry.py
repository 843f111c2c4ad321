"""Which adapter carries which SMS line: `SmsLine.provider` names a registered factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crm.messaging.gateways.base import GatewayRefused, SmsGateway

_factories: dict[str, tuple[Callable[[Any], SmsGateway], str]] = {}


def register_gateway(key: str, factory: Callable[[Any], SmsGateway], label: str = "") -> None:
    """`factory(line)` returns an adapter for that line (`line` may be None for callbacks
    that only parse)."""
    _factories[key] = (factory, label or key)


def gateway_for(line: Any) -> SmsGateway:
    provider = getattr(line, "provider", "") or ""
    if provider not in _factories:
        raise GatewayRefused(f"no SMS gateway adapter named {provider!r}")
    return _factories[provider][0](line)


def gateway_by_key(key: str) -> SmsGateway | None:
    """An adapter to parse callbacks of a provider (no line needed); None if unknown."""
    entry = _factories.get(key)
    return entry[0](None) if entry else None


def gateway_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (_factory, label) in sorted(_factories.items())]
