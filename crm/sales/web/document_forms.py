"""Forms of the document pages: the header form, the lines posted as `line-<key>-<field>`
rows, the list filters and the document type settings."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.core.customfields.forms import add_custom_fields
from crm.core.customfields.selectors import custom_field_definitions
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.forms import UserDateField
from crm.core.permissions.access import field_access
from crm.core.web.admin_forms import BootstrapMixin, bootstrapify
from crm.sales.documents import LineInput
from crm.sales.models import Direction, Document, DocumentLine, DocumentSettings, Kind, PriceList

LINE_FIELDS = ("product", "quantity", "unit_price", "discount_percent", "discount", "description", "id", "source")


def parse_decimal(raw: Any) -> Decimal | None:
    text = to_latin_digits(str(raw or "")).replace("٬", "").replace(",", "").replace("٫", ".").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _int(raw: Any) -> int | None:
    text = to_latin_digits(str(raw or "")).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def new_line_key() -> str:
    return uuid.uuid4().hex[:10]


class DocumentForm(BootstrapMixin, forms.Form):
    identity = forms.IntegerField(label=_("Customer / supplier"), widget=forms.HiddenInput)
    issued_on = UserDateField(label=_("Date"))
    valid_until = UserDateField(label=_("Valid until"), required=False)
    price_list = forms.ModelChoiceField(label=_("Price list"), queryset=PriceList.objects.none(), required=False)
    assignee = forms.ModelChoiceField(label=_("Salesperson"), queryset=get_user_model().objects.none(), required=False)
    workflow_users = forms.ModelMultipleChoiceField(
        label=_("Workflow users"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("They may change the document as well as its creator and salesperson."),
    )
    discount = forms.CharField(label=_("Document discount"), required=False)
    tax = forms.CharField(
        label=_("Tax (by hand)"), required=False, help_text=_("Leave empty to compute it from the tax %.")
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, document: Document | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        self.fields["assignee"].queryset = users
        self.fields["workflow_users"].queryset = users
        self.fields["price_list"].queryset = PriceList.objects.filter(active=True).order_by("-priority", "name")
        can_choose = user.is_superuser or user.has_perm("sales.choose_price_list")
        can_override = user.is_superuser or user.has_perm("sales.override_document_totals")
        if not can_choose:
            self.fields["price_list"].disabled = True
            self.fields["price_list"].help_text = _("The customer's class chooses it.")
        if not can_override:
            for name in ("discount", "tax"):
                self.fields[name].disabled = True
        for name in ("discount", "tax"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "dir": "ltr"})
        add_custom_fields(
            self, model=Document, values=document.custom if document else None, access=field_access(user, Document)
        )
        bootstrapify(self)
        self.fields["price_list"].empty_label = _("Chosen by the customer's class")

    def clean_discount(self) -> Decimal | None:
        raw = self.cleaned_data.get("discount")
        value = parse_decimal(raw)
        if raw and value is None:
            raise forms.ValidationError(_("Enter a number."))
        return value

    def clean_tax(self) -> Decimal | None:
        raw = self.cleaned_data.get("tax")
        value = parse_decimal(raw)
        if raw and value is None:
            raise forms.ValidationError(_("Enter a number."))
        return value


class LineRows:
    """The lines of the form: rows keyed `line-<key>-<field>`, in the order of `line_keys`."""

    def __init__(self, data: Any) -> None:
        self.rows: list[dict[str, Any]] = []
        self.errors: list[str] = []
        keys = data.getlist("line_keys") if hasattr(data, "getlist") else data.get("line_keys", [])
        definitions = [d for d in custom_field_definitions(model=DocumentLine) if d.kind != "file"]
        for raw in keys:
            key = str(raw)[:20]
            if not key.isalnum():
                continue
            row = {name: data.get(f"line-{key}-{name}", "") for name in LINE_FIELDS}
            row["custom"] = {d.key: data.get(f"line-{key}-cf_{d.key}", "") for d in definitions}
            row["key"] = key
            self.rows.append(row)

    @staticmethod
    def row_input(row: dict[str, Any]) -> LineInput | None:
        product_id = _int(row.get("product"))
        if product_id is None:
            return None
        return LineInput(
            product_id=product_id,
            quantity=parse_decimal(row.get("quantity")),
            unit_price=parse_decimal(row.get("unit_price")),
            discount_percent=parse_decimal(row.get("discount_percent")) or Decimal(0),
            discount=parse_decimal(row.get("discount")),
            description=str(row.get("description") or "")[:300],
            custom={k: v for k, v in (row.get("custom") or {}).items() if v not in ("", None)},
            id=_int(row.get("id")),
            source_line_id=_int(row.get("source")),
        )

    def inputs(self) -> list[LineInput]:
        """Rows with a product, as service inputs (blank rows are skipped)."""
        return [line for line in (self.row_input(row) for row in self.rows) if line is not None]


def rows_from_document(document: Document) -> list[dict[str, Any]]:
    return [
        {
            "key": f"l{line.pk}",
            "id": line.pk,
            "product": line.product_id,
            "product_obj": line.product,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent or "",
            "discount": line.discount if not line.discount_percent and line.discount else "",
            "description": line.description,
            "source": line.source_line_id or "",
            "custom": dict(line.custom),
            "total": line.total,
        }
        for line in document.lines.all()
    ]


class DocumentFilterForm(forms.Form):
    q = forms.CharField(label=_("Number"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—"), *Kind.choices])
    direction = forms.ChoiceField(label=_("Sale / purchase"), required=False, choices=[("", "—"), *Direction.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *Document.Status.choices])
    identity = forms.IntegerField(label=_("Customer / supplier"), required=False, widget=forms.HiddenInput)
    date_from = UserDateField(label=_("From"), required=False)
    date_to = UserDateField(label=_("To"), required=False)
    product = forms.CharField(label=_("Product code"), required=False)
    response = forms.ChoiceField(
        label=_("Customer's answer"),
        required=False,
        choices=[("", "—"), *[(v, label) for v, label in Document.CustomerResponse.choices if v]],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = css.replace("form-control", "form-control form-control-sm").replace(
                "form-select", "form-select form-select-sm"
            )


class SettingsForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = DocumentSettings
        fields = [
            "tax_percent",
            "approval_required",
            "edit_window_hours",
            "creator_only_view",
            "quantity_formula",
            "line_total_formula",
            "print_template",
            "print_css",
        ]
        widgets = {
            "quantity_formula": forms.TextInput(attrs={"dir": "ltr"}),
            "line_total_formula": forms.TextInput(attrs={"dir": "ltr"}),
            "print_template": forms.Textarea(attrs={"rows": 6, "dir": "ltr"}),
            "print_css": forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
        }
