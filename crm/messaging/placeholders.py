"""Smart parameters for message templates (CM-5): which placeholders exist, and their values.

A *source* names a kind of record a template can be about ("identity" here; sales registers
"document", finance "payment"…). It lists its placeholders for the editor (`fields()`:
`[("identity.first_name", "First name"), …]`) and fills them for many records at once
(`values(ids_or_objects)` → `{pk: {"identity.first_name": "Sara", …}}`). The keys are the
full dotted names, so the values of several sources merge into one flat dictionary that
`template_render` hands to the sandboxed `crm.core.templating.render_text`: a placeholder
outside that dictionary (`{{ identity.__class__ }}`, `{{ settings.SECRET_KEY }}`) renders
as nothing, and `{% … %}` tags are plain text, never run.

The identity's calendar: birthdays and other dates of an identity are shown (and occasions
fall) in *its own* calendar, which is Jalali unless the identity has a custom field with the
key `calendar` set to "gregorian" (`identity_calendar`). That keeps the data model as it is
and lets an organisation with Gregorian customers add one choice field.

`identity_values` is batch: one query per table for any number of ids (bulk sends call it
for 100,000 recipients in chunks)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.core.customfields.selectors import custom_field_definitions, custom_value_display
from crm.core.i18n.calendars import GREGORIAN, JALALI, calendar_override
from crm.core.i18n.formatting import format_date, list_separator
from crm.core.templating import render_text
from crm.identities.models import Address, Assignment, Email, Identity, Phone
from crm.identities.phones import display_phone

logger = logging.getLogger(__name__)
CALENDAR_FIELD = "calendar"  # custom field key that overrides an identity's calendar
CHUNK = 2000


@dataclass(frozen=True)
class PlaceholderSource:
    key: str
    label: str | Promise
    # [(placeholder name, label)] for the editor's list
    fields: Callable[[], list[tuple[str, str]]]
    # ids (or objects with .pk) -> {pk: {placeholder name: text}}
    values: Callable[[list[Any]], dict[int, dict[str, str]]]


_sources: dict[str, PlaceholderSource] = {}


def register_placeholder_source(src: PlaceholderSource) -> PlaceholderSource:
    _sources[src.key] = src
    return src


def placeholder_sources() -> list[PlaceholderSource]:
    return list(_sources.values())


def placeholder_source(key: str) -> PlaceholderSource | None:
    return _sources.get(key)


def template_render(text: str, values: Mapping[str, Any], *, html: bool = False) -> str:
    """Fill `{{ dotted.name }}` placeholders; HTML-escaped values for email bodies, plain for
    SMS. Never raises: a broken template or odd values give the text as far as it goes."""
    try:
        return render_text(str(text or ""), values if isinstance(values, Mapping) else {}, escape_html=html)
    except Exception:  # a template must never turn into a 500
        return ""


def _ids(items: Iterable[Any]) -> list[int]:
    out = []
    for item in items:
        pk = getattr(item, "pk", item)
        try:
            out.append(int(pk))
        except (TypeError, ValueError):
            continue
    return list(dict.fromkeys(out))


# --- the identity source ------------------------------------------------------------------

IDENTITY_FIELDS: list[tuple[str, Any]] = [
    ("identity.name", _("Name")),
    ("identity.title", _("Title")),
    ("identity.first_name", _("First name")),
    ("identity.last_name", _("Last name")),
    ("identity.full_name", _("Title and name")),
    ("identity.organisation_name", _("Organisation name")),
    ("identity.kind", _("Kind")),
    ("identity.customer_number", _("Customer number")),
    ("identity.class", _("Customer class")),
    ("identity.mobile", _("Mobile")),
    ("identity.phone", _("Phone")),
    ("identity.email", _("Email")),
    ("identity.city", _("City")),
    ("identity.province", _("Province")),
    ("identity.address", _("Address")),
    ("identity.postal_code", _("Postal code")),
    ("identity.birthday", _("Birthday")),
    ("identity.birthday_long", _("Birthday (month as a word)")),
    ("identity.national_id", _("National ID / registration number")),
    ("identity.economic_code", _("Economic code")),
    ("identity.expert", _("Assigned expert")),
]


def _identity_fields() -> list[tuple[str, str]]:
    fields = [(name, str(label)) for name, label in IDENTITY_FIELDS]
    fields += [(f"identity.cf.{d.key}", d.label) for d in custom_field_definitions(model=Identity)]
    return fields


def identity_calendar(custom: Mapping[str, Any] | None) -> str:
    """An identity's own calendar: Jalali unless its `calendar` custom field says Gregorian."""
    value = str((custom or {}).get(CALENDAR_FIELD) or "").strip().lower()
    return GREGORIAN if value in (GREGORIAN, "g", "miladi") else JALALI


def _first_by_identity(rows: Iterable[tuple[int, Any]]) -> dict[int, Any]:
    first: dict[int, Any] = {}
    for identity_id, value in rows:
        first.setdefault(identity_id, value)
    return first


def _user_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _custom_display() -> Callable[[Any, Any], str]:
    cache: dict[tuple[int, Any], str] = {}

    def show(definition: Any, value: Any) -> str:
        if not definition.kind.startswith("link_"):  # no query: dates follow the active calendar
            return custom_value_display(definition, value)
        key = (definition.pk, str(value))
        if key not in cache:
            try:
                cache[key] = custom_value_display(definition, value)
            except Exception:  # a dangling link shows as nothing
                cache[key] = ""
        return cache[key]

    return show


def _identity_chunk(ids: list[int], definitions: list[Any], show: Callable[[Any, Any], str]) -> dict[int, dict]:
    identities = Identity.objects.filter(pk__in=ids).values(
        "pk",
        "kind",
        "title",
        "first_name",
        "last_name",
        "organisation_name",
        "display_name",
        "customer_number",
        "class_code",
        "birth_date",
        "national_id",
        "economic_code",
        "custom",
    )
    phones = Phone.objects.filter(identity_id__in=ids).order_by("identity_id", "-is_primary", "id")
    phone_rows = list(phones.values_list("identity_id", "kind", "number"))
    mobile = _first_by_identity((i, n) for i, k, n in phone_rows if k == Phone.Kind.MOBILE)
    phone = _first_by_identity((i, n) for i, k, n in phone_rows if k != Phone.Kind.FAX)
    emails = Email.objects.filter(identity_id__in=ids).order_by("identity_id", "-is_primary", "id")
    email = _first_by_identity(emails.values_list("identity_id", "address"))
    addresses = Address.objects.filter(identity_id__in=ids).order_by("identity_id", "id")
    address = _first_by_identity(
        (row[0], row) for row in addresses.values_list("identity_id", "city", "province", "line", "postal_code")
    )
    experts: dict[int, list[str]] = defaultdict(list)
    for identity_id, first, last, username in (
        Assignment.objects.filter(identity_id__in=ids)
        .order_by("identity_id", "id")
        .values_list("identity_id", "user__first_name", "user__last_name", "user__username")
    ):
        experts[identity_id].append(_user_name(first, last, username))
    kinds = dict(Identity.Kind.choices)
    out: dict[int, dict] = {}
    for row in identities:
        pk, custom = row["pk"], row["custom"] or {}
        _id, city, province, line, postal = address.get(pk, (pk, "", "", "", ""))
        calendar = identity_calendar(custom)
        with calendar_override(calendar):
            birthday = format_date(row["birth_date"])
            birthday_long = format_date(row["birth_date"], long=True)
        values = {
            "identity.name": row["display_name"],
            "identity.title": row["title"],
            "identity.first_name": row["first_name"],
            "identity.last_name": row["last_name"],
            "identity.full_name": " ".join(p for p in (row["title"], row["display_name"]) if p),
            "identity.organisation_name": row["organisation_name"],
            "identity.kind": str(kinds.get(row["kind"], row["kind"])),
            "identity.customer_number": row["customer_number"] or "",
            "identity.class": row["class_code"],
            "identity.mobile": display_phone(mobile[pk]) if pk in mobile else "",
            "identity.phone": display_phone(phone[pk]) if pk in phone else "",
            "identity.email": email.get(pk, ""),
            "identity.city": city,
            "identity.province": province,
            "identity.address": line,
            "identity.postal_code": postal,
            "identity.birthday": birthday,
            "identity.birthday_long": birthday_long,
            "identity.national_id": row["national_id"],
            "identity.economic_code": row["economic_code"],
            "identity.expert": list_separator().join(experts.get(pk, [])),
        }
        with calendar_override(calendar):
            for definition in definitions:
                raw = custom.get(definition.key)
                values[f"identity.cf.{definition.key}"] = show(definition, raw) if raw not in (None, "", []) else ""
        out[pk] = values
    return out


# identity model field (as field-access rules name it) behind each placeholder
FIELD_OF = {
    "identity.title": "title",
    "identity.first_name": "first_name",
    "identity.last_name": "last_name",
    "identity.organisation_name": "organisation_name",
    "identity.customer_number": "customer_number",
    "identity.class": "class_code",
    "identity.mobile": "phones",
    "identity.phone": "phones",
    "identity.email": "emails",
    "identity.city": "addresses",
    "identity.province": "addresses",
    "identity.address": "addresses",
    "identity.postal_code": "addresses",
    "identity.birthday": "birth_date",
    "identity.birthday_long": "birth_date",
    "identity.national_id": "national_id",
    "identity.economic_code": "economic_code",
    "identity.expert": "assignees",
}


def hidden_placeholders(user: Any) -> set[str]:
    """Identity placeholders whose field the user may not see (field-access rules): they
    render as nothing in what this user sends or previews."""
    if user is None:
        return set()
    from crm.core.permissions.access import hidden_fields

    hidden = hidden_fields(user, Identity)
    if not hidden:
        return set()
    names = {name for name, field in FIELD_OF.items() if field in hidden}
    names |= {f"identity.cf.{field.removeprefix('custom.')}" for field in hidden if field.startswith("custom.")}
    return names


def identity_values(identity_ids: Iterable[Any], *, user: Any = None) -> dict[int, dict[str, str]]:
    """Every identity placeholder for these identities, in chunks of `CHUNK` ids with one
    query per table each. Dates follow each identity's calendar; digits and labels follow
    the active language (the caller activates the message's language). With `user`, the
    fields that user may not see are left empty."""
    ids = _ids(identity_ids)
    definitions = custom_field_definitions(model=Identity)
    show = _custom_display()
    out: dict[int, dict[str, str]] = {}
    for start in range(0, len(ids), CHUNK):
        out.update(_identity_chunk(ids[start : start + CHUNK], definitions, show))
    hidden = hidden_placeholders(user)
    if hidden:
        for values in out.values():
            values.update(dict.fromkeys(hidden & values.keys(), ""))
    return out


IDENTITY_SOURCE = register_placeholder_source(
    PlaceholderSource(key="identity", label=_("Identity"), fields=_identity_fields, values=identity_values)
)


def placeholder_groups(context: str = "identity") -> list[tuple[str, list[tuple[str, str]]]]:
    """The editor's picker: the template's own source first, then the identity's."""
    keys = list(dict.fromkeys([context, "identity"]))
    groups = []
    for key in keys:
        source = _sources.get(key)
        if source is not None:
            try:
                groups.append((str(source.label), source.fields()))
            except Exception:  # a broken source must not break the editor
                logger.exception("placeholder source %s failed", key)
    return groups
