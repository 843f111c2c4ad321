"""Forms of the money pages. Amounts accept Persian digits and thousands separators;
dates are in the user's calendar."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.customfields.forms import add_custom_fields
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.forms import UserDateField, UserDateTimeField
from crm.core.permissions.access import field_access
from crm.core.web.admin_forms import bootstrapify
from crm.finance.models import Cheque, PaymentLink, Receipt
from crm.identities.selectors import identity_base_for_user


def parse_amount(value: Any) -> Decimal | None:
    text = to_latin_digits(str(value or "")).strip()
    text = text.replace("٬", "").replace(",", "").replace("\u00a0", "").replace(" ", "").replace("٫", ".")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


class AmountField(forms.DecimalField):
    default_error_messages = {"invalid": _("Enter an amount, e.g. 1250000.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        super().__init__(**kwargs)
        self.widget = forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"})

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        amount = parse_amount(value)
        if amount is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return amount


class IdentityPicker(forms.Widget):
    """One identity: the chosen one ticked and a live search (the shared picker's
    template and options endpoint); only identities the user may see are offered."""

    template_name = "activities/calls/identity_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.queryset: Any = None

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False

    def format_value(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        text = str(getattr(value, "pk", value))
        return [text] if text.isdigit() else []

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        ids = [int(v) for v in context["widget"]["value"]]
        chosen = list(self.queryset.filter(pk__in=ids)[:1]) if ids and self.queryset is not None else []
        context["widget"].update(
            {"multiple": False, "chosen": chosen, "found": [], "pick_url": reverse("activities:identity_pick")}
        )
        return context


def identity_field(user: Any, *, label: Any) -> forms.ModelChoiceField:
    queryset = identity_base_for_user(user=user)
    widget = IdentityPicker()
    widget.queryset = queryset
    return forms.ModelChoiceField(queryset=queryset, label=label, widget=widget)


class ReceiptForm(forms.Form):
    identity = forms.Field(label=_("Customer / supplier"))
    direction = forms.ChoiceField(label=_("Type"), choices=Receipt.Direction.choices)
    method = forms.ChoiceField(
        label=_("Method"), choices=[c for c in Receipt.Method.choices if c[0] != Receipt.Method.ONLINE]
    )
    date = UserDateField(label=_("Date"))
    amount = AmountField(label=_("Amount"))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    cheque_number = forms.CharField(label=_("Cheque number"), max_length=40, required=False)
    cheque_bank = forms.CharField(label=_("Bank"), max_length=100, required=False)
    cheque_branch = forms.CharField(label=_("Branch"), max_length=100, required=False)
    cheque_account = forms.CharField(label=_("Account"), max_length=40, required=False)
    cheque_due_date = UserDateField(label=_("Due date"), required=False)

    CHEQUE_FIELDS = ("cheque_number", "cheque_bank", "cheque_branch", "cheque_account", "cheque_due_date")

    def __init__(self, *args: Any, user: Any, receipt: Receipt | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identity"] = identity_field(user, label=_("Customer / supplier"))
        self.fields["date"].initial = timezone.localdate()
        if receipt is not None:  # editing: what may change
            for name in ("identity", "direction", "method", "amount", *self.CHEQUE_FIELDS):
                del self.fields[name]
        add_custom_fields(
            self, model=Receipt, values=receipt.custom if receipt else None, access=field_access(user, Receipt)
        )
        bootstrapify(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("method") == Receipt.Method.CHEQUE:
            for name in ("cheque_number", "cheque_bank", "cheque_due_date"):
                if not data.get(name):
                    self.add_error(name, _("Needed for a cheque."))
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        out = {k: data[k] for k in ("direction", "method", "date", "amount", "reference", "notes") if k in data}
        if "identity" in data and data["identity"] is not None:
            out["identity_id"] = data["identity"].pk
        return out

    def cheque(self) -> dict[str, Any] | None:
        if self.cleaned_data.get("method") != Receipt.Method.CHEQUE:
            return None
        return {name.removeprefix("cheque_"): self.cleaned_data.get(name) for name in self.CHEQUE_FIELDS}


class ReceiptFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    direction = forms.ChoiceField(label=_("Type"), required=False, choices=[("", "—"), *Receipt.Direction.choices])
    method = forms.ChoiceField(label=_("Method"), required=False, choices=[("", "—"), *Receipt.Method.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *Receipt.Status.choices])
    since = UserDateField(label=_("From"), required=False)
    until = UserDateField(label=_("To"), required=False)
    identity = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class ChequeFilterForm(forms.Form):
    WHEN = [
        ("", _("Any time")),
        ("week", _("Due this week")),
        ("overdue", _("Overdue")),
        ("month", _("Due in 30 days")),
    ]
    when = forms.ChoiceField(label=_("Due"), required=False, choices=WHEN)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *Cheque.Status.choices])
    direction = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", "—"), ("in", _("Received cheques")), ("out", _("Our cheques"))],
    )
    due_from = UserDateField(label=_("Due from"), required=False)
    due_to = UserDateField(label=_("Due to"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def range(self) -> tuple[dt.date | None, dt.date | None, str]:
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        when = data.get("when") or ""
        status = data.get("status") or ""
        if when == "week":
            return today, today + dt.timedelta(days=7), status
        if when == "overdue":
            return None, today - dt.timedelta(days=1), status or "received"
        if when == "month":
            return today, today + dt.timedelta(days=30), status
        return data.get("due_from"), data.get("due_to"), status


class ChequeStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Cheque.Status.choices)
    note = forms.CharField(max_length=300, required=False)


class PaymentLinkForm(forms.Form):
    identity = forms.Field(label=_("Customer"))
    amount = AmountField(label=_("Amount"))
    expires_at = UserDateTimeField(label=_("Expires at"))
    document = forms.TypedChoiceField(label=_("Invoice"), required=False, coerce=int, empty_value=None)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    send_by = forms.ChoiceField(
        label=_("Send by"),
        required=False,
        choices=[("", _("Do not send (copy the link)")), ("sms", _("SMS")), ("email", _("Email"))],
    )

    def __init__(self, *args: Any, user: Any, documents: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identity"] = identity_field(user, label=_("Customer"))
        self.fields["expires_at"].initial = (timezone.localtime() + dt.timedelta(days=3)).replace(
            second=0, microsecond=0
        )
        from crm.core.i18n.formatting import format_number

        self.fields["document"].choices = [("", _("None (on account)"))] + [
            (row["document"].pk, f"{row['document']} · {format_number(row['open'])}") for row in documents or []
        ]
        bootstrapify(self)


class PaymentLinkFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *PaymentLink.Status.choices, ("expired", _("Expired"))]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class StatementForm(forms.Form):
    since = UserDateField(label=_("From"), required=False)
    until = UserDateField(label=_("To"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)
