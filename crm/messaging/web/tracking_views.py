"""Email open pixel, click-tracked links and the unsubscribe page (public /m/ space).

No staff login: the message's random token in the URL is the credential. An unknown
token is a 404; a click goes only to a link stored on the send (never an open redirect).
The unsubscribe POST is CSRF-exempt so that mail clients' one-click unsubscribe
(RFC 8058, a POST without cookies) works; the token authorises it."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from crm.messaging import tracking


def _message_or_404(token: UUID) -> tracking.Message:
    message = tracking.message_by_token(token)
    if message is None:
        raise Http404
    return message


@never_cache
@require_GET
def open_pixel(request: HttpRequest, token: UUID) -> HttpResponse:
    message = _message_or_404(token)
    tracking.tracking_open(message=message)
    response = HttpResponse(tracking.GIF, content_type="image/gif")
    response["Cache-Control"] = "no-store, max-age=0"
    return response


@never_cache
@require_GET
def click(request: HttpRequest, token: UUID, n: int) -> HttpResponse:
    message = _message_or_404(token)
    url = tracking.tracking_click(message=message, n=n)
    if url is None:
        raise Http404
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: UUID) -> HttpResponse:
    message = _message_or_404(token)
    done = False
    if request.method == "POST":
        tracking.tracking_unsubscribe(message=message)
        done = True
    return render(
        request,
        "messaging/tracking/unsubscribe.html",
        {
            "address": message.to_address,
            "done": done or tracking.is_unsubscribed(message),
            "just_now": done,
        },
    )


urlpatterns = [
    path("o/<uuid:token>/", open_pixel, name="open"),
    path("c/<uuid:token>/<int:n>/", click, name="click"),
    path("u/<uuid:token>/", unsubscribe, name="unsubscribe"),
]
