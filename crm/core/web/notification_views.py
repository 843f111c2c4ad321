"""Notifications (PL-7): the list, the bell's dropdown, the polling fallback of the live
pop-ups, the mentions widget's "mark seen", and the system message templates admins edit.

The websocket at /ws/notifications/ (crm.core.notifications.consumers) pushes pop-ups;
`notification_poll` serves tabs whose websocket cannot connect."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from crm.core.errors import ApplicationError
from crm.core.items.services import mentions_seen
from crm.core.notifications.registry import message_kind_get, message_kinds
from crm.core.notifications.selectors import (
    message_templates,
    notification_latest_id,
    notifications_after,
    notifications_for,
    unread_count,
)
from crm.core.notifications.services import (
    message_template_reset,
    message_template_save,
    notification_mark_read,
)
from crm.core.templating import placeholders_in, render_text
from crm.core.web.errors import error_to_form
from crm.core.web.item_views import is_htmx
from crm.core.web.paging import paginate

DROPDOWN_SIZE = 8


def _safe(request: HttpRequest, target: str, fallback: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _next(request: HttpRequest, fallback: str) -> str:
    return _safe(request, request.POST.get("next") or request.GET.get("next") or "", fallback)


def _payload(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "kind": row.kind,
        "title": row.title,
        "body": row.body,
        "url": row.url,
        "at": timezone.localtime(row.created_at).isoformat(),
    }


# ---- the list and the bell ---------------------------------------------------------------


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, notifications_for(user=request.user, unread_only=unread_only), per_page=30)
    return render(
        request,
        "core/notifications/list.html",
        {**page, "unread_only": unread_only, "unread": unread_count(user=request.user)},
    )


@login_required
@require_GET
def notification_dropdown(request: HttpRequest) -> HttpResponse:
    """The bell's menu (loaded by htmx when it opens)."""
    return _dropdown(request)


def _dropdown(request: HttpRequest) -> HttpResponse:
    rows = list(notifications_for(user=request.user)[:DROPDOWN_SIZE])
    return render(
        request,
        "core/notifications/dropdown.html",
        {"rows": rows, "unread": unread_count(user=request.user)},
    )


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    row = notifications_for(user=request.user).filter(pk=pk).first()
    if row is None:
        raise Http404
    notification_mark_read(user=request.user, ids=[row.pk])
    return redirect(_safe(request, row.url, reverse("notification_list")))


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
    if ids:
        notification_mark_read(user=request.user, ids=ids)
    return _after_read(request)


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_read(user=request.user)
    if not is_htmx(request) and count:
        messages.success(request, _("All notifications are marked read."))
    return _after_read(request)


def _after_read(request: HttpRequest) -> HttpResponse:
    if is_htmx(request) and request.POST.get("from") == "dropdown":
        return _dropdown(request)
    return redirect(_next(request, reverse("notification_list")))


@login_required
@require_GET
def notification_poll(request: HttpRequest) -> JsonResponse:
    """The pop-ups' fallback when the websocket cannot connect: new notifications after
    `?after=<id>` (JSON). Without `after`, only where to start (nothing old pops up)."""
    raw = request.GET.get("after", "")
    unread = unread_count(user=request.user)
    if not raw.isdigit():
        return JsonResponse(
            {"notifications": [], "last_id": notification_latest_id(user=request.user), "unread": unread}
        )
    after = int(raw)
    rows = notifications_after(user=request.user, after_id=after)
    last_id = max([after, *(r.pk for r in rows)])
    response = JsonResponse({"notifications": [_payload(r) for r in rows], "last_id": last_id, "unread": unread})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def mention_seen(request: HttpRequest) -> HttpResponse:
    """The mentions widget's "mark seen" (one mention with `id`, or all)."""
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
    mentions_seen(user=request.user, ids=ids or None)
    return redirect(_next(request, reverse("dashboard")))


# ---- system message templates (admin) ----------------------------------------------------


def _languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def _defaults(kind: Any, language: str) -> tuple[str, str]:
    with translation.override(language):
        return str(kind.subject), str(kind.body)


class MessageTemplateForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject / title"), max_length=300)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)

    def __init__(self, *args: Any, allowed: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = allowed
        for name, field in self.fields.items():
            field.widget.attrs.update({"class": "form-control", "dir": "auto", "data-testid": f"template-{name}"})

    def _check(self, name: str) -> str:
        text = self.cleaned_data.get(name, "")
        unknown = [p for p in placeholders_in(text) if p not in self.allowed]
        if unknown:
            raise forms.ValidationError(
                _("Unknown placeholders: %(names)s") % {"names": ", ".join("{{ " + u + " }}" for u in unknown)}
            )
        return text

    def clean_subject(self) -> str:
        return self._check("subject")

    def clean_body(self) -> str:
        return self._check("body")


@login_required
@permission_required("core.change_messagetemplate", raise_exception=True)
def message_template_list(request: HttpRequest) -> HttpResponse:
    saved = {(t.kind, t.language): t for t in message_templates()}
    languages = _languages()
    rows = [
        {
            "kind": kind,
            "cells": [
                {"language": code, "name": name, "saved": saved.get((kind.key, code))} for code, name in languages
            ],
        }
        for kind in message_kinds()
    ]
    return render(request, "core/settings/message_templates.html", {"rows": rows, "languages": languages})


@login_required
@permission_required("core.change_messagetemplate", raise_exception=True)
def message_template_edit(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    message_kind = message_kind_get(kind)
    languages = dict(_languages())
    if message_kind is None or language not in languages:
        raise Http404
    saved = message_templates().filter(kind=kind, language=language).first()
    default_subject, default_body = _defaults(message_kind, language)
    initial = {"subject": saved.subject if saved else default_subject, "body": saved.body if saved else default_body}
    allowed = set(message_kind.placeholders)
    action = request.POST.get("action", "save")
    form = MessageTemplateForm(request.POST or None, initial=initial, allowed=allowed)
    preview = None
    if request.method == "POST" and action == "reset":
        try:
            message_template_reset(actor=request.user, kind=kind, language=language)
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("The default wording is back."))
            return redirect("message_template_edit", kind=kind, language=language)
    elif request.method == "POST" and form.is_valid():
        if action == "preview":
            with translation.override(language):
                sample = {key: f"‹{label}›" for key, label in message_kind.placeholders.items()}
            preview = {
                "subject": render_text(form.cleaned_data["subject"], sample),
                "body": render_text(form.cleaned_data["body"], sample),
            }
        else:
            try:
                message_template_save(
                    actor=request.user,
                    kind=kind,
                    language=language,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                )
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("The message template was saved."))
                return redirect("message_template_list")
    return render(
        request,
        "core/settings/message_template_edit.html",
        {
            "kind": message_kind,
            "language": language,
            "language_name": languages[language],
            "languages": list(languages.items()),
            "form": form,
            "saved": saved,
            "preview": preview,
            "default_subject": default_subject,
            "default_body": default_body,
            "placeholders": sorted(message_kind.placeholders.items()),
        },
    )


urlpatterns = [
    path("notifications/", notification_list, name="notification_list"),
    path("notifications/menu/", notification_dropdown, name="notification_dropdown"),
    path("notifications/poll/", notification_poll, name="notification_poll"),
    path("notifications/read/", notification_read, name="notification_read"),
    path("notifications/read-all/", notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/open/", notification_open, name="notification_open"),
    path("mentions/seen/", mention_seen, name="mention_seen"),
    path("settings/messages/", message_template_list, name="message_template_list"),
    path("settings/messages/<str:kind>/<slug:language>/", message_template_edit, name="message_template_edit"),
]
