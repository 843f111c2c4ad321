"""Which providers exist and which one new payments use (`CRM_PAYMENT_GATEWAY`, default
"sandbox")."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from crm.finance.gateways.base import PaymentGateway

_factories: dict[str, Callable[[], PaymentGateway]] = {}


def register_gateway(key: str, factory: Callable[[], PaymentGateway]) -> None:
    _factories[key] = factory


def gateway_get(key: str) -> PaymentGateway | None:
    factory = _factories.get(key)
    return factory() if factory else None


def default_provider() -> str:
    return getattr(settings, "CRM_PAYMENT_GATEWAY", "") or "sandbox"


def gateway_keys() -> list[str]:
    return sorted(_factories)
