"""Custom fields appear in forms automatically: add them to any Django form."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from crm.core.customfields.models import CustomFieldDefinition, pick_label
from crm.core.customfields.selectors import custom_field_definitions
from crm.core.i18n.forms import UserDateField, UserDateTimeField

Kind = CustomFieldDefinition.Kind
PREFIX = "cf_"
ALLOWED_UPLOADS = {".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".txt", ".csv", ".xlsx", ".docx", ".odt", ".zip"}


def _choices(definition: CustomFieldDefinition) -> list[tuple[str, str]]:
    return [(str(c["value"]), pick_label(c.get("labels", {}), str(c["value"]))) for c in definition.choices]


def _field(definition: CustomFieldDefinition) -> forms.Field:
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required,
        "help_text": definition.help_text,
    }
    kind = definition.kind
    if kind == Kind.TEXT:
        return forms.CharField(max_length=255, **common)
    if kind == Kind.LONG_TEXT:
        return forms.CharField(max_length=10000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == Kind.NUMBER:
        return forms.DecimalField(max_digits=24, decimal_places=6, **common)
    if kind == Kind.MONEY:
        return forms.DecimalField(max_digits=20, decimal_places=2, **common)
    if kind == Kind.DATE:
        return UserDateField(**common)
    if kind == Kind.DATETIME:
        return UserDateTimeField(**common)
    if kind == Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *_choices(definition)], **common)
    if kind == Kind.MULTI_CHOICE:
        return forms.MultipleChoiceField(choices=_choices(definition), widget=forms.CheckboxSelectMultiple, **common)
    if kind == Kind.CHECKBOX:
        return forms.BooleanField(**{**common, "required": False})
    if kind == Kind.FILE:
        return forms.FileField(**{**common, "required": False})
    if kind == Kind.LINK_USER:
        return forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), **common)
    return forms.IntegerField(min_value=1, **common)  # identity/document links: a record id until their pickers land


def _initial(definition: CustomFieldDefinition, value: Any) -> Any:
    if value is None:
        return None
    if definition.kind == Kind.DATE:
        return parse_date(value)
    if definition.kind == Kind.DATETIME:
        return parse_datetime(value)
    return value


def add_custom_fields(form: forms.Form, *, model: type, values: dict[str, Any] | None, access: dict[str, str]) -> None:
    """Append one form field per active definition; hidden ones skipped, view-only disabled."""
    values = values or {}
    for definition in custom_field_definitions(model=model):
        level = access.get(f"custom.{definition.key}", "edit")
        if level == "hidden":
            continue
        field = _field(definition)
        field.initial = _initial(definition, values.get(definition.key))
        if level == "view":
            field.disabled = True
            field.required = False
        form.fields[PREFIX + definition.key] = field
    form.custom_definitions = {d.key: d for d in custom_field_definitions(model=model)}  # type: ignore[attr-defined]


def _store_upload(upload: Any) -> str:
    suffix = PurePosixPath(upload.name).suffix.lower()
    if suffix not in ALLOWED_UPLOADS:
        raise forms.ValidationError(_("This file type is not allowed."))
    if upload.size > settings.CRM_UPLOAD_MAX_BYTES:
        raise forms.ValidationError(_("The file is too large."))
    return default_storage.save(f"custom/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{suffix}", upload)


def custom_data_from_form(form: forms.Form) -> dict[str, Any]:
    """The submitted custom values (only editable ones), ready for custom_values_apply."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if not name.startswith(PREFIX) or field.disabled:
            continue
        key = name.removeprefix(PREFIX)
        value = form.cleaned_data.get(name)
        definition = form.custom_definitions[key]  # type: ignore[attr-defined]
        if definition.kind == Kind.FILE:
            if value:
                try:
                    data[key] = _store_upload(value)
                except forms.ValidationError as exc:
                    form.add_error(name, exc)
            continue
        if hasattr(value, "pk"):
            value = value.pk
        if isinstance(value, (dt.datetime, dt.date)):
            value = value.isoformat()
        data[key] = "" if value is None else value
    return data
