"""SMS lines, suppression list (blacklist/opt-outs) and SMS sent/received lists."""

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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.core.errors import ApplicationError
from crm.core.i18n.forms import UserDateField
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.messaging import sms_services as services
from crm.messaging.access import sms_lines_for_user
from crm.messaging.gateways.registry import gateway_choices
from crm.messaging.models import Channel, FaxLine, Message, SmsLine, Suppression

# --- the SMS list (CM-3) ----------------------------------------------------------------------


class SmsFilterForm(forms.Form):
    direction = forms.ChoiceField(
        label=gettext_lazy("Direction"), required=False, choices=[("", gettext_lazy("All")), *Message.Direction.choices]
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=[("", gettext_lazy("All")), *Message.Status.choices]
    )
    line = forms.ModelChoiceField(label=gettext_lazy("Line"), required=False, queryset=SmsLine.objects.none())
    since = UserDateField(label=gettext_lazy("From"), required=False)
    until = UserDateField(label=gettext_lazy("To"), required=False)
    q = forms.CharField(label=gettext_lazy("Number or text"), required=False, max_length=100)
    identity = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = sms_lines_for_user(user, send=False).order_by("name")
        for name, field in self.fields.items():
            if name != "identity":
                field.widget.attrs.setdefault(
                    "class",
                    "form-select form-select-sm"
                    if isinstance(field, forms.ChoiceField)
                    else "form-control form-control-sm",
                )


def _day_start(day: dt.date | None) -> dt.datetime | None:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else None


@login_required
def sms_list(request: HttpRequest) -> HttpResponse:
    form = SmsFilterForm(request.GET or None, user=request.user)
    values = form.cleaned_data if form.is_valid() else {}
    until = values.get("until")
    qs = services.sms_list_for_user(
        user=request.user,
        direction=values.get("direction") or "",
        status=values.get("status") or "",
        line=getattr(values.get("line"), "pk", None),
        identity=values.get("identity"),
        since=_day_start(values.get("since")),
        until=_day_start(until + dt.timedelta(days=1)) if until else None,
        search=(values.get("q") or "").strip(),
    )
    context = {"form": form, **paginate(request, qs, per_page=50)}
    return render(request, "messaging/sms/sms_list.html", context)


# --- SMS and fax lines ------------------------------------------------------------------------


class SmsLineForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    number = forms.CharField(label=gettext_lazy("Sender number"), max_length=32)
    provider = forms.ChoiceField(label=gettext_lazy("Provider"), choices=())
    url = forms.URLField(
        label=gettext_lazy("Gateway address"),
        required=False,
        assume_scheme="http",
        help_text=gettext_lazy("Kannel: the smsbox sendsms address, e.g. http://127.0.0.1:13013"),
    )
    username = forms.CharField(label=gettext_lazy("Username"), max_length=100, required=False)
    secret = forms.CharField(
        label=gettext_lazy("Password / API key"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Stored encrypted and never shown again; leave empty to keep the stored one."),
    )
    smsc = forms.CharField(label=gettext_lazy("SMSC link (optional)"), max_length=40, required=False)
    callback_url = forms.URLField(
        label=gettext_lazy("CRM address for the gateway's reports"),
        required=False,
        assume_scheme="http",
        help_text=gettext_lazy("Where the gateway reaches this CRM; empty = the public address."),
    )
    rate_per_second = forms.IntegerField(label=gettext_lazy("Messages per second"), min_value=1, initial=50)
    is_default = forms.BooleanField(label=gettext_lazy("Default line"), required=False)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    CONFIG = ("url", "username", "smsc", "callback_url")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = gateway_choices()
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-control"
            if isinstance(field, forms.ChoiceField):
                css = "form-select"
            field.widget.attrs.setdefault("class", css)
        for name in ("number", "url", "callback_url", "username", "smsc"):
            self.fields[name].widget.attrs["dir"] = "ltr"

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        config = {key: data[key] for key in self.CONFIG if data.get(key)}
        return {
            "name": data["name"],
            "number": data["number"].strip(),
            "provider": data["provider"],
            "config": config,
            "rate_per_second": data["rate_per_second"],
            "is_default": data["is_default"],
            "active": data["active"],
        }


class FaxLineForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    number = forms.CharField(label=gettext_lazy("Fax number"), max_length=32)
    provider = forms.CharField(label=gettext_lazy("Provider"), max_length=40, initial="email2fax")
    address_pattern = forms.CharField(
        label=gettext_lazy("Gateway address pattern"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Email-to-fax: e.g. {number}@fax.example.com"),
    )
    secret = forms.CharField(
        label=gettext_lazy("Password / API key"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Stored encrypted and never shown again; leave empty to keep the stored one."),
    )
    is_default = forms.BooleanField(label=gettext_lazy("Default line"), required=False)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-check-input" if isinstance(field, forms.BooleanField) else "form-control"
            )
        self.fields["number"].widget.attrs["dir"] = "ltr"
        self.fields["address_pattern"].widget.attrs["dir"] = "ltr"


class TestSmsForm(forms.Form):
    to = forms.CharField(label=gettext_lazy("To number"), max_length=32, widget=forms.TextInput(attrs={"dir": "ltr"}))
    text = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=500,
        initial=gettext_lazy("Test message from the CRM"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@login_required
def line_list(request: HttpRequest) -> HttpResponse:
    if not (request.user.has_perm("messaging.view_smsline") or request.user.has_perm("messaging.add_smsline")):
        raise PermissionDenied
    context = {
        "sms_lines": SmsLine.objects.order_by("-active", "name"),
        "fax_lines": FaxLine.objects.order_by("-active", "name"),
        "test_form": TestSmsForm(),
    }
    return render(request, "messaging/sms/line_list.html", context)


def _sms_line(pk: int) -> SmsLine:
    line = SmsLine.objects.filter(pk=pk).first()
    if line is None:
        raise Http404
    return line


@login_required
def sms_line_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    line = _sms_line(pk) if pk else None
    _need(request, "messaging.change_smsline" if line else "messaging.add_smsline")
    initial: dict[str, Any] = {"provider": "kannel", "active": True, "rate_per_second": 50}
    if line is not None:
        initial = {
            "name": line.name,
            "number": line.number,
            "provider": line.provider,
            "rate_per_second": line.rate_per_second,
            "is_default": line.is_default,
            "active": line.active,
            **{key: (line.config or {}).get(key, "") for key in SmsLineForm.CONFIG},
        }
    form = SmsLineForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.sms_line_save(
                actor=request.user, line=line, secret=form.cleaned_data["secret"] or None, **form.service_values()
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("The SMS line was saved."))
            return redirect("messaging:line_list")
    title = _("Edit SMS line") if line else _("New SMS line")
    return render(
        request, "form_page.html", {"form": form, "title": title, "back": "messaging:line_list", "object": line}
    )


@login_required
def fax_line_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    line = FaxLine.objects.filter(pk=pk).first() if pk else None
    if pk and line is None:
        raise Http404
    _need(request, "messaging.change_faxline" if line else "messaging.add_faxline")
    initial: dict[str, Any] = {"provider": "email2fax", "active": True}
    if line is not None:
        initial = {
            "name": line.name,
            "number": line.number,
            "provider": line.provider,
            "address_pattern": (line.config or {}).get("address_pattern", ""),
            "is_default": line.is_default,
            "active": line.active,
        }
    form = FaxLineForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.fax_line_save(
                actor=request.user,
                line=line,
                secret=data["secret"] or None,
                name=data["name"],
                number=data["number"].strip(),
                provider=data["provider"],
                config={"address_pattern": data["address_pattern"]} if data["address_pattern"] else {},
                is_default=data["is_default"],
                active=data["active"],
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("The fax line was saved."))
            return redirect("messaging:line_list")
    title = _("Edit fax line") if line else _("New fax line")
    return render(
        request, "form_page.html", {"form": form, "title": title, "back": "messaging:line_list", "object": line}
    )


@login_required
@require_POST
def sms_line_test(request: HttpRequest, pk: int) -> HttpResponse:
    line = _sms_line(pk)
    _need(request, "messaging.change_smsline")
    form = TestSmsForm(request.POST)
    if form.is_valid():
        try:
            services.line_test_send(
                actor=request.user, line=line, to=form.cleaned_data["to"], text=form.cleaned_data["text"]
            )
        except ApplicationError as exc:
            error_to_message(request, exc)
        else:
            messages.success(request, _("The test SMS is queued; its status shows in the SMS list."))
    else:
        messages.error(request, _("Enter a number and a text for the test SMS."))
    return redirect("messaging:line_list")


# --- suppression list -------------------------------------------------------------------------


class SuppressionForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=[(Channel.SMS, Channel.SMS.label), (Channel.EMAIL, Channel.EMAIL.label)]
    )
    address = forms.CharField(
        label=gettext_lazy("Number or address"), max_length=320, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=Suppression.Reason.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )


class SuppressionImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Text or CSV file with numbers"))
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=Suppression.Reason.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ".txt,.csv,text/plain,text/csv"})
        self.fields["reason"].widget.attrs["class"] = "form-select"


MAX_IMPORT = 5 * 1024 * 1024


@login_required
def suppression_list(request: HttpRequest) -> HttpResponse:
    _need(request, "messaging.view_suppression")
    add_form = SuppressionForm(request.POST or None, prefix="add")
    if request.method == "POST":
        _need(request, "messaging.add_suppression")
        if add_form.is_valid():
            try:
                services.suppression_add(actor=request.user, **add_form.cleaned_data)
            except ApplicationError as exc:
                error_to_form(add_form, exc)
            else:
                messages.success(request, _("The address is on the list: nothing more is sent to it."))
                return redirect("messaging:suppression_list")
    search = request.GET.get("q", "").strip()[:100]
    reason = request.GET.get("reason", "")
    reason = reason if reason in Suppression.Reason.values else ""
    rows = services.suppression_list(search=search, reason=reason)
    context = {
        "add_form": add_form,
        "import_form": SuppressionImportForm(initial={"reason": Suppression.Reason.BLACKLIST}),
        "search": search,
        "reason": reason,
        "reasons": Suppression.Reason.choices,
        **paginate(request, rows, per_page=100),
    }
    return render(request, "messaging/sms/suppression_list.html", context)


@login_required
@require_POST
def suppression_import(request: HttpRequest) -> HttpResponse:
    _need(request, "messaging.add_suppression")
    form = SuppressionImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a text or CSV file."))
        return redirect("messaging:suppression_list")
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT:
        messages.error(request, _("The file is larger than 5 MB."))
        return redirect("messaging:suppression_list")
    try:
        counts = services.suppression_import(
            actor=request.user, content=upload.read(), reason=form.cleaned_data["reason"]
        )
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(
            request,
            _("%(added)s added, %(existing)s already on the list, %(invalid)s not usable.") % counts,
        )
    return redirect("messaging:suppression_list")


@login_required
@require_POST
def suppression_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "messaging.delete_suppression")
    row = Suppression.objects.filter(pk=pk).first()
    if row is None:
        raise Http404
    services.suppression_remove(actor=request.user, row=row)
    messages.success(request, _("The address was taken off the list."))
    return redirect("messaging:suppression_list")


urlpatterns = [
    path("sms/", sms_list, name="sms_list"),
    path("lines/", line_list, name="line_list"),
    path("lines/sms/new/", sms_line_edit, name="sms_line_create"),
    path("lines/sms/<int:pk>/", sms_line_edit, name="sms_line_edit"),
    path("lines/sms/<int:pk>/test/", sms_line_test, name="sms_line_test"),
    path("lines/fax/new/", fax_line_edit, name="fax_line_create"),
    path("lines/fax/<int:pk>/", fax_line_edit, name="fax_line_edit"),
    path("suppression/", suppression_list, name="suppression_list"),
    path("suppression/import/", suppression_import, name="suppression_import"),
    path("suppression/<int:pk>/remove/", suppression_remove, name="suppression_remove"),
]
