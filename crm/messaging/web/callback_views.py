"""Gateway callbacks: delivery reports and inbound SMS (shared secret, idempotent).

Kannel calls these with GET (its `dlr-url` and the `sms-service` `get-url`); other providers
may POST form fields. No staff login: the shared secret (`secret` parameter or the
`X-CRM-Secret` header) is checked in constant time; a wrong or missing one is a 403."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from crm.messaging.callbacks import CallbackError, dlr_receive, secret_ok, sms_inbound_receive
from crm.messaging.models import Message

logger = logging.getLogger(__name__)


def _params(request: HttpRequest) -> dict[str, str]:
    params = {key: request.GET.get(key, "") for key in request.GET}
    if request.method == "POST":
        params.update({key: request.POST.get(key, "") for key in request.POST})
    return params


def _secret(request: HttpRequest, params: dict[str, str]) -> str:
    return request.headers.get("X-CRM-Secret", "") or params.get("secret", "")


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sms_dlr(request: HttpRequest, provider: str = "kannel") -> HttpResponse:
    params = _params(request)
    if not secret_ok(_secret(request, params)):
        return _text("forbidden", 403)
    try:
        dlr_receive(provider=provider, params=params)
    except CallbackError as exc:
        return _text(f"bad request: {exc}", 400)
    except Message.DoesNotExist:
        return _text("no such message", 404)
    return _text("ok")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def sms_inbound(request: HttpRequest, provider: str = "kannel") -> HttpResponse:
    params = _params(request)
    if not secret_ok(_secret(request, params)):
        return _text("forbidden", 403)
    try:
        sms_inbound_receive(provider=provider, params=params)
    except CallbackError as exc:
        return _text(f"bad request: {exc}", 400)
    # an empty body: Kannel's sms-service has max-messages = 0, and replies (surveys,
    # serial checks) go out through the outbox like every other message
    return _text("")


urlpatterns = [
    path("sms/kannel/dlr/", sms_dlr, name="kannel_dlr"),
    path("sms/kannel/in/", sms_inbound, name="kannel_inbound"),
    path("sms/<slug:provider>/dlr/", sms_dlr, name="sms_dlr"),
    path("sms/<slug:provider>/in/", sms_inbound, name="sms_inbound"),
]
