"""Template helpers loaded everywhere: dates in the user's calendar, digits, numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from crm.core.i18n.calendars import get_calendar
from crm.core.i18n.digits import localize_digits
from crm.core.i18n.formatting import format_date, format_datetime, format_number

register = template.Library()


@register.filter
def udate(value: dt.date | dt.datetime | None, style: str = "") -> str:
    """A date in the user's calendar: {{ obj.start_date|udate }} or |udate:"long"."""
    return format_date(value, long=style == "long")


@register.filter
def udatetime(value: dt.datetime | None, style: str = "") -> str:
    return format_datetime(value, long=style == "long")


@register.filter
def unum(value: Any, places: Any = None) -> str:
    if value in (None, ""):
        return ""
    return format_number(value, None if places in (None, "") else int(places))


@register.filter
def digits(value: Any) -> str:
    """Persian digits in fa for any text with numbers (counts, codes shown as text)."""
    return localize_digits(str(value), get_language())


@register.simple_tag
def user_calendar() -> str:
    return get_calendar()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def query_with(context: Any, **params: Any) -> str:
    """The current query string with some parameters replaced (pagination, sorting)."""
    query = context["request"].GET.copy()
    for key, value in params.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def calendar_other(value: dt.date) -> str:
    """The same day in the other calendar, for a second line under a date."""
    from crm.core.i18n.calendars import GREGORIAN, JALALI, calendar_override

    other = GREGORIAN if get_calendar() == JALALI else JALALI
    with calendar_override(other):
        return format_date(value, long=True)


@register.filter
def choice_label(definition: Any, value: str) -> str:
    return definition.choice_label(value)


@register.simple_tag
def custom_display(definition: Any, obj: Any) -> str:
    from crm.core.customfields.selectors import custom_value_display

    return custom_value_display(definition, (getattr(obj, "custom", None) or {}).get(definition.key))


@register.filter
def audit_label(action: str) -> str:
    from crm.core.audit.labels import audit_action_label

    return audit_action_label(action)


# keys that services put in audit changes beside model fields (who a task went to, a note…)
CHANGE_KEYS = {
    "to": gettext_lazy("referred to"),
    "note": gettext_lazy("note"),
    "response": gettext_lazy("response"),
    "version": gettext_lazy("version"),
    "grants": gettext_lazy("access"),
    "name": gettext_lazy("name"),
    "body": gettext_lazy("text"),
}


@register.filter
def field_label(name: str, entry: Any) -> str:
    """The verbose name of a changed field in an audit entry ('national_id' → 'National ID')."""
    model = entry.target_type.model_class() if getattr(entry, "target_type_id", None) else None
    if model is None:
        return name
    if name.startswith("custom."):
        from crm.core.customfields.selectors import custom_field_definitions

        key = name.removeprefix("custom.")
        for definition in custom_field_definitions(model=model, active_only=False):
            if definition.key == key:
                return definition.label
        return key
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return str(field.verbose_name)
    try:  # nested lists kept in the same diff: phones, emails, categories…
        related = model._meta.get_field(name)
    except Exception:
        return str(CHANGE_KEYS.get(name, name))
    target = getattr(related, "related_model", None)
    if getattr(related, "verbose_name", None) and not getattr(related, "auto_created", False):
        return str(related.verbose_name)
    return str(target._meta.verbose_name_plural) if target else name


@register.simple_tag
def audit_value(entry: Any, name: str, value: Any) -> str:
    """A changed value as people read it: choice labels, yes/no, dates in the user's
    calendar, the name of a linked record — not the stored code, id or ISO string."""
    if value is None or value == "":
        return "—"
    model = entry.target_type.model_class() if getattr(entry, "target_type_id", None) else None
    field = None
    if model is not None:
        field = next((f for f in model._meta.concrete_fields if name in (f.name, f.attname)), None)
    if field is None:
        return digits(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return str(_("yes") if value in (True, "True", "true", 1) else _("no"))
    if isinstance(field, (models.DateTimeField, models.DateField)) and isinstance(value, str):
        moment = parse_datetime(value) if isinstance(field, models.DateTimeField) else None
        day = parse_date(value) if moment is None else None
        if moment is not None:
            return udatetime(moment)
        if day is not None:
            return udate(day)
        return value
    if field.is_relation and field.related_model is not None and str(value).isdigit():
        related = field.related_model._base_manager.filter(pk=value).first()
        return str(related) if related is not None else digits(f"#{value}")
    return digits(value)
