"""Validation and normalisation of custom field values: pure functions, one per kind.

Stored shapes (JSON): text → str; number → JSON number; money → decimal string;
date → "YYYY-MM-DD"; datetime → "YYYY-MM-DDTHH:MM:SSZ" (UTC); choice → str;
multi_choice → [str]; checkbox → bool; file → storage name; link_* → int id.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from crm.core.customfields.models import CustomFieldDefinition as Def
from crm.core.customfields.registry import link_resolver
from crm.core.i18n.digits import to_latin_digits

Kind = Def.Kind
TEXT_MAX = {Kind.TEXT: 255, Kind.LONG_TEXT: 10000}


class ValueError_(Exception):
    pass


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError_(_("Enter a number."))
    try:
        number = Decimal(to_latin_digits(str(value)).replace("٬", "").replace(",", "").replace("٫", ".").strip())
        too_big = not number.is_finite() or abs(number) >= Decimal("1e18")
    except ArithmeticError as exc:  # InvalidOperation, and Overflow for exponents like 1e999999999
        raise ValueError_(_("Enter a number.")) from exc
    if too_big:
        raise ValueError_(_("Enter a number."))
    return number


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        parsed = parse_date(to_latin_digits(str(value)).strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError_(_("Enter a valid date."))
    return parsed.isoformat()


def _datetime(value: Any) -> str:
    if not isinstance(value, dt.datetime):
        try:
            value = parse_datetime(to_latin_digits(str(value)).strip())
        except ValueError:
            value = None
    if value is None or value.tzinfo is None:
        raise ValueError_(_("Enter a valid date and time with a time zone."))
    try:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError as exc:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise ValueError_(_("Enter a valid date and time with a time zone.")) from exc


def _choice_values(definition: Def) -> set[str]:
    return {str(c.get("value")) for c in definition.choices}


def _link(definition: Def, value: Any) -> int:
    try:
        pk = int(to_latin_digits(str(value)))
    except (TypeError, ValueError) as exc:
        raise ValueError_(_("Choose a valid record.")) from exc
    if not 0 < pk < 2**63:  # ids are 64-bit; SQLite cannot even compare larger ones
        raise ValueError_(_("Choose a valid record."))
    kind = definition.kind.removeprefix("link_")
    resolver = link_resolver(kind)
    if resolver is None or pk not in resolver([pk]):
        raise ValueError_(_("Choose a valid record."))
    return pk


def _storable(value: Any) -> None:
    """PostgreSQL's jsonb refuses NUL, and no database stores lone UTF-16 surrogates."""
    texts = value if isinstance(value, (list, tuple)) else [value]
    for text in texts:
        if isinstance(text, str) and ("\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)):
            raise ValueError_(_("Remove the control characters from this value."))


def clean_value(definition: Def, value: Any) -> Any:
    """The stored form of `value`, or ValueError_ with a message for the person."""
    _storable(value)
    kind = definition.kind
    if kind in TEXT_MAX:
        text = str(value).strip()
        if len(text) > TEXT_MAX[kind]:
            raise ValueError_(_("Too long (at most %(n)d characters).") % {"n": TEXT_MAX[kind]})
        return text
    if kind == Kind.NUMBER:
        number = _number(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == Kind.MONEY:
        return str(_number(value).quantize(Decimal("0.01")))
    if kind == Kind.DATE:
        return _date(value)
    if kind == Kind.DATETIME:
        return _datetime(value)
    if kind == Kind.CHOICE:
        if str(value) not in _choice_values(definition):
            raise ValueError_(_("Choose one of the listed values."))
        return str(value)
    if kind == Kind.MULTI_CHOICE:
        items = value if isinstance(value, (list, tuple)) else [value]
        allowed = _choice_values(definition)
        if any(str(v) not in allowed for v in items):
            raise ValueError_(_("Choose only listed values."))
        return sorted({str(v) for v in items})
    if kind == Kind.CHECKBOX:
        if isinstance(value, bool):
            return value
        if str(value).lower() in {"true", "1", "on", "yes"}:
            return True
        if str(value).lower() in {"false", "0", "off", "no", ""}:
            return False
        raise ValueError_(_("Enter true or false."))
    if kind == Kind.FILE:
        name = str(value)
        if not name or name.startswith("/") or ".." in name:
            raise ValueError_(_("Upload a file."))
        return name
    return _link(definition, value)


def is_empty(value: Any) -> bool:
    return value is None or value in ("", [])


def clean_values(
    definitions: list[Def], data: dict[str, Any], *, existing: dict[str, Any] | None = None, partial: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge `data` into `existing` for the given definitions; return (values, errors)."""
    result = dict(existing or {})
    errors: dict[str, str] = {}
    known = {d.key: d for d in definitions}
    for key in data:
        if key not in known:
            errors[key] = _("Unknown field.")
    for definition in definitions:
        if definition.key not in data:
            if not partial and definition.required and is_empty(result.get(definition.key)):
                errors[definition.key] = _("This field is required.")
            continue
        value = data[definition.key]
        if value is None or value in ("", []):
            if definition.required:
                errors[definition.key] = _("This field is required.")
            result.pop(definition.key, None)
            continue
        try:
            result[definition.key] = clean_value(definition, value)
        except ValueError_ as exc:
            errors[definition.key] = str(exc)
    return result, errors
