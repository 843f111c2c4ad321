"""The adapter interface every payment provider implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class PaymentRequest:
    authority: str  # the provider's token for this payment
    redirect_url: str  # where the payer's browser goes to pay


@dataclass(frozen=True)
class CallbackData:
    authority: str
    ok: bool  # the payer says they paid (still to be verified server-side)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    ref_id: str = ""  # the bank's reference of the settled payment
    card: str = ""  # masked card number
    message: str = ""


class GatewayError(Exception):
    """The provider refused or could not be reached."""


class PaymentGateway(Protocol):
    key: str

    def request(self, *, amount: Decimal, order_id: str, callback_url: str, description: str) -> PaymentRequest: ...

    def parse_callback(self, params: Mapping[str, str]) -> CallbackData: ...

    def verify(self, *, authority: str, amount: Decimal) -> VerifyResult: ...
