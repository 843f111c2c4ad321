"""Input and output shapes of /api/v1/identities/. Inputs only validate and convert; the
services decide (rights, names, phone normalisation, custom field rules)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.identities.models import Category, Identity, Phone
from crm.identities.phones import display_phone, normalize_phone
from crm.identities.selectors import SORTS, categories_for_user
from crm.org.models import User

MAX_ROWS = 50  # nested rows per list in one request (phones, emails, …)


def _has_bad_characters(value: Any) -> bool:
    """NUL and lone surrogates: JSON can carry them, PostgreSQL and UTF-8 cannot."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_bad_characters(k) or _has_bad_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_bad_characters(v) for v in value)
    return False


class _Row(serializers.Serializer):
    """A nested row. Partial requests (PATCH) skip defaults and required checks all the way
    down in DRF, but a nested list is always replaced whole: enforce both here."""

    required_keys: tuple[str, ...] = ()
    defaults: dict[str, Any] = {}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        missing = {key: [_("This field is required.")] for key in self.required_keys if key not in attrs}
        if missing:
            raise serializers.ValidationError(missing)
        return {**self.defaults, **attrs}


# --- input ------------------------------------------------------------------------------


class PhoneInput(_Row):
    kind = serializers.ChoiceField(choices=Phone.Kind.choices, required=False, default=Phone.Kind.MOBILE)
    number = serializers.CharField(max_length=40, help_text="any format: +98 912 123 4567, 09121234567, ۰۹۱۲…")
    extension = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(required=False, default=False)
    required_keys = ("number",)
    defaults = {"kind": Phone.Kind.MOBILE, "extension": "", "is_primary": False}

    def validate_number(self, value: str) -> str:
        number = normalize_phone(value)
        if number is None:
            raise serializers.ValidationError(_("Enter a valid phone number."))
        return number


class EmailInput(_Row):
    address = serializers.EmailField(max_length=254)
    is_primary = serializers.BooleanField(required=False, default=False)
    required_keys = ("address",)
    defaults = {"is_primary": False}


class AddressInput(_Row):
    label = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    province = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    line = serializers.CharField(max_length=300)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    required_keys = ("line",)
    defaults = {"label": "", "province": "", "city": "", "postal_code": ""}


class WebsiteInput(_Row):
    url = serializers.URLField(max_length=300)
    required_keys = ("url",)


class SpecialDateInput(_Row):
    label = serializers.CharField(max_length=80)
    date = serializers.DateField()
    required_keys = ("label", "date")


class NamesInput(serializers.Serializer):
    title = serializers.CharField(max_length=40, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    organisation_name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CustomValuesField(serializers.DictField):
    """Custom field values by key; the core custom field rules validate them in the service."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if _has_bad_characters(value):
            raise serializers.ValidationError(_("Text may not contain NUL or unpaired surrogate characters."))
        return value


def _rows(child: type[serializers.Serializer]) -> Any:
    return child(many=True, required=False, max_length=MAX_ROWS)


class IdentityInput(serializers.Serializer):
    """POST (all of it), PUT (kind and names required; a key left out keeps its value) and
    PATCH (any subset). A nested list that is given replaces the stored list."""

    kind = serializers.ChoiceField(choices=Identity.Kind.choices)
    names = NamesInput()
    national_id = serializers.CharField(max_length=20, required=False, allow_blank=True)
    economic_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    colour = serializers.ChoiceField(choices=Identity.Colour.choices, required=False, allow_blank=True)
    class_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    source = serializers.CharField(max_length=60, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    phones = _rows(PhoneInput)
    emails = _rows(EmailInput)
    addresses = _rows(AddressInput)
    websites = _rows(WebsiteInput)
    special_dates = _rows(SpecialDateInput)
    categories = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Category.objects.none(), help_text="ids of categories you may see"
    )
    assignees = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=User.objects.filter(is_active=True), help_text="user ids"
    )
    custom = CustomValuesField(required=False, help_text="custom field values by key")

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only categories the user may see: any other id is "does not exist", not "forbidden".
        if user is not None:  # None: the schema generator
            self.fields["categories"].child_relation.queryset = categories_for_user(user=user)

    def service_kwargs(self) -> dict[str, Any]:
        """validated_data flattened for identity_create / identity_update."""
        data = dict(self.validated_data)
        names = data.pop("names", {}) or {}
        data.update(names)
        return data


class CustomerNumberInput(serializers.Serializer):
    number = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="leave out for the next number of the customer sequence",
    )


class AddPhoneInput(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=Phone.Kind.choices, required=False, default=Phone.Kind.MOBILE)

    def validate_number(self, value: str) -> str:
        if normalize_phone(value) is None:
            raise serializers.ValidationError(_("Enter a valid phone number."))
        return value


class ResolveInput(serializers.Serializer):
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    source = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="api",
        help_text="the channel asking, e.g. pbx or mailbox",
    )

    def validate_phone(self, value: str) -> str:
        if value and normalize_phone(value) is None:
            raise serializers.ValidationError(_("Enter a valid phone number."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("phone") and not attrs.get("email"):
            raise serializers.ValidationError({"phone": [_("Give a phone number or an email address.")]})
        return attrs


# --- query ------------------------------------------------------------------------------


class IdentityQuery(serializers.Serializer):
    search = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="name fragment (Persian-aware), customer number, phone in any format, or email",
    )
    kind = serializers.ChoiceField(choices=Identity.Kind.choices, required=False, allow_blank=True, default="")
    category = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="a category id you may see; its sub-categories are included",
    )
    customer = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: only customers; false: only non-customers"
    )
    unknown = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: only unknown contacts; false: only known ones"
    )
    assigned_to = serializers.RegexField(
        r"^(me|[0-9]{1,18})$", required=False, default="", help_text="a user id, or `me`"
    )
    city = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    class_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    colour = serializers.ChoiceField(choices=Identity.Colour.choices, required=False, allow_blank=True, default="")
    created_after = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="created on or after this day (ISO date)"
    )
    created_before = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="created on or before this day (ISO date)"
    )
    ordering = serializers.ChoiceField(choices=list(SORTS), required=False, default="-id")


class QuickSearchQuery(serializers.Serializer):
    q = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="at least 2 characters: name fragment, customer number, phone or email",
    )


# --- output -----------------------------------------------------------------------------


class PhoneOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Phone.Kind.choices)
    number = serializers.CharField(help_text="E.164")
    display = serializers.SerializerMethodField(help_text="national format for Iranian numbers")
    extension = serializers.CharField()
    is_primary = serializers.BooleanField()

    def get_display(self, obj: Phone) -> str:
        return display_phone(obj.number)


class EmailOutput(serializers.Serializer):
    id = serializers.IntegerField()
    address = serializers.EmailField()
    is_primary = serializers.BooleanField()


class AddressOutput(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    province = serializers.CharField()
    city = serializers.CharField()
    line = serializers.CharField()
    postal_code = serializers.CharField()


class WebsiteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()


class SpecialDateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    date = serializers.DateField()


class CategoryRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UserRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField(source="get_full_name")


class NamesOutput(serializers.Serializer):
    title = serializers.CharField(required=False)
    first_name = serializers.CharField(required=False)
    last_name = serializers.CharField(required=False)
    organisation_name = serializers.CharField(required=False)


def _visible_categories(obj: Identity, context: dict[str, Any]) -> list[Category]:
    visible = context.get("category_ids")  # None: all (superuser)
    return [c for c in obj.categories.all() if visible is None or c.pk in visible]


class IdentityOutput(serializers.Serializer):
    """Fields a field access rule may hide are not required: they are left out for users
    who may not see them (custom values by key, `custom.<key>`)."""

    id = serializers.IntegerField()
    public_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Identity.Kind.choices)
    display_name = serializers.CharField()
    names = NamesOutput(source="*")
    customer_number = serializers.CharField(allow_null=True, required=False)
    is_customer = serializers.BooleanField(required=False)
    became_customer_at = serializers.DateTimeField(allow_null=True, required=False)
    is_unknown = serializers.BooleanField(required=False)
    colour = serializers.CharField(required=False)
    class_code = serializers.CharField(required=False)
    birth_date = serializers.DateField(allow_null=True, required=False)
    national_id = serializers.CharField(required=False)
    economic_code = serializers.CharField(required=False)
    source = serializers.CharField(required=False)
    notes = serializers.CharField(required=False)
    categories = serializers.SerializerMethodField()
    assignees = UserRefOutput(many=True, required=False)
    phones = PhoneOutput(many=True, required=False)
    emails = EmailOutput(many=True, required=False)
    addresses = AddressOutput(many=True, required=False)
    websites = WebsiteOutput(many=True, required=False)
    special_dates = SpecialDateOutput(many=True, required=False)
    custom = serializers.DictField(required=False, help_text="custom field values by key")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(CategoryRefOutput(many=True))
    def get_categories(self, obj: Identity) -> list[dict[str, Any]]:
        return CategoryRefOutput(_visible_categories(obj, self.context), many=True).data

    def to_representation(self, instance: Identity) -> dict[str, Any]:
        return _hide(super().to_representation(instance), self.context.get("hidden", set()))


def _hide(data: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    for name in hidden:
        if name.startswith("custom."):
            data.get("custom", {}).pop(name.removeprefix("custom."), None)
        elif name in data.get("names", {}):
            data["names"].pop(name)
        elif name == "categories":  # always present in the schema: hide the names, keep the key
            data["categories"] = []
        elif name not in ("id", "public_id", "kind", "display_name"):
            data.pop(name, None)
    return data


class IdentityBriefOutput(serializers.Serializer):
    """One quick search hit: enough to show and pick it."""

    id = serializers.IntegerField()
    public_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Identity.Kind.choices)
    display_name = serializers.CharField()
    customer_number = serializers.CharField(allow_null=True, required=False)
    is_unknown = serializers.BooleanField(required=False)
    colour = serializers.CharField(required=False)
    phone = serializers.SerializerMethodField(help_text="primary phone, national format")
    email = serializers.SerializerMethodField(help_text="primary email")

    def get_phone(self, obj: Identity) -> str | None:
        phones = list(obj.phones.all())
        return display_phone(phones[0].number) if phones else None

    def get_email(self, obj: Identity) -> str | None:
        emails = list(obj.emails.all())
        return emails[0].address if emails else None

    def to_representation(self, instance: Identity) -> dict[str, Any]:
        data = super().to_representation(instance)
        hidden = self.context.get("hidden", set())
        for name, key in (("phones", "phone"), ("emails", "email")):
            if name in hidden:
                data.pop(key, None)
        return _hide(data, hidden)


class QuickSearchOutput(serializers.Serializer):
    results = IdentityBriefOutput(many=True)


class ResolveOutput(serializers.Serializer):
    identity = IdentityOutput()
    created = serializers.BooleanField(help_text="true when an unknown contact was just created")


class CategoryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    depth = serializers.IntegerField()
