"""Forms of the identities pages: the identity with its nested rows, list filters, the
profile actions and the categories admin. Forms only parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.forms import UserDateField
from crm.core.web.admin_forms import BootstrapMixin
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.models import Category, Identity, Phone
from crm.identities.phones import display_phone, normalize_phone
from crm.org.models import Position

User = get_user_model()
INDENT = "\u00a0\u00a0\u00a0"


def _ltr(**attrs: Any) -> dict[str, Any]:
    return {"dir": "ltr", **attrs}


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return INDENT * obj.depth + obj.name


class CategoryMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return INDENT * obj.depth + obj.name


def active_users(also: Any = ()) -> Any:
    """Active users, plus any already chosen (so an inactive assignee is not dropped)."""
    return User.objects.filter(Q(is_active=True) | Q(pk__in=list(also))).order_by("first_name", "last_name", "username")


class IdentityForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Identity.Kind.choices, initial=Identity.Kind.PERSON)
    title = forms.CharField(label=_("Title"), max_length=40, required=False, help_text=_("e.g. Dr., Eng."))
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    organisation_name = forms.CharField(label=_("Organisation name"), max_length=200, required=False)
    birth_date = UserDateField(label=_("Birthday"), required=False)
    national_id = forms.CharField(
        label=_("National ID / registration number"), max_length=20, required=False, widget=forms.TextInput(_ltr())
    )
    economic_code = forms.CharField(
        label=_("Economic code"), max_length=20, required=False, widget=forms.TextInput(_ltr())
    )
    colour = forms.ChoiceField(label=_("Colour tag"), choices=Identity.Colour.choices, required=False)
    class_code = forms.CharField(label=_("Customer class"), max_length=20, required=False)
    source = forms.CharField(label=_("Source"), max_length=60, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    categories = CategoryMultipleChoiceField(
        label=_("Categories"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    assignees = forms.ModelMultipleChoiceField(
        label=_("Assigned experts"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    PERSON_FIELDS = ("title", "first_name", "last_name", "birth_date")
    ORGANISATION_FIELDS = ("organisation_name",)
    DETAIL_FIELDS = ("national_id", "economic_code", "colour", "class_code", "source", "notes")
    RELATION_FIELDS = ("categories", "assignees")

    def __init__(self, *args: Any, categories: Any, assignee_ids: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = categories
        self.fields["assignees"].queryset = active_users(assignee_ids)

    def apply_access(self, access: dict[str, str]) -> None:
        """Field-level rules: hidden fields leave the form, view-only ones are disabled."""
        for name, level in access.items():
            if name in self.fields:
                if level == "hidden":
                    del self.fields[name]
                else:
                    self.fields[name].disabled = True

    def sections(self) -> list[tuple[str, str, list[Any]]]:
        """(key, heading, bound fields) in the order the page shows them."""
        groups = [
            ("person", _("Person"), self.PERSON_FIELDS),
            ("organisation", _("Organisation"), self.ORGANISATION_FIELDS),
            ("details", _("Details"), self.DETAIL_FIELDS),
            ("relations", _("Categories and experts"), self.RELATION_FIELDS),
        ]
        sections = [(key, title, [self[n] for n in names if n in self.fields]) for key, title, names in groups]
        custom = [self[n] for n in self.fields if n.startswith("cf_")]
        if custom:
            sections.append(("custom", _("Custom fields"), custom))
        return [s for s in sections if s[2]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        message = IdentityError.messages[IdentityErrorCode.NAME_REQUIRED]
        if kind == Identity.Kind.ORGANISATION and "organisation_name" in self.fields:
            if not (data.get("organisation_name") or "").strip():
                self.add_error("organisation_name", message)
        elif (
            kind == Identity.Kind.PERSON
            and "first_name" in self.fields
            and "last_name" in self.fields
            and not ((data.get("first_name") or "").strip() or (data.get("last_name") or "").strip())
        ):
            self.add_error("first_name", message)
        return data

    def core_values(self) -> dict[str, Any]:
        """The scalar values for the services (editable fields only, digits made Latin)."""
        skip = set(self.RELATION_FIELDS)
        values = {
            n: self.cleaned_data[n]
            for n, f in self.fields.items()
            if not n.startswith("cf_") and n not in skip and not f.disabled
        }
        for name in ("national_id", "economic_code", "class_code"):
            if values.get(name):
                values[name] = to_latin_digits(values[name]).strip()
        for name, value in values.items():
            if value is None and name != "birth_date":
                values[name] = ""
        return values


# ---- nested rows (plain formsets with blank extra rows; no JS needed) ------------------


class PhoneRowForm(BootstrapMixin, forms.Form):
    columns = {"kind": "col-6 col-md-2", "number": "col-12 col-md", "extension": "col-6 col-md-2"}
    kind = forms.ChoiceField(label=_("Type"), choices=Phone.Kind.choices, initial=Phone.Kind.MOBILE)
    number = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(_ltr(inputmode="tel", autocomplete="off")),
    )
    extension = forms.CharField(
        label=_("Extension"), max_length=10, required=False, widget=forms.TextInput(_ltr(inputmode="numeric"))
    )
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def clean_number(self) -> str:
        raw = self.cleaned_data["number"].strip()
        if raw and normalize_phone(raw) is None:
            raise ValidationError(IdentityError.messages[IdentityErrorCode.INVALID_PHONE] % {"value": raw})
        return raw

    def payload(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("number") or data.get("DELETE"):
            return None
        return {k: data.get(k) or "" for k in ("number", "kind", "extension")} | {"is_primary": data.get("is_primary")}


class EmailRowForm(BootstrapMixin, forms.Form):
    columns = {"address": "col-12 col-md"}
    address = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(_ltr(autocomplete="off")),
    )
    is_primary = forms.BooleanField(label=_("Primary"), required=False)

    def clean_address(self) -> str:
        raw = self.cleaned_data["address"].strip()
        if raw:
            try:
                validate_email(raw)
            except ValidationError as exc:
                raise ValidationError(IdentityError.messages[IdentityErrorCode.INVALID_EMAIL] % {"value": raw}) from exc
        return raw

    def payload(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("address") or data.get("DELETE"):
            return None
        return {"address": data["address"], "is_primary": data.get("is_primary")}


class AddressRowForm(BootstrapMixin, forms.Form):
    columns = {
        "label": "col-6 col-md-2",
        "province": "col-6 col-md-2",
        "city": "col-6 col-md-2",
        "line": "col-12 col-md",
        "postal_code": "col-6 col-md-2",
    }
    label = forms.CharField(label=_("Label"), max_length=40, required=False, help_text=_("e.g. office, home"))
    province = forms.CharField(label=_("Province"), max_length=80, required=False)
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    line = forms.CharField(label=_("Address"), max_length=300, required=False)
    postal_code = forms.CharField(
        label=_("Postal code"), max_length=20, required=False, widget=forms.TextInput(_ltr(inputmode="numeric"))
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        others = any(data.get(n) for n in ("label", "province", "city", "postal_code"))
        if others and not data.get("line") and not data.get("DELETE"):
            self.add_error("line", _("Enter the address itself."))
        if data.get("postal_code"):
            data["postal_code"] = to_latin_digits(data["postal_code"])
        return data

    def payload(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("line") or data.get("DELETE"):
            return None
        return {k: data.get(k) or "" for k in ("label", "province", "city", "line", "postal_code")}


class WebsiteRowForm(BootstrapMixin, forms.Form):
    columns = {"url": "col-12 col-md"}
    url = forms.URLField(
        label=_("Website"),
        max_length=300,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(_ltr(placeholder="https://")),
    )

    def payload(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("url") or data.get("DELETE"):
            return None
        return {"url": data["url"]}


class SpecialDateRowForm(BootstrapMixin, forms.Form):
    columns = {"label": "col-12 col-md", "date": "col-12 col-md-4"}
    label = forms.CharField(
        label=_("Occasion"), max_length=80, required=False, help_text=_("e.g. wedding anniversary, founding day")
    )
    date = UserDateField(label=_("Date"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("DELETE"):
            return data
        if data.get("label") and not data.get("date") and "date" not in self.errors:
            self.add_error("date", _("Enter the date."))
        if data.get("date") and not data.get("label"):
            self.add_error("label", _("Name the occasion."))
        return data

    def payload(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("label") or not data.get("date") or data.get("DELETE"):
            return None
        return {"label": data["label"], "date": data["date"]}


# name, row form, title, blank rows on a new identity, blank rows when editing
NESTED = [
    ("phones", PhoneRowForm, _("Phone numbers"), 2, 1),
    ("emails", EmailRowForm, _("Email addresses"), 1, 1),
    ("addresses", AddressRowForm, _("Addresses"), 1, 1),
    ("websites", WebsiteRowForm, _("Websites"), 1, 1),
    ("special_dates", SpecialDateRowForm, _("Other dates"), 1, 1),
]
MAX_ROWS = 30


class NestedRows:
    """The formsets of an identity's lists (phones, emails, ...). Lists the user may not
    edit (field-level rules) are left out, and the service leaves them as they are."""

    def __init__(self, data: Any, *, initial: dict[str, list[dict[str, Any]]] | None, access: dict[str, str]):
        self.formsets: list[tuple[str, str, Any]] = []
        for name, row_form, title, extra_new, extra_edit in NESTED:
            if access.get(name) in ("hidden", "view"):
                continue
            factory = forms.formset_factory(
                row_form,
                extra=extra_edit if initial is not None else extra_new,
                can_delete=True,
                max_num=MAX_ROWS,
                validate_max=True,
                absolute_max=MAX_ROWS,
            )
            formset = factory(data, prefix=name, initial=(initial or {}).get(name))
            for form in formset.forms:
                form.fields["DELETE"].label = _("Remove")
                form.fields["DELETE"].widget.attrs["class"] = "form-check-input"
            self.formsets.append((name, str(title), formset))

    def is_valid(self) -> bool:
        results = [fs.is_valid() for _name, _title, fs in self.formsets]  # every row gets its errors
        return all(results)

    def values(self) -> dict[str, list[dict[str, Any]]]:
        return {
            name: [p for p in (form.payload() for form in fs.forms if form.cleaned_data) if p]
            for name, _title, fs in self.formsets
        }

    def error_to_row(self, name: str, field: str, value: str, message: str) -> bool:
        """Put a service error about one typed value on the row that holds it."""
        for fs_name, _title, fs in self.formsets:
            if fs_name != name:
                continue
            for form in fs.forms:
                if form.cleaned_data and str(form.cleaned_data.get(field, "")).strip().lower() == value.lower():
                    form.add_error(field, message)
                    return True
        return False


def nested_initial(identity: Identity) -> dict[str, list[dict[str, Any]]]:
    return {
        "phones": [
            {"kind": p.kind, "number": display_phone(p.number), "extension": p.extension, "is_primary": p.is_primary}
            for p in identity.phones.all()
        ],
        "emails": [{"address": e.address, "is_primary": e.is_primary} for e in identity.emails.all()],
        "addresses": [
            {k: getattr(a, k) for k in ("label", "province", "city", "line", "postal_code")}
            for a in identity.addresses.all()
        ],
        "websites": [{"url": w.url} for w in identity.websites.all()],
        "special_dates": [{"label": d.label, "date": d.date} for d in identity.special_dates.all()],
    }


# ---- list filters ----------------------------------------------------------------------

SORT_CHOICES = [
    ("-id", _("Newest first")),
    ("id", _("Oldest first")),
    ("name", _("Name (A–Z)")),
    ("-name", _("Name (Z–A)")),
    ("customer_number", _("Customer number")),
]


class IdentityFilterForm(forms.Form):
    """The list's query string. Invalid parts are ignored, not shown as errors."""

    q = forms.CharField(required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All kinds")), *Identity.Kind.choices], required=False)
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    sub = forms.BooleanField(label=_("with sub-categories"), required=False)
    customers = forms.BooleanField(label=_("Customers only"), required=False)
    unknown = forms.BooleanField(label=_("Unknown contacts only"), required=False)
    assigned = forms.ChoiceField(label=_("Assigned to"), required=False)
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    colour = forms.ChoiceField(label=_("Colour tag"), choices=[("", "—"), *Identity.Colour.choices[1:]], required=False)
    class_code = forms.CharField(label=_("Customer class"), max_length=20, required=False)
    sort = forms.CharField(required=False, max_length=60)

    def __init__(self, *args: Any, categories: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["category"].empty_label = _("All categories")
        self.fields["assigned"].choices = [("", _("Anyone")), ("me", _("Me")), *((str(u.pk), str(u)) for u in users)]
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            elif isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"

    def value(self, name: str) -> Any:
        """The cleaned value of one filter, or its empty value when it did not validate."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


# ---- profile actions -------------------------------------------------------------------


class CustomerNumberForm(BootstrapMixin, forms.Form):
    number = forms.CharField(
        label=_("Customer number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(_ltr()),
        help_text=_("Leave empty to take the next number."),
    )


class AddPhoneForm(BootstrapMixin, forms.Form):
    number = forms.CharField(label=_("Phone number"), max_length=40, widget=forms.TextInput(_ltr(inputmode="tel")))
    kind = forms.ChoiceField(label=_("Type"), choices=Phone.Kind.choices, initial=Phone.Kind.MOBILE)

    def clean_number(self) -> str:
        raw = self.cleaned_data["number"].strip()
        if normalize_phone(raw) is None:
            raise ValidationError(IdentityError.messages[IdentityErrorCode.INVALID_PHONE] % {"value": raw})
        return raw


class ContactLinkForm(BootstrapMixin, forms.Form):
    other = forms.IntegerField(
        label=_("Identity number (ID)"), min_value=1, widget=forms.TextInput(_ltr(inputmode="numeric"))
    )
    role = forms.CharField(label=_("Role"), max_length=100, required=False, help_text=_("e.g. purchasing manager"))


# ---- categories admin ------------------------------------------------------------------


class CategoryForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    parent = CategoryChoiceField(label=_("Parent category"), queryset=Category.objects.none(), required=False)
    restricted = forms.BooleanField(
        label=_("Only for chosen positions"),
        required=False,
        help_text=_("Identities only in restricted categories are hidden from everyone else."),
    )
    positions = forms.ModelMultipleChoiceField(
        label=_("Positions with access"),
        required=False,
        queryset=Position.objects.filter(active=True).select_related("department"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = categories
