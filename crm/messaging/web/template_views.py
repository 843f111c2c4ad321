"""Message templates with smart parameters: list per channel, editor with the placeholder
picker beside it, live preview for a real identity (htmx), SMS parts counter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.core.errors import ApplicationError
from crm.core.i18n.digits import to_latin_digits
from crm.core.web.admin_forms import BootstrapMixin
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.identities.selectors import identity_base_for_user, identity_get_for_user, identity_quick_search
from crm.messaging import template_services as services
from crm.messaging.models import Channel, Template
from crm.messaging.placeholders import placeholder_groups, placeholder_sources


def _require(user: Any, *perms: str) -> None:
    if not any(user.has_perm(p) for p in perms):
        raise PermissionDenied


class TemplateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices)
    context = forms.ChoiceField(label=gettext_lazy("About"), choices=())
    subject = forms.CharField(
        label=gettext_lazy("Subject"), max_length=300, required=False, help_text=gettext_lazy("Email and fax only.")
    )
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 8, "id": "id_body"}))
    is_html = forms.BooleanField(label=gettext_lazy("HTML (email)"), required=False)
    is_default = forms.BooleanField(label=gettext_lazy("Default for its channel"), required=False)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["context"].choices = [(s.key, s.label) for s in placeholder_sources()]


def _groups(form: forms.Form) -> list[tuple[str, list[tuple[str, str]]]]:
    context = form["context"].value() or "identity"
    return placeholder_groups(context if isinstance(context, str) else "identity")


def _preview_identities(user: Any, chosen: Any = None) -> list[Any]:
    """A few identities to preview with: the chosen one first, then recent ones."""
    base = identity_base_for_user(user=user).filter(is_unknown=False)
    rows = list(base.order_by("-id")[:15])
    if chosen is not None and chosen.pk not in {i.pk for i in rows}:
        rows.insert(0, chosen)
    return rows


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, "messaging.view_template", "messaging.add_template")
    channel = request.GET.get("channel", "")
    channel = channel if channel in Channel.values else ""
    qs = services.templates_for(channel=channel or None, active_only=request.GET.get("inactive") != "1")
    return render(
        request,
        "messaging/templates/template_list.html",
        {"channel": channel, "channels": Channel.choices, **paginate(request, qs.select_related("created_by"))},
    )


def _template_or_404(pk: int) -> Template:
    template = services.template_get(pk=pk)
    if template is None:
        raise Http404
    return template


def _edit(request: HttpRequest, template: Template | None) -> HttpResponse:
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                saved = services.template_save(actor=request.user, template=template, **form.cleaned_data)
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("Template saved."))
                return redirect("messaging:template_edit", saved.pk)
    elif template is not None:
        form = TemplateForm(initial={f: getattr(template, f) for f in services.TEMPLATE_FIELDS})
    else:
        channel = request.GET.get("channel", Channel.SMS)
        form = TemplateForm(initial={"channel": channel if channel in Channel.values else Channel.SMS, "active": True})
    return render(
        request,
        "messaging/templates/template_form.html",
        {
            "form": form,
            "template": template,
            "groups": _groups(form),
            "preview_identities": _preview_identities(request.user),
        },
    )


@login_required
def template_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, "messaging.add_template")
    return _edit(request, None)


@login_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "messaging.change_template")
    return _edit(request, _template_or_404(pk))


@login_required
@require_POST
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template_or_404(pk)
    try:
        deleted = services.template_delete(actor=request.user, template=template)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("messaging:template_edit", pk)
    if deleted:
        messages.success(request, _("Template deleted."))
    else:
        messages.warning(request, str(services.TemplateError.messages[services.TemplateErrorCode.IN_USE]))
    return redirect("messaging:template_list")


@login_required
@require_POST
def template_install_defaults(request: HttpRequest) -> HttpResponse:
    _require(request.user, "messaging.add_template")
    made = services.templates_install_defaults(actor=request.user)
    messages.success(request, _("%(count)s default templates added.") % {"count": len(made)})
    return redirect("messaging:template_list")


def _identity_from(request: HttpRequest, name: str) -> Any:
    raw = to_latin_digits(request.POST.get(name) or request.GET.get(name) or "").strip()
    return identity_get_for_user(user=request.user, pk=int(raw)) if raw.isdigit() else None


@login_required
@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """The htmx preview beside the editor (and on the quick-send page): the text as the
    chosen identity gets it, its length and SMS parts, unknown placeholders."""
    channel = request.POST.get("channel", Channel.SMS)
    channel = channel if channel in Channel.values else Channel.SMS
    identity = _identity_from(request, "preview_identity")
    preview = services.template_preview(
        body=request.POST.get("body", ""),
        subject=request.POST.get("subject", ""),
        channel=channel,
        is_html=request.POST.get("is_html") in ("on", "true", "1"),
        identity_id=identity.pk if identity else None,
        user=request.user,
        context=request.POST.get("context", "identity"),
    )
    return render(
        request,
        "messaging/templates/preview.html",
        {"preview": preview, "identity": identity, "channel": channel},
    )


@login_required
def template_identity_options(request: HttpRequest) -> HttpResponse:
    """<option>s for the preview identity select: quick search, only visible identities."""
    text = request.GET.get("preview_q", "").strip()
    rows = identity_quick_search(user=request.user, text=text, limit=15) if text else _preview_identities(request.user)
    return render(request, "messaging/templates/identity_options.html", {"rows": rows})


urlpatterns = [
    path("templates/", template_list, name="template_list"),
    path("templates/new/", template_create, name="template_create"),
    path("templates/defaults/", template_install_defaults, name="template_install_defaults"),
    path("templates/preview/", template_preview, name="template_preview"),
    path("templates/preview/identities/", template_identity_options, name="template_identity_options"),
    path("templates/<int:pk>/", template_edit, name="template_edit"),
    path("templates/<int:pk>/delete/", template_delete, name="template_delete"),
]
