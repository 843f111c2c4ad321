"""Public pages (no staff login): the payment page a customer opens from a link, the
gateway callback, and the sandbox bank. The link's token is signed; the amount and the
identity come from the server's record, never from the request."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from crm.core.errors import ApplicationError
from crm.finance import services
from crm.finance.gateways import sandbox
from crm.finance.gateways.base import GatewayError
from crm.finance.gateways.registry import default_provider
from crm.finance.models import GatewayTransaction, PaymentLink, SandboxPayment

ORG_NAME_SETTING = "CRM_ORGANISATION_NAME"


def _org_name() -> str:
    from django.conf import settings

    return getattr(settings, ORG_NAME_SETTING, "") or "CRM"


def _link(token: str) -> PaymentLink:
    link = services.payment_link_from_token(token)
    if link is None:
        raise Http404
    return link


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, token: str) -> HttpResponse:
    link = _link(token)
    error = ""
    if request.method == "POST":
        callback = request.build_absolute_uri(reverse("finance_public:callback", args=[default_provider()]))
        try:
            _tx, redirect_url = services.payment_start(link=link, callback_url=callback)
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect(redirect_url)
    state = services.payment_link_state(link)
    status = 200 if state == PaymentLink.Status.OPEN else 410
    return render(
        request,
        "finance/public/pay.html",
        {"link": link, "state": state, "error": error, "org_name": _org_name(), "token": token},
        status=status if not error else 400,
    )


@csrf_exempt  # the bank posts (or redirects) the payer here; verify is server-side
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    params = dict((request.POST if request.method == "POST" else request.GET).items())
    try:
        tx = services.payment_callback(provider=provider, params=params)
    except ApplicationError as exc:
        return render(
            request,
            "finance/public/result.html",
            {"ok": False, "message": exc.message, "org_name": _org_name()},
            status=exc.status if exc.status >= 400 else 400,
        )
    receipt = tx.link.receipts.filter(gateway_ref=f"{tx.provider}:{tx.ref_id}").first() if tx.ref_id else None
    return render(
        request,
        "finance/public/result.html",
        {
            "ok": tx.status == GatewayTransaction.Status.PAID,
            "tx": tx,
            "receipt": receipt,
            "link": tx.link,
            "org_name": _org_name(),
            "token": services.payment_link_token(tx.link),
        },
    )


@require_http_methods(["GET", "POST"])
def sandbox_bank(request: HttpRequest, authority: str) -> HttpResponse:
    """The sandbox bank's payment page: pay, fail or cancel."""
    payment = sandbox.bank_payment(authority)
    if payment is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in ("pay", "fail", "cancel"):
            action = "cancel"
        try:
            with transaction.atomic():
                url = sandbox.bank_settle(authority=authority, action=action)
        except GatewayError as exc:
            raise Http404 from exc
        return redirect(url)
    return render(
        request,
        "finance/public/sandbox_bank.html",
        {"payment": payment, "pending": payment.status == SandboxPayment.Status.PENDING},
    )
