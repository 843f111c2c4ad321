"""Forms of the catalogue pages (products, groups, price lists). They only parse input;
the services in crm.sales.catalogue decide."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.forms import UserDateField
from crm.core.web.admin_forms import BootstrapMixin
from crm.sales.models import PriceListRule, Product, ProductGroup

INDENT = "\u00a0\u00a0\u00a0"


def parse_amount(raw: Any) -> Decimal | None:
    """'۱٬۲۵۰٬۰۰۰', '1,250,000' or '12٫5' as a Decimal; None when empty; ValueError when not a number."""
    text = to_latin_digits(str(raw or "")).replace("٬", "").replace(",", "").replace("٫", ".").strip()
    text = text.replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


class AmountField(forms.CharField):
    """A money/percent input that accepts Persian digits and thousands separators."""

    def __init__(self, *, max_value: Decimal | None = None, **kwargs: Any) -> None:
        self.max_value = max_value
        kwargs.setdefault("widget", forms.TextInput(attrs={"dir": "ltr", "inputmode": "decimal"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Decimal | None:  # type: ignore[override]
        value = super().clean(value)
        try:
            amount = parse_amount(value)
        except ValueError:
            raise ValidationError(_("Enter a number."), code="invalid") from None
        if amount is not None and amount < 0:
            raise ValidationError(_("Enter zero or more."), code="min_value")
        if amount is not None and self.max_value is not None and amount > self.max_value:
            raise ValidationError(_("Enter at most %(max)s.") % {"max": self.max_value}, code="max_value")
        if amount is not None and abs(amount) >= Decimal(10) ** 18:
            raise ValidationError(_("The number is too large."), code="max_value")
        return amount


class GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ProductGroup) -> str:
        return INDENT * obj.depth + obj.name


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    group = GroupChoiceField(label=_("Group"), queryset=ProductGroup.objects.none(), required=False, empty_label="—")
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *Product.Kind.choices], required=False)
    tracking = forms.ChoiceField(
        label=_("Stock tracking"), choices=[("", "—"), *Product.Tracking.choices], required=False
    )
    active = forms.ChoiceField(
        label=_("Status"),
        choices=[("1", _("Active")), ("0", _("Inactive")), ("all", _("All"))],
        required=False,
    )

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css + ("" if "select" in css else " form-control-sm"))
            field.widget.attrs.setdefault("id", f"id_{name}")

    def value(self, name: str) -> Any:
        if not self.is_bound:
            return None
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


class ProductForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40, widget=forms.TextInput(attrs={"dir": "ltr"}))
    name = forms.CharField(label=_("Name"), max_length=200)
    group = GroupChoiceField(label=_("Group"), queryset=ProductGroup.objects.none(), required=False, empty_label="—")
    kind = forms.ChoiceField(label=_("Kind"), choices=Product.Kind.choices, initial=Product.Kind.GOODS)
    tracking = forms.ChoiceField(
        label=_("Stock tracking"),
        choices=Product.Tracking.choices,
        initial=Product.Tracking.QUANTITY,
        help_text=_("Services are never stocked."),
    )
    unit = forms.CharField(label=_("Unit"), max_length=30, required=False, help_text=_("e.g. piece, box, hour"))
    purchase_cost = AmountField(label=_("Purchase cost"), required=False)
    sale_price = AmountField(label=_("Sale price"))
    commission_percent = AmountField(label=_("Commission %"), required=False, max_value=Decimal(100))
    warranty_months = forms.IntegerField(label=_("Warranty (months)"), min_value=0, max_value=600, required=False)
    tax_exempt = forms.BooleanField(label=_("Tax exempt"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, groups: Any, hidden: set[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        for name in hidden:
            self.fields.pop(name, None)


class GroupForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    parent = GroupChoiceField(
        label=_("Parent group"), queryset=ProductGroup.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = groups


class PriceListForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    code = forms.SlugField(label=_("Code"), max_length=40, widget=forms.TextInput(attrs={"dir": "ltr"}))
    customer_classes = forms.CharField(
        label=_("Customer classes"),
        required=False,
        max_length=200,
        help_text=_("Comma separated, e.g. A, B. Empty: every customer."),
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    valid_from = UserDateField(label=_("Valid from"), required=False)
    valid_to = UserDateField(label=_("Valid to"), required=False)
    priority = forms.IntegerField(
        label=_("Priority"),
        initial=0,
        min_value=-1000,
        max_value=1000,
        help_text=_("When several lists apply, the highest priority wins."),
    )
    is_default = forms.BooleanField(label=_("Default list"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_customer_classes(self) -> list[str]:
        raw = to_latin_digits(self.cleaned_data.get("customer_classes") or "").replace("،", ",")
        return [c.strip().upper() for c in raw.split(",") if c.strip()]


class PriceItemForm(forms.Form):
    product = forms.IntegerField(min_value=1)
    price = AmountField(label=_("Price"))


class RuleForm(BootstrapMixin, forms.Form):
    TARGETS = [("all", _("All products")), ("group", _("A group (with its subgroups)")), ("product", _("One product"))]

    target = forms.ChoiceField(label=_("Applies to"), choices=TARGETS, initial="all")
    group = GroupChoiceField(label=_("Group"), queryset=ProductGroup.objects.none(), required=False, empty_label="—")
    product_code = forms.CharField(
        label=_("Product code"), required=False, max_length=40, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    method = forms.ChoiceField(label=_("Policy"), choices=PriceListRule.Method.choices)
    value = AmountField(label=_("Value"))

    def __init__(self, *args: Any, groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        target = data.get("target")
        if target == "group" and not data.get("group"):
            self.add_error("group", _("Choose a group."))
        if target == "product" and not (data.get("product_code") or "").strip():
            self.add_error("product_code", _("Enter a product code."))
        return data


class PriceCheckForm(forms.Form):
    q = forms.CharField(label=_("Product"), required=False, max_length=100)
    on = UserDateField(label=_("On"), required=False)
