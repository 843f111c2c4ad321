"""Quick send (CM-1) of SMS, email or fax to one identity (from its profile), a selection
(`?ids=1,2,3`) or everything an identities list shows (`?list_query=<its query string>`
and `&preset=customers|mine`), or to typed numbers/addresses."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy

from crm.core.errors import ApplicationError
from crm.core.i18n.digits import to_latin_digits
from crm.core.web.admin_forms import BootstrapMixin
from crm.core.web.errors import error_to_form
from crm.identities.phones import display_phone
from crm.identities.selectors import identity_base_for_user
from crm.messaging import quicksend
from crm.messaging.models import Channel, Mailbox
from crm.messaging.template_services import template_default, template_get, template_preview, templates_for

PRESETS = ("all", "customers", "mine")


class QuickSendForm(BootstrapMixin, forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, widget=forms.HiddenInput)
    identity = forms.CharField(required=False, widget=forms.HiddenInput)
    ids = forms.CharField(required=False, widget=forms.HiddenInput)
    list_query = forms.CharField(required=False, widget=forms.HiddenInput)
    preset = forms.CharField(required=False, widget=forms.HiddenInput)
    send_key = forms.CharField(widget=forms.HiddenInput)
    account = forms.ChoiceField(label=gettext_lazy("Send from"))
    template = forms.ChoiceField(label=gettext_lazy("Template"), required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "Leave empty to send the template as it is. "
            "Placeholders such as {{ identity.first_name }} are filled for each recipient."
        ),
    )
    addresses = forms.CharField(
        label=gettext_lazy("Also send to these numbers or addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=gettext_lazy("One per line."),
    )

    def __init__(self, *args: Any, user: Any, channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.pk, account_label(a)) for a in quicksend.accounts_for(user, channel)]
        self.fields["template"].choices = [("", "—")] + [(t.pk, t.name) for t in templates_for(channel=channel)]
        self.fields["template"].widget.attrs.update(
            {
                "hx-get": reverse("messaging:quick_send_template"),
                "hx-trigger": "change",
                "hx-target": "#template-text",
                "hx-include": "#quick-send-form [name=channel]",
            }
        )
        if channel == Channel.SMS:
            del self.fields["subject"]


def account_label(account: Any) -> str:
    """The account's name and its number or address, the latter isolated left-to-right
    (an <option> can hold no <span dir="ltr">)."""
    if isinstance(account, Mailbox):
        return f"{account.name} \u2066<{account.address}>\u2069"
    return f"{account.name} \u2066{display_phone(account.number)}\u2069"


def _channel(request: HttpRequest, fixed: str | None) -> str:
    value = fixed or request.POST.get("channel") or request.GET.get("channel") or Channel.SMS
    return value if value in Channel.values else Channel.SMS


def _params(request: HttpRequest) -> dict[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    preset = source.get("preset", "all")
    return {
        "identity": to_latin_digits(source.get("identity", "")).strip(),
        "ids": source.get("ids", ""),
        "list_query": source.get("list_query", ""),
        "preset": preset if preset in PRESETS else "all",
    }


def _recipient_ids(user: Any, params: dict[str, str]) -> list[int]:
    if params["identity"].isdigit():
        return [int(params["identity"])]
    if params["ids"]:
        return quicksend.parse_ids(params["ids"])
    if params["list_query"] or params["preset"] != "all":
        return quicksend.identity_ids_from_list_query(
            user, params["list_query"], params["preset"], limit=quicksend.QUICK_SEND_LIMIT + 1
        )
    return []


def _recipients_summary(user: Any, ids: list[int]) -> dict[str, Any]:
    visible = quicksend.visible_identity_ids(user, ids)
    first = list(identity_base_for_user(user=user).filter(pk__in=visible[:10]))
    first.sort(key=lambda i: visible.index(i.pk))
    return {"count": len(visible), "first": first, "more": max(0, len(visible) - len(first))}


def _form_context(request: HttpRequest, form: QuickSendForm, channel: str, params: dict[str, str]) -> dict[str, Any]:
    ids = _recipient_ids(request.user, params)
    return {
        "form": form,
        "channel": channel,
        "channels": Channel.choices,
        "params": params,
        "recipients": _recipients_summary(request.user, ids),
        "too_many": len(ids) > quicksend.QUICK_SEND_LIMIT,
        "limit": quicksend.QUICK_SEND_LIMIT,
        "no_account": not form.fields["account"].choices,
    }


@login_required
def quick_send(request: HttpRequest, fixed: str | None = None) -> HttpResponse:
    channel = _channel(request, fixed)
    params = _params(request)
    if request.method != "POST":
        default = template_default(channel)
        form = QuickSendForm(
            user=request.user,
            channel=channel,
            initial={
                **params,
                "channel": channel,
                "send_key": uuid.uuid4().hex,
                "template": default.pk if default else "",
            },
        )
        context = _form_context(request, form, channel, params) | {"chosen_template": default}
        return render(request, "messaging/send/quick_send.html", context)
    form = QuickSendForm(request.POST, user=request.user, channel=channel)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = quicksend.quick_send_report(
                actor=request.user,
                channel=channel,
                identity_ids=_recipient_ids(request.user, params),
                addresses=[line for line in data["addresses"].splitlines() if line.strip()],
                template=template_get(pk=data["template"], channel=channel) if data["template"] else None,
                body=data["body"],
                subject=data.get("subject", ""),
                account=data["account"],
                dedupe_prefix=f"quick:{request.user.pk}:{data['send_key'][:40]}",
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            no_address = list(identity_base_for_user(user=request.user).filter(pk__in=result.no_address[:50]))
            return render(
                request,
                "messaging/send/result.html",
                {"result": result, "channel": channel, "no_address": no_address, "params": params},
            )
    return render(request, "messaging/send/quick_send.html", _form_context(request, form, channel, params))


@login_required
def quick_send_template(request: HttpRequest) -> HttpResponse:
    """htmx: the subject and text fields filled from the chosen template."""
    channel = _channel(request, None)
    template = template_get(pk=request.GET.get("template", ""), channel=channel)
    return render(request, "messaging/send/template_fields.html", {"template": template, "channel": channel})


@login_required
def quick_send_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the message as the first recipient gets it."""
    source = request.POST if request.method == "POST" else request.GET
    channel = _channel(request, None)
    params = _params(request)
    template = template_get(pk=source.get("template", ""), channel=channel) if source.get("template") else None
    body = source.get("body", "") or (template.body if template else "")
    subject = source.get("subject", "") or (template.subject if template else "")
    visible = quicksend.visible_identity_ids(request.user, _recipient_ids(request.user, params)[:50])
    identity = identity_base_for_user(user=request.user).filter(pk=visible[0]).first() if visible else None
    preview = template_preview(
        body=body,
        subject=subject,
        channel=channel,
        is_html=bool(template and template.is_html),
        identity_id=identity.pk if identity else None,
        user=request.user,
    )
    return render(
        request, "messaging/templates/preview.html", {"preview": preview, "identity": identity, "channel": channel}
    )


urlpatterns = [
    path("send/", quick_send, name="quick_send"),
    path("send/sms/", quick_send, {"fixed": Channel.SMS.value}, name="quick_sms"),
    path("send/template/", quick_send_template, name="quick_send_template"),
    path("send/preview/", quick_send_preview, name="quick_send_preview"),
]
