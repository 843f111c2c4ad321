"""Showing dates, times and numbers in the user's calendar, language and digits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language

from crm.core.i18n.calendars import JALALI, JALALI_MONTHS, get_calendar, to_jalali
from crm.core.i18n.digits import localize_digits


def _lang() -> str:
    return (get_language() or "en")[:2]


def format_date(day: dt.date | None, *, long: bool = False) -> str:
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    if get_calendar() == JALALI:
        j = to_jalali(day)
        text = f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}" if long else f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    else:
        text = formats.date_format(day, "DATE_FORMAT" if long else "SHORT_DATE_FORMAT")
    return localize_digits(text, _lang())


def format_datetime(moment: dt.datetime | None, *, long: bool = False) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{format_date(local.date(), long=long)} {localize_digits(local.strftime('%H:%M'), _lang())}"


def format_number(value: Decimal | int | float | None, places: int | None = None) -> str:
    if value is None:
        return ""
    number = Decimal(str(value))
    if places is None:
        places = 0 if number == number.to_integral_value() else 2
    text = f"{number:,.{places}f}"
    if _lang() == "fa":
        return localize_digits(text.replace(",", "٬").replace(".", "٫"), "fa")
    if _lang() == "uk":
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


def format_date_value(value: str) -> str:
    parsed = parse_date(value)
    return format_date(parsed) if parsed else value


def format_datetime_value(value: str) -> str:
    parsed = parse_datetime(value)
    return format_datetime(parsed) if parsed else value


def list_separator() -> str:
    return "، " if _lang() == "fa" else ", "


def input_date_value(day: dt.date | None) -> str:
    """The text a date input shows: Jalali YYYY/MM/DD or ISO, always with Latin digits."""
    if day is None:
        return ""
    if get_calendar() == JALALI:
        j = to_jalali(day)
        return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    return day.isoformat()
