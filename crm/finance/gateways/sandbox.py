"""The sandbox bank: a provider adapter and the 'bank' behind it, inside the project.

It behaves like an Iranian IPG: `request` books a payment and returns an authority and
the bank page (/pay/sandbox/<authority>/); the payer presses pay, fail or cancel there and
the bank sends the browser back to the callback URL with `Authority` and `Status` (OK/NOK);
`verify` is the merchant's server-side call, which checks the amount against the bank's
book, settles the payment once and returns the same reference when asked again."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import urlencode

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crm.finance.gateways.base import CallbackData, GatewayError, PaymentRequest, VerifyResult
from crm.finance.gateways.registry import register_gateway
from crm.finance.models import SandboxPayment

MERCHANT = "crm-sandbox"


# --- the bank ------------------------------------------------------------------------------


def bank_request(*, merchant: str, amount: Decimal, order_id: str, callback_url: str, description: str) -> str:
    if merchant != MERCHANT:
        raise GatewayError("unknown merchant")
    if amount <= 0:
        raise GatewayError("amount must be positive")
    payment = SandboxPayment.objects.create(
        authority=f"S{secrets.token_hex(16)}",
        merchant=merchant,
        amount=amount,
        order_id=order_id,
        description=description[:200],
        callback_url=callback_url,
    )
    return payment.authority


def bank_payment(authority: str) -> SandboxPayment | None:
    return SandboxPayment.objects.filter(authority=authority).first()


@transaction.atomic
def bank_settle(*, authority: str, action: str) -> str:
    """The payer pressed a button: returns the callback URL to send the browser to."""
    payment = SandboxPayment.objects.select_for_update().filter(authority=authority).first()
    if payment is None:
        raise GatewayError("unknown authority")
    if payment.status == SandboxPayment.Status.PENDING:
        if action == "pay":
            payment.status = SandboxPayment.Status.PAID
            payment.ref_id = str(secrets.randbelow(9 * 10**11) + 10**11)
        else:
            payment.status = SandboxPayment.Status.FAILED if action == "fail" else SandboxPayment.Status.CANCELLED
        payment.save(update_fields=["status", "ref_id"])
    status = "OK" if payment.status == SandboxPayment.Status.PAID else "NOK"
    separator = "&" if "?" in payment.callback_url else "?"
    return f"{payment.callback_url}{separator}{urlencode({'Authority': authority, 'Status': status})}"


@transaction.atomic
def bank_verify(*, merchant: str, authority: str, amount: Decimal) -> dict[str, str | int]:
    """Codes as the IPGs use them: 100 verified now, 101 verified before, <0 refused."""
    payment = SandboxPayment.objects.select_for_update().filter(authority=authority, merchant=merchant).first()
    if payment is None:
        return {"code": -11, "message": "unknown authority"}
    if payment.amount != amount:
        return {"code": -50, "message": "amount does not match the payment"}
    if payment.status != SandboxPayment.Status.PAID:
        return {"code": -51, "message": "not paid"}
    if payment.verified_at is not None:
        return {"code": 101, "ref_id": payment.ref_id, "card": "6037-99**-****-1234"}
    payment.verified_at = timezone.now()
    payment.save(update_fields=["verified_at"])
    return {"code": 100, "ref_id": payment.ref_id, "card": "6037-99**-****-1234"}


# --- the adapter ---------------------------------------------------------------------------


class SandboxGateway:
    key = "sandbox"

    def request(self, *, amount: Decimal, order_id: str, callback_url: str, description: str) -> PaymentRequest:
        authority = bank_request(
            merchant=MERCHANT, amount=amount, order_id=order_id, callback_url=callback_url, description=description
        )
        return PaymentRequest(
            authority=authority, redirect_url=reverse("finance_public:sandbox_bank", args=[authority])
        )

    def parse_callback(self, params: Mapping[str, str]) -> CallbackData:
        return CallbackData(authority=str(params.get("Authority", ""))[:120], ok=params.get("Status") == "OK")

    def verify(self, *, authority: str, amount: Decimal) -> VerifyResult:
        answer = bank_verify(merchant=MERCHANT, authority=authority, amount=amount)
        code = int(answer["code"])
        if code in (100, 101):
            return VerifyResult(ok=True, ref_id=str(answer["ref_id"]), card=str(answer.get("card", "")))
        return VerifyResult(ok=False, message=f"{code}: {answer.get('message', '')}")


register_gateway("sandbox", SandboxGateway)
