"""The shell every user sees: dashboard, preferences, saved filters, PWA manifest."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.dashboard.registry import widget_get, widgets_available
from crm.core.dashboard.services import (
    dashboard_add,
    dashboard_keys_for,
    dashboard_move,
    dashboard_remove,
    dashboard_set,
)
from crm.core.errors import ApplicationError
from crm.core.i18n.calendars import CALENDARS
from crm.core.i18n.middleware import SESSION_CALENDAR, SESSION_LANGUAGE
from crm.core.lists.selectors import saved_filter_get_for
from crm.core.lists.services import saved_filter_create, saved_filter_delete
from crm.core.web.errors import error_to_message
from crm.core.web.forms import SavedFilterForm, WidgetOrderForm


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    keys = dashboard_keys_for(request.user)
    widgets = []
    for key in keys:
        widget = widget_get(key)
        if widget is not None:
            widgets.append({"widget": widget, "context": widget.context(request.user)})
    addable = [w for w in widgets_available(request.user) if w.key not in keys]
    return render(request, "core/dashboard.html", {"widgets": widgets, "addable": addable})


@login_required
@require_POST
def dashboard_change(request: HttpRequest) -> HttpResponse:
    action, key = request.POST.get("action", ""), request.POST.get("key", "")
    if action == "order":
        form = WidgetOrderForm(request.POST)
        if form.is_valid():
            keys = dashboard_set(user=request.user, keys=form.cleaned_data["order"].split(","))
            return JsonResponse({"widgets": keys})
        return JsonResponse({"error": form.errors}, status=400)
    if action == "add":
        dashboard_add(user=request.user, key=key)
    elif action == "remove":
        dashboard_remove(user=request.user, key=key)
    elif action in ("up", "down"):
        dashboard_move(user=request.user, key=key, step=-1 if action == "up" else 1)
    return redirect("dashboard")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Language (and optionally calendar) switch for this session, signed in or not."""
    language = request.POST.get("language", "")
    if language in {code for code, _name in settings.LANGUAGES}:
        request.session[SESSION_LANGUAGE] = language
        if request.user.is_authenticated and request.user.language:
            request.user.language = language
            request.user.save(update_fields=["language"])
    calendar = request.POST.get("calendar", "")
    if calendar in CALENDARS:
        request.session[SESSION_CALENDAR] = calendar
    response = redirect(_safe_next(request))
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", httponly=True)
    return response


@login_required
@require_POST
def saved_filter_create_view(request: HttpRequest) -> HttpResponse:
    form = SavedFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The filter could not be saved."))
        return redirect(_safe_next(request))
    try:
        saved = saved_filter_create(actor=request.user, **form.cleaned_data)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect(_safe_next(request))
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    return redirect(f"{_safe_next(request)}?{saved.query}")


@login_required
@require_POST
def saved_filter_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    saved = saved_filter_get_for(user=request.user, pk=pk)
    if saved is None:
        raise Http404
    try:
        saved_filter_delete(actor=request.user, saved=saved)
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect(_safe_next(request))


def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": _("Open CRM"),
        "short_name": _("CRM"),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "dir": "rtl" if request.LANGUAGE_CODE[:2] in settings.RTL_LANGUAGES else "ltr",
        "lang": request.LANGUAGE_CODE,
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


def service_worker(request: HttpRequest) -> FileResponse:
    path = Path(settings.BASE_DIR) / "frontend" / "dist" / "sw.js"
    if not path.exists():
        raise Http404
    response = FileResponse(path.open("rb"), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
