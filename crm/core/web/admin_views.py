"""Platform settings pages (PL-11): custom fields, numbering, lists, record rules, audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.core.audit.models import AuditEntry
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.services import custom_field_define, custom_field_update
from crm.core.dictionaries.models import DictionaryEntry
from crm.core.dictionaries.services import dictionary_entry_create, dictionary_entry_delete, dictionary_entry_update
from crm.core.errors import ApplicationError
from crm.core.i18n.forms import UserDateField
from crm.core.lists.export import export_response
from crm.core.lists.selectors import saved_filters_for
from crm.core.numbering.models import DocumentNumbering, NumberSequence
from crm.core.numbering.services import document_numbering_save, sequence_preview, sequence_save
from crm.core.permissions.models import FieldAccessRule, RecordRule
from crm.core.permissions.services import field_rule_save, record_rule_save, rule_delete
from crm.core.web.admin_forms import (
    BootstrapMixin,
    CustomFieldForm,
    DictionaryEntryForm,
    DocumentNumberingForm,
    FieldAccessRuleForm,
    RecordRuleForm,
    SequenceForm,
    format_choices,
)
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate


@login_required
@permission_required("core.view_customfielddefinition", raise_exception=True)
def custom_fields(request: HttpRequest) -> HttpResponse:
    definitions = CustomFieldDefinition.objects.select_related("content_type").order_by(
        "content_type__model", "position"
    )
    return render(request, "core/settings/custom_fields.html", {"definitions": definitions})


@login_required
@permission_required("core.add_customfielddefinition", raise_exception=True)
def custom_field_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    definition = CustomFieldDefinition.objects.filter(pk=pk).first() if pk else None
    if pk and definition is None:
        raise Http404
    initial: dict[str, Any] = {}
    if definition:
        initial = {
            "content_type": definition.content_type,
            "key": definition.key,
            "kind": definition.kind,
            "choices_text": format_choices(definition.choices),
            "required": definition.required,
            "position": definition.position,
            "active": definition.active,
            "help_text": definition.help_text,
            **{f"label_{c}": definition.labels.get(c, "") for c in ("fa", "en", "uk")},
        }
    form = CustomFieldForm(request.POST or None, initial=initial, editing=definition is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {
            "labels": form.labels(),
            "choices": data["choices"],
            "required": data["required"],
            "position": data["position"],
            "active": data["active"],
            "help_text": data["help_text"],
        }
        try:
            if definition:
                custom_field_update(actor=request.user, definition=definition, **values)
            else:
                custom_field_define(
                    actor=request.user,
                    model=data["content_type"].model_class(),
                    key=data["key"],
                    kind=data["kind"],
                    **values,
                )
        except ApplicationError as exc:
            error_to_form(form, exc)
        except forms.ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The custom field was saved."))
            return redirect("custom_fields")
    return render(request, "form_page.html", {"form": form, "title": _("Custom field"), "back": "custom_fields"})


@login_required
@permission_required("core.view_numbersequence", raise_exception=True)
def numbering(request: HttpRequest) -> HttpResponse:
    sequences = [(s, sequence_preview(sequence=s)) for s in NumberSequence.objects.all()]
    documents = DocumentNumbering.objects.select_related("sequence")
    return render(request, "core/settings/numbering.html", {"sequences": sequences, "documents": documents})


def _model_form_page(
    request: HttpRequest, *, form_class: type, instance: Any, save: Any, title: str, back: str
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            save(values)
        except ApplicationError as exc:
            error_to_form(form, exc)
        except forms.ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(back)
    return render(request, "form_page.html", {"form": form, "title": title, "back": back})


@login_required
@permission_required("core.change_numbersequence", raise_exception=True)
def sequence_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    sequence = NumberSequence.objects.filter(pk=pk).first() if pk else NumberSequence()
    if sequence is None:
        raise Http404
    return _model_form_page(
        request,
        form_class=SequenceForm,
        instance=NumberSequence.objects.filter(pk=pk).first() if pk else None,
        save=lambda values: sequence_save(actor=request.user, sequence=sequence, values=values),
        title=_("Numbering sequence"),
        back="numbering",
    )


@login_required
@permission_required("core.change_documentnumbering", raise_exception=True)
def document_numbering_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    numbering_row = DocumentNumbering.objects.filter(pk=pk).first() if pk else DocumentNumbering()
    if numbering_row is None:
        raise Http404
    return _model_form_page(
        request,
        form_class=DocumentNumberingForm,
        instance=DocumentNumbering.objects.filter(pk=pk).first() if pk else None,
        save=lambda values: document_numbering_save(actor=request.user, numbering=numbering_row, values=values),
        title=_("Document numbering"),
        back="numbering",
    )


@login_required
@permission_required("core.view_dictionaryentry", raise_exception=True)
def dictionaries(request: HttpRequest) -> HttpResponse:
    entries = DictionaryEntry.objects.all()
    names = sorted({e.dictionary for e in entries})
    return render(request, "core/settings/dictionaries.html", {"entries": entries, "names": names})


@login_required
@permission_required("core.change_dictionaryentry", raise_exception=True)
def dictionary_entry_edit(request: HttpRequest, dictionary: str, pk: int | None = None) -> HttpResponse:
    entry = DictionaryEntry.objects.filter(pk=pk, dictionary=dictionary).first() if pk else None
    if pk and entry is None:
        raise Http404
    initial = (
        {
            "code": entry.code,
            "position": entry.position,
            "active": entry.active,
            **{f"label_{c}": entry.labels.get(c, "") for c in ("fa", "en", "uk")},
        }
        if entry
        else {}
    )
    form = DictionaryEntryForm(request.POST or None, initial=initial)
    if entry and entry.is_system:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if entry:
                dictionary_entry_update(
                    actor=request.user,
                    entry=entry,
                    code=data["code"],
                    labels=form.labels(),
                    position=data["position"],
                    active=data["active"],
                )
            else:
                dictionary_entry_create(
                    actor=request.user,
                    dictionary=dictionary,
                    code=data["code"],
                    labels=form.labels(),
                    position=data["position"],
                )
        except ApplicationError as exc:
            error_to_form(form, exc)
        except forms.ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("dictionaries")
    return render(request, "form_page.html", {"form": form, "title": dictionary, "back": "dictionaries"})


@login_required
@require_POST
@permission_required("core.delete_dictionaryentry", raise_exception=True)
def dictionary_entry_remove(request: HttpRequest, pk: int) -> HttpResponse:
    entry = DictionaryEntry.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404
    try:
        dictionary_entry_delete(actor=request.user, entry=entry)
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("dictionaries")


@login_required
@permission_required("core.view_recordrule", raise_exception=True)
def access_rules(request: HttpRequest) -> HttpResponse:
    record_form = RecordRuleForm(request.POST if request.POST.get("form") == "record" else None, prefix="record")
    field_form = FieldAccessRuleForm(request.POST if request.POST.get("form") == "field" else None, prefix="field")
    for form, save in ((record_form, record_rule_save), (field_form, field_rule_save)):
        if request.method == "POST" and form.is_bound and form.is_valid():
            try:
                save(actor=request.user, values=dict(form.cleaned_data))
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("access_rules")
    return render(
        request,
        "core/settings/access_rules.html",
        {
            "record_rules": RecordRule.objects.select_related("content_type"),
            "field_rules": FieldAccessRule.objects.select_related("content_type", "view_permission", "edit_permission"),
            "record_form": record_form,
            "field_form": field_form,
        },
    )


@login_required
@require_POST
def access_rule_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = {"record": RecordRule, "field": FieldAccessRule}.get(kind)
    rule = model.objects.filter(pk=pk).first() if model else None
    if rule is None:
        raise Http404
    try:
        rule_delete(actor=request.user, rule=rule)
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("access_rules")


class AuditFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=gettext_lazy("Action or record"), required=False)
    actor = forms.CharField(label=gettext_lazy("User"), required=False)
    since = UserDateField(label=gettext_lazy("From"), required=False)
    until = UserDateField(label=gettext_lazy("Until"), required=False)


@login_required
@permission_required("core.view_auditentry", raise_exception=True)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    qs = AuditEntry.objects.select_related("target_type")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(action__icontains=data["q"]) | qs.filter(target_label__icontains=data["q"])
        if data["actor"]:
            qs = qs.filter(actor_label__icontains=data["actor"])
        if data["since"]:
            qs = qs.filter(created_at__gte=timezone.make_aware(dt.datetime.combine(data["since"], dt.time.min)))
        if data["until"]:
            qs = qs.filter(
                created_at__lt=timezone.make_aware(dt.datetime.combine(data["until"], dt.time.min))
                + dt.timedelta(days=1)
            )
    if request.GET.get("export") in ("csv", "xlsx"):
        columns = [
            (_("When"), lambda e: e.created_at),
            (_("Who"), lambda e: e.actor_label),
            (_("Action"), lambda e: e.action),
            (_("Record"), lambda e: e.target_label),
            (_("Changes"), lambda e: e.changes),
        ]
        return export_response(
            fmt=request.GET["export"],
            rows=qs.iterator(chunk_size=2000),
            columns=columns,
            filename="audit",
            rtl=request.LANGUAGE_CODE == "fa",
        )
    page = paginate(request, qs)
    return render(
        request,
        "core/settings/audit_log.html",
        {
            "form": form,
            **page,
            "list_key": "audit",
            "saved_filters": saved_filters_for(user=request.user, list_key="audit"),
        },
    )


def content_type_label(ct: ContentType) -> str:
    model = ct.model_class()
    return str(model._meta.verbose_name) if model else ct.model
