"""Forms of the stock pages. Products and identities are chosen with a search box that
fills a small select (`SearchSelect`): a catalogue of 200,000 products is never rendered
as options; only the chosen one is."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.forms import UserDateField
from crm.core.web.admin_forms import bootstrapify
from crm.identities.selectors import identity_base_for_user
from crm.inventory.models import MoveKind, PurchaseRequest, Serial, Warehouse
from crm.inventory.selectors import stocked_products
from crm.org.models import Department, Position, User
from crm.sales.models import ProductGroup

MAX_LINES = 50
_SPLIT = re.compile(r"[\s,،;]+")


class SearchSelect(forms.Select):
    """A search box (htmx) that fills the select beside it; only the chosen value is rendered."""

    template_name = "inventory/widgets/search_select.html"

    def __init__(self, *, url_name: str, placeholder: Any = "", attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.url_name = url_name
        self.placeholder = placeholder
        self.queryset: Any = None

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        chosen = None
        raw = value[0] if isinstance(value, (list, tuple)) and value else value
        if raw not in (None, "") and str(raw).isdigit() and self.queryset is not None:
            chosen = self.queryset.filter(pk=int(raw)).first()
        context["widget"].update(
            {"chosen": chosen, "search_url": reverse(self.url_name), "placeholder": self.placeholder}
        )
        return context

    def optgroups(self, name: str, value: Any, attrs: dict[str, Any] | None = None) -> list[Any]:
        return []  # the template renders the chosen option only


def search_choice(queryset: Any, *, url_name: str, label: Any, required: bool, placeholder: Any = "") -> Any:
    widget = SearchSelect(url_name=url_name, placeholder=placeholder)
    widget.queryset = queryset
    return forms.ModelChoiceField(queryset=queryset, required=required, label=label, widget=widget)


def parse_decimal(text: Any) -> Decimal | None:
    raw = to_latin_digits(str(text or "")).strip().replace("٬", "").replace(",", "").replace("٫", ".")
    try:
        return Decimal(raw) if raw else None
    except ArithmeticError:
        return None


class QuantityField(forms.CharField):
    """A decimal typed with Persian or Latin digits."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "dir": "ltr"})

    def clean(self, value: Any) -> Decimal | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        number = parse_decimal(text)
        if number is None or not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise forms.ValidationError(_("Enter a number."))
        return number.quantize(Decimal("0.001"))


def parse_serials(text: str) -> list[str]:
    return [s for s in _SPLIT.split(to_latin_digits(text or "").strip()) if s]


# --- warehouses ----------------------------------------------------------------------------


class WarehouseForm(forms.ModelForm):
    users = forms.ModelMultipleChoiceField(
        label=_("Users"), queryset=User.objects.none(), required=False, help_text=_("Who may use this warehouse.")
    )
    positions = forms.ModelMultipleChoiceField(label=_("Positions"), queryset=Position.objects.none(), required=False)
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"), queryset=Department.objects.none(), required=False
    )
    keepers = forms.ModelMultipleChoiceField(
        label=_("Warehouse keepers"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("They get the reorder alerts of this warehouse."),
    )

    class Meta:
        model = Warehouse
        fields = ["name", "code", "address", "allow_negative", "is_default", "active", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2}), "code": forms.TextInput(attrs={"dir": "ltr"})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        users = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
        self.fields["users"].queryset = users
        self.fields["keepers"].queryset = users
        self.fields["positions"].queryset = Position.objects.select_related("department").order_by("title")
        self.fields["departments"].queryset = Department.objects.order_by("path")
        if self.instance.pk:
            grants = list(self.instance.access.all())
            self.initial.update(
                {
                    "users": [g.user_id for g in grants if g.user_id and not g.keeper],
                    "keepers": [g.user_id for g in grants if g.user_id and g.keeper],
                    "positions": [g.position_id for g in grants if g.position_id],
                    "departments": [g.department_id for g in grants if g.department_id],
                }
            )
        bootstrapify(self)

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def grants(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        keepers = {u.pk for u in data["keepers"]}
        rows = [{"user_id": pk, "keeper": True} for pk in sorted(keepers)]
        rows += [{"user_id": u.pk} for u in data["users"] if u.pk not in keepers]
        rows += [{"position_id": p.pk} for p in data["positions"]]
        rows += [{"department_id": d.pk} for d in data["departments"]]
        return rows


# --- movements -----------------------------------------------------------------------------


class MoveForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    to_warehouse = forms.ModelChoiceField(label=_("To warehouse"), queryset=Warehouse.objects.none())
    moved_on = UserDateField(label=_("Date"), initial=timezone.localdate)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, kind: str, warehouses: list[Warehouse], **kwargs: Any):
        super().__init__(*args, **kwargs)
        ids = [w.pk for w in warehouses]
        self.fields["warehouse"].queryset = Warehouse.objects.filter(pk__in=ids, active=True)
        if kind == MoveKind.TRANSFER:
            self.fields["warehouse"].label = _("From warehouse")
            self.fields["to_warehouse"].queryset = Warehouse.objects.filter(pk__in=ids, active=True)
        else:
            del self.fields["to_warehouse"]
        if kind in (MoveKind.RECEIPT, MoveKind.ISSUE):
            label = _("Supplier") if kind == MoveKind.RECEIPT else _("Customer")
            self.fields["identity"] = search_choice(
                identity_base_for_user(user=user),
                url_name="inventory:identity_options",
                label=label,
                required=False,
                placeholder=_("Search a name or phone"),
            )
        self.order_fields(["warehouse", "to_warehouse", "moved_on", "identity", "notes"])
        bootstrapify(self)
        if len(warehouses) == 1 and not self.is_bound:
            self.initial.setdefault("warehouse", warehouses[0].pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("to_warehouse") and data.get("warehouse") == data.get("to_warehouse"):
            self.add_error("to_warehouse", _("Choose two different warehouses."))
        return data


class MoveLineForm(forms.Form):
    quantity = QuantityField(label=_("Quantity"), required=False)
    serials = forms.CharField(
        label=_("Serial numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 1, "dir": "ltr"}),
        help_text=_("For products tracked by serial: one per line or separated by spaces."),
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["product"] = search_choice(
            stocked_products(),
            url_name="inventory:product_options",
            label=_("Product"),
            required=False,
            placeholder=_("Search a code or name"),
        )
        self.order_fields(["product", "quantity", "serials"])
        bootstrapify(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        product, quantity = data.get("product"), data.get("quantity")
        if product and quantity is None:
            self.add_error("quantity", _("Enter the quantity."))
        if quantity is not None and not product:
            self.add_error("product", _("Choose the product."))
        if quantity is not None and (quantity == 0 or (quantity < 0 and self.kind != MoveKind.ADJUSTMENT)):
            self.add_error("quantity", _("Enter a quantity above zero."))
        return data

    def line(self) -> tuple[int, Decimal, tuple[str, ...]] | None:
        data = self.cleaned_data
        if not data.get("product"):
            return None
        return data["product"].pk, data["quantity"], tuple(parse_serials(data.get("serials", "")))


def move_line_formset(data: Any, *, kind: str, initial: list[dict[str, Any]] | None = None) -> Any:
    factory = forms.formset_factory(
        MoveLineForm, extra=3 if initial is None else 1, max_num=MAX_LINES, validate_max=True, absolute_max=MAX_LINES
    )
    return factory(data, prefix="lines", initial=initial, form_kwargs={"kind": kind})


class MoveFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *MoveKind.choices])
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none(), required=False)
    number = forms.CharField(label=_("Number"), required=False)
    date_from = UserDateField(label=_("From"), required=False)
    date_to = UserDateField(label=_("Until"), required=False)

    def __init__(self, *args: Any, warehouses: list[Warehouse], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(pk__in=[w.pk for w in warehouses])
        bootstrapify(self)

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


# --- reports -------------------------------------------------------------------------------


class StockReportForm(forms.Form):
    q = forms.CharField(label=_("Product"), required=False)
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.none(), required=False, empty_label=None
    )
    group = forms.ModelChoiceField(
        label=_("Group (with subgroups)"), queryset=ProductGroup.objects.all(), required=False
    )
    below = forms.BooleanField(label=_("Below reorder level"), required=False)
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)

    def __init__(self, *args: Any, warehouses: list[Warehouse], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(pk__in=[w.pk for w in warehouses])
        bootstrapify(self)
        self.fields["warehouse"].empty_label = _("All warehouses")
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            if "form-check-input" not in css:
                field.widget.attrs["class"] = css.replace("form-control", "form-control form-control-sm").replace(
                    "form-select", "form-select form-select-sm"
                )

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


class MovementReportForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none(), required=False)
    date_from = UserDateField(label=_("From"), required=False)
    date_to = UserDateField(label=_("Until"), required=False)

    def __init__(self, *args: Any, warehouses: list[Warehouse], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["product"] = search_choice(
            stocked_products(),
            url_name="inventory:product_options",
            label=_("Product"),
            required=False,
            placeholder=_("Search a code or name"),
        )
        self.fields["warehouse"].queryset = Warehouse.objects.filter(pk__in=[w.pk for w in warehouses])
        self.order_fields(["product", "warehouse", "date_from", "date_to"])
        bootstrapify(self)

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


class SerialFilterForm(forms.Form):
    q = forms.CharField(label=_("Serial number"), required=False, widget=forms.TextInput(attrs={"dir": "ltr"}))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Serial.Status.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


# --- reorder and purchase requests ---------------------------------------------------------


class ReorderForm(forms.Form):
    level = QuantityField(label=_("Reorder level"), required=False, help_text=_("Empty: no reorder alert."))
    quantity = QuantityField(
        label=_("Quantity to order"), required=False, help_text=_("Empty: up to twice the reorder level.")
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("level") is not None and data["level"] < 0:
            self.add_error("level", _("Enter zero or more."))
        if data.get("quantity") is not None and data["quantity"] <= 0:
            self.add_error("quantity", _("Enter a quantity above zero."))
        return data


class PurchaseRequestForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    quantity = QuantityField(label=_("Quantity"))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, warehouses: list[Warehouse], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["product"] = search_choice(
            stocked_products(),
            url_name="inventory:product_options",
            label=_("Product"),
            required=True,
            placeholder=_("Search a code or name"),
        )
        self.fields["warehouse"].queryset = Warehouse.objects.filter(pk__in=[w.pk for w in warehouses], active=True)
        self.order_fields(["product", "warehouse", "quantity", "note"])
        bootstrapify(self)

    def clean_quantity(self) -> Decimal:
        value = self.cleaned_data["quantity"]
        if value is None or value <= 0:
            raise forms.ValidationError(_("Enter a quantity above zero."))
        return value


class PurchaseRequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *PurchaseRequest.Status.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None
