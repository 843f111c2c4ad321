"""What a file column can be mapped to, and the mapping proposed from header names
(English, Persian and Ukrainian; Outlook and Google Contacts CSV headers)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.i18n.search import normalize_compact


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str | Promise
    multi: bool = False  # several columns (and several values in a cell) allowed


FIELDS = [
    ImportField("kind", _("Kind (person or organisation)")),
    ImportField("title", _("Title")),
    ImportField("first_name", _("First name")),
    ImportField("last_name", _("Last name")),
    ImportField("full_name", _("Full name (when there are no separate first and last names)")),
    ImportField("organisation_name", _("Organisation name")),
    ImportField("mobile", _("Mobile"), multi=True),
    ImportField("phone", _("Phone"), multi=True),
    ImportField("fax", _("Fax"), multi=True),
    ImportField("email", _("Email"), multi=True),
    ImportField("address", _("Address")),
    ImportField("city", _("City")),
    ImportField("province", _("Province")),
    ImportField("postal_code", _("Postal code")),
    ImportField("website", _("Website"), multi=True),
    ImportField("birth_date", _("Birthday")),
    ImportField("national_id", _("National ID / registration number")),
    ImportField("customer_number", _("Customer number")),
    ImportField("class_code", _("Customer class")),
    ImportField("colour", _("Colour tag")),
    ImportField("category", _("Category (name)"), multi=True),
    ImportField("notes", _("Notes")),
]
FIELD_KEYS = {f.key for f in FIELDS}
MULTI_FIELDS = {f.key for f in FIELDS if f.multi}
PHONE_FIELDS = {"mobile": "mobile", "phone": "phone", "fax": "fax"}
CUSTOM_PREFIX = "custom."

_ALIASES = {
    "kind": ["kind", "type", "نوع", "نوع شخص", "حقیقی/حقوقی", "حقیقی یا حقوقی", "тип"],
    "title": ["title", "name prefix", "prefix", "salutation", "عنوان", "پیشوند", "звернення"],
    "first_name": ["first name", "firstname", "given name", "given", "forename", "نام", "نام کوچک", "ім'я", "імя"],
    "last_name": ["last name", "lastname", "surname", "family name", "نام خانوادگی", "فامیلی", "فامیل", "прізвище"],
    "full_name": ["name", "full name", "fullname", "display name", "contact name", "نام کامل", "نام و نام خانوادگی"],
    "organisation_name": [
        "company",
        "company name",
        "organisation",
        "organization",
        "organization name",
        "organisation name",
        "business",
        "شرکت",
        "نام شرکت",
        "سازمان",
        "نام سازمان",
        "компанія",
        "організація",
    ],
    "mobile": [
        "mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cell phone",
        "cellphone",
        "موبایل",
        "تلفن همراه",
        "همراه",
        "شماره همراه",
        "شماره موبایل",
        "мобільний",
        "мобільний телефон",
    ],
    "phone": [
        "phone",
        "telephone",
        "tel",
        "phone number",
        "business phone",
        "business phone 2",
        "home phone",
        "home phone 2",
        "primary phone",
        "other phone",
        "company main phone",
        "تلفن",
        "تلفن ثابت",
        "شماره تلفن",
        "تلفن منزل",
        "تلفن محل کار",
        "телефон",
    ],
    "fax": ["fax", "business fax", "home fax", "other fax", "فکس", "نمابر", "факс"],
    "email": [
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "e-mail 2 address",
        "e-mail 3 address",
        "mail",
        "ایمیل",
        "پست الکترونیک",
        "پست الکترونیکی",
        "رایانامه",
        "ел. пошта",
        "електронна пошта",
    ],
    "address": [
        "address",
        "street",
        "business street",
        "home street",
        "other street",
        "آدرس",
        "نشانی",
        "адреса",
    ],
    "city": ["city", "town", "business city", "home city", "شهر", "місто"],
    "province": ["province", "state", "region", "business state", "home state", "استان", "область"],
    "postal_code": [
        "postal code",
        "postcode",
        "zip",
        "zip code",
        "business postal code",
        "home postal code",
        "کد پستی",
        "поштовий індекс",
        "індекс",
    ],
    "website": ["website", "web site", "web page", "url", "homepage", "وب سایت", "وبسایت", "سایت", "сайт"],
    "birth_date": ["birthday", "birth date", "date of birth", "dob", "تاریخ تولد", "تولد", "дата народження"],
    "national_id": ["national id", "national code", "کد ملی", "شماره ملی", "شناسه ملی", "کدملی"],
    "customer_number": ["customer number", "customer no", "customer id", "کد مشتری", "شماره مشتری", "номер клієнта"],
    "class_code": ["class", "customer class", "کلاس", "کلاس مشتری", "رده", "клас"],
    "colour": ["colour", "color", "رنگ", "колір"],
    "category": [
        "category",
        "categories",
        "group",
        "groups",
        "group membership",
        "labels",
        "دسته",
        "دسته بندی",
        "گروه",
        "категорія",
    ],
    "notes": ["notes", "note", "description", "comments", "توضیحات", "یادداشت", "примітки"],
}
# Google Contacts numbers its repeated columns: "Phone 1 - Value", "E-mail 2 - Value"...
_PATTERNS = [
    (re.compile(r"^phone\d+value$"), "phone"),
    (re.compile(r"^email\d+value$"), "email"),
    (re.compile(r"^website\d+value$"), "website"),
    (re.compile(r"^address\d+street$"), "address"),
    (re.compile(r"^address\d+city$"), "city"),
    (re.compile(r"^address\d+region$"), "province"),
    (re.compile(r"^address\d+postalcode$"), "postal_code"),
    (re.compile(r"^organi[sz]ation\d+name$"), "organisation_name"),
]
_PUNCTUATION = re.compile(r"[\s_\-.:/()'’`]+")


def header_key(text: str) -> str:
    """'E-mail Address', 'e_mail address', 'ايميل' → one comparable key."""
    return _PUNCTUATION.sub("", normalize_compact(str(text or "")))


_ALIAS_INDEX = {header_key(alias): key for key, aliases in _ALIASES.items() for alias in aliases}


def field_for_header(header: str, definitions: list[CustomFieldDefinition] = ()) -> str:
    key = header_key(header)
    if not key:
        return ""
    for definition in definitions:
        names = {header_key(definition.key), *(header_key(label) for label in definition.labels.values())}
        if key in names:
            return CUSTOM_PREFIX + definition.key
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    return next((field for pattern, field in _PATTERNS if pattern.match(key)), "")


def propose_mapping(headers: list[str], definitions: list[CustomFieldDefinition] = ()) -> dict[str, str]:
    """Column index (as text) → field. A single-value field is proposed for its first column only."""
    mapping, taken = {}, set()
    for index, header in enumerate(headers):
        field = field_for_header(header, definitions)
        if not field or (field in taken and field not in MULTI_FIELDS):
            continue
        taken.add(field)
        mapping[str(index)] = field
    return mapping


def field_choices(definitions: list[CustomFieldDefinition]) -> list[tuple[str, str | Promise]]:
    return [(f.key, f.label) for f in FIELDS] + [(CUSTOM_PREFIX + d.key, d.label) for d in definitions]


def type_columns(headers: list[str]) -> dict[int, int]:
    """Google's 'Phone 1 - Value' column → its 'Phone 1 - Type' (or '- Label') column: Mobile, Work…"""
    by_key = {header_key(h): i for i, h in enumerate(headers)}
    pairs = {}
    for index, header in enumerate(headers):
        match = re.match(r"^phone(\d+)value$", header_key(header))
        if not match:
            continue
        for suffix in ("type", "label"):
            if f"phone{match.group(1)}{suffix}" in by_key:
                pairs[index] = by_key[f"phone{match.group(1)}{suffix}"]
    return pairs
