"""Occasion messages (birthdays, holidays, special dates): list, edit, and "run now" for a
date with a preview of how many it is for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import ApplicationError
from crm.core.i18n.calendars import JALALI_MONTHS
from crm.core.i18n.digits import localize_digits
from crm.core.i18n.forms import UserDateField
from crm.core.web.admin_forms import BootstrapMixin
from crm.core.web.errors import error_to_form, error_to_message
from crm.identities.selectors import categories_for_user
from crm.messaging import occasions as services
from crm.messaging.models import Channel, Mailbox, Occasion, SmsLine, Template


def _require(user: Any, *perms: str) -> None:
    if not any(user.has_perm(p) for p in perms):
        raise PermissionDenied


class OccasionForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"))
    calendar = forms.ChoiceField(
        label=gettext_lazy("Calendar"),
        choices=Occasion.Calendar.choices,
        help_text=gettext_lazy("Birthdays and special dates: each identity's own calendar unless you choose one."),
    )
    month = forms.IntegerField(label=gettext_lazy("Month"), min_value=1, max_value=12, required=False)
    day = forms.IntegerField(label=gettext_lazy("Day"), min_value=1, max_value=31, required=False)
    special_label = forms.CharField(
        label=gettext_lazy("Special date label"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("As written on identities' special dates, e.g. “Wedding anniversary”."),
    )
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=[c for c in Channel.choices if c[0] != "fax"])
    template = forms.ModelChoiceField(label=gettext_lazy("Template"), queryset=Template.objects.none())
    sms_line = forms.ModelChoiceField(label=gettext_lazy("SMS line"), queryset=SmsLine.objects.none(), required=False)
    mailbox = forms.ModelChoiceField(label=gettext_lazy("Mailbox"), queryset=Mailbox.objects.none(), required=False)
    category_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Only these categories"), required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )
    send_hour = forms.IntegerField(label=gettext_lazy("Send at hour"), min_value=0, max_value=23, initial=9)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = services.occasion_kinds()
        self.fields["template"].queryset = Template.objects.filter(active=True).exclude(channel=Channel.FAX)
        self.fields["sms_line"].queryset = SmsLine.objects.filter(active=True)
        self.fields["mailbox"].queryset = Mailbox.objects.filter(active=True, kind=Mailbox.Kind.ORGANISATION)
        self.fields["category_ids"].choices = [(c.pk, c.name) for c in categories_for_user(user=user)]
        self.fields["sms_line"].empty_label = self.fields["mailbox"].empty_label = _("The default one")


class RunForm(BootstrapMixin, forms.Form):
    on = UserDateField(label=gettext_lazy("Date"))


def _occasion_or_404(request: HttpRequest, pk: int) -> Occasion:
    occasion = services.occasions_for_user(request.user).filter(pk=pk).first()
    if occasion is None:
        raise Http404
    return occasion


def when_label(occasion: Any) -> str:
    """“1 Farvardin”, “25 December”, or what the date depends on."""
    if occasion.month and occasion.day and occasion.kind == Occasion.Kind.FIXED_DATE:
        if occasion.calendar == Occasion.Calendar.GREGORIAN:
            text = date_format(dt.date(2024, occasion.month, occasion.day), "j F")
        else:
            text = f"{occasion.day} {JALALI_MONTHS[occasion.month - 1]}"
        return localize_digits(text, get_language())
    if occasion.kind == Occasion.Kind.SPECIAL_DATE:
        return occasion.special_label
    if occasion.kind == Occasion.Kind.BIRTHDAY:
        return str(dict(Occasion.Calendar.choices).get(occasion.calendar, ""))
    return ""


def common_choices() -> list[dict[str, Any]]:
    return [
        {**c, "when": when_label(Occasion(kind=Occasion.Kind.FIXED_DATE, **c))} for c in services.common_occasions()
    ]


@login_required
def occasion_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, "messaging.view_occasion", "messaging.add_occasion")
    rows = list(services.occasions_for_user(request.user))
    for row in rows:
        row.when_label = when_label(row)
    return render(
        request,
        "messaging/occasions/occasion_list.html",
        {"rows": rows, "kinds": dict(services.occasion_kinds()), "common": common_choices()},
    )


def _edit(request: HttpRequest, occasion: Occasion | None) -> HttpResponse:
    if request.method == "POST":
        form = OccasionForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                saved = services.occasion_save(actor=request.user, occasion=occasion, **form.cleaned_data)
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("Occasion saved."))
                return redirect("messaging:occasion_run", saved.pk)
    elif occasion is not None:
        initial = {f: getattr(occasion, f) for f in services.OCCASION_FIELDS}
        initial["category_ids"] = [str(i) for i in occasion.category_ids or []]
        form = OccasionForm(initial=initial, user=request.user)
    else:
        initial: dict[str, Any] = {
            "kind": Occasion.Kind.BIRTHDAY,
            "calendar": Occasion.Calendar.IDENTITY,
            "channel": Channel.SMS,
            "send_hour": 9,
            "active": True,
        }
        for key in ("name", "kind", "calendar", "month", "day"):
            if request.GET.get(key):
                initial[key] = request.GET[key]
        form = OccasionForm(initial=initial, user=request.user)
    return render(request, "messaging/occasions/occasion_form.html", {"form": form, "occasion": occasion})


@login_required
def occasion_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, "messaging.add_occasion")
    return _edit(request, None)


@login_required
def occasion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "messaging.change_occasion")
    return _edit(request, _occasion_or_404(request, pk))


@login_required
@require_POST
def occasion_delete(request: HttpRequest, pk: int) -> HttpResponse:
    occasion = _occasion_or_404(request, pk)
    try:
        services.occasion_delete(actor=request.user, occasion=occasion)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("messaging:occasion_edit", pk)
    messages.success(request, _("Occasion deleted."))
    return redirect("messaging:occasion_list")


@login_required
def occasion_run(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: who the occasion is for on a date (count, already sent, sample texts).
    POST: queue them now (each identity still gets it once a year)."""
    _require(request.user, "messaging.view_occasion", "messaging.add_occasion")
    occasion = _occasion_or_404(request, pk)
    data = request.POST if request.method == "POST" else (request.GET if "on" in request.GET else None)
    form = RunForm(data, initial={"on": timezone.localdate()})
    on = form.cleaned_data["on"] if data is not None and form.is_valid() else timezone.localdate()
    if request.method == "POST" and form.is_valid():
        if not request.user.has_perm("messaging.change_occasion"):
            raise PermissionDenied
        run = services.occasion_run(occasion=occasion, on=on)
        if run.skipped == "no_account":
            messages.error(request, _("There is no active line or mailbox to send from."))
        elif run.skipped:
            messages.warning(request, _("The occasion or its template is inactive."))
        else:
            messages.success(
                request,
                _("%(queued)s messages queued (%(no_address)s without an address).")
                % {"queued": run.queued, "no_address": run.no_address},
            )
    preview = services.occasion_preview(occasion=occasion, on=on)
    occasion.when_label = when_label(occasion)
    return render(
        request,
        "messaging/occasions/occasion_run.html",
        {"occasion": occasion, "form": form, "on": on, "preview": preview, "kinds": dict(services.occasion_kinds())},
    )


urlpatterns = [
    path("occasions/", occasion_list, name="occasion_list"),
    path("occasions/new/", occasion_create, name="occasion_create"),
    path("occasions/<int:pk>/", occasion_edit, name="occasion_edit"),
    path("occasions/<int:pk>/delete/", occasion_delete, name="occasion_delete"),
    path("occasions/<int:pk>/run/", occasion_run, name="occasion_run"),
]
