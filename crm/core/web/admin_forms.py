"""Forms of the platform settings pages: custom fields, numbering, lists, rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.registry import custom_field_models
from crm.core.numbering.models import DocumentNumbering, NumberSequence, validate_pattern
from crm.core.permissions.models import FieldAccessRule, RecordRule


def bootstrapify(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField):
            field.empty_label = "—"
        widget = field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class BootstrapMixin:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        bootstrapify(self)  # type: ignore[arg-type]


def custom_field_content_types() -> Any:
    ids = [ContentType.objects.get_for_model(m).pk for m in custom_field_models()]
    return ContentType.objects.filter(pk__in=ids).order_by("app_label", "model")


class LabelsMixin(forms.Form):
    label_fa = forms.CharField(label=_("Label (Persian)"), max_length=120, required=False)
    label_en = forms.CharField(label=_("Label (English)"), max_length=120)
    label_uk = forms.CharField(label=_("Label (Ukrainian)"), max_length=120, required=False)

    def labels(self) -> dict[str, str]:
        return {
            code: self.cleaned_data[f"label_{code}"]
            for code in ("fa", "en", "uk")
            if self.cleaned_data.get(f"label_{code}")
        }


def parse_choices(text: str) -> list[dict[str, Any]]:
    """One choice per line: `value | Persian | English | Ukrainian` (labels optional)."""
    choices = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts or not parts[0]:
            continue
        labels = {code: part for code, part in zip(("fa", "en", "uk"), parts[1:], strict=False) if part}
        choices.append({"value": parts[0], "labels": labels})
    return choices


def format_choices(choices: list[dict[str, Any]]) -> str:
    lines = []
    for c in choices:
        labels = c.get("labels", {})
        lines.append(
            " | ".join([c["value"], labels.get("fa", ""), labels.get("en", ""), labels.get("uk", "")]).rstrip(" |")
        )
    return "\n".join(lines)


class CustomFieldForm(BootstrapMixin, LabelsMixin):
    content_type = forms.ModelChoiceField(label=_("Applies to"), queryset=ContentType.objects.none())
    key = forms.RegexField(
        label=_("Key"),
        regex=r"^[a-z][a-z0-9_]*$",
        max_length=40,
        help_text=_("Lower-case Latin letters, digits and _; used in templates and the API."),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=CustomFieldDefinition.Kind.choices)
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For choice types: one per line, value | Persian | English | Ukrainian."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=32000, initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    help_text = forms.CharField(label=_("Help text"), max_length=255, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content_type"].queryset = custom_field_content_types()
        if editing:  # the key and type of a field in use do not change
            for name in ("content_type", "key", "kind"):
                self.fields[name].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        data["choices"] = parse_choices(data.get("choices_text", ""))
        if kind in (CustomFieldDefinition.Kind.CHOICE, CustomFieldDefinition.Kind.MULTI_CHOICE) and not data["choices"]:
            self.add_error("choices_text", _("List at least one choice."))
        return data


class SequenceForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = NumberSequence
        fields = ["key", "name", "prefix", "pattern", "start", "padding", "year_mode", "reset_yearly"]

    def clean_pattern(self) -> str:
        pattern = self.cleaned_data["pattern"]
        validate_pattern(pattern)
        return pattern


class DocumentNumberingForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = DocumentNumbering
        fields = ["doc_type", "label", "sequence", "assign_on"]


class DictionaryEntryForm(BootstrapMixin, LabelsMixin):
    code = forms.SlugField(label=_("Code"), max_length=64)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=32000, initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class RecordRuleForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = RecordRule
        fields = ["content_type", "edit_window_hours", "delete_window_hours"]


class FieldAccessRuleForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = FieldAccessRule
        fields = ["content_type", "field_name", "view_permission", "edit_permission"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        perms = Permission.objects.select_related("content_type").order_by("content_type__app_label", "codename")
        self.fields["view_permission"].queryset = perms
        self.fields["edit_permission"].queryset = perms
