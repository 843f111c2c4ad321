"""The user's calendar (PL-2): Jalali or Gregorian, independent of the language.

The active calendar lives in a context variable set per request by the middleware,
like Django's active language, so template filters and form widgets can read it.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import jdatetime
from django.utils.translation import pgettext_lazy

from crm.core.i18n.digits import to_latin_digits

JALALI = "jalali"
GREGORIAN = "gregorian"
CALENDARS = (JALALI, GREGORIAN)

_active: contextvars.ContextVar[str] = contextvars.ContextVar("crm_calendar", default=GREGORIAN)


def default_calendar_for(language: str | None) -> str:
    return JALALI if (language or "")[:2] == "fa" else GREGORIAN


def activate_calendar(calendar: str) -> contextvars.Token[str]:
    return _active.set(calendar if calendar in CALENDARS else GREGORIAN)


def get_calendar() -> str:
    return _active.get()


@contextmanager
def calendar_override(calendar: str) -> Iterator[None]:
    token = activate_calendar(calendar)
    try:
        yield
    finally:
        _active.reset(token)


def to_jalali(day: dt.date) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=day)


def from_jalali(year: int, month: int, day: int) -> dt.date:
    return jdatetime.date(year, month, day).togregorian()


_DATE_RE = re.compile(r"^\s*(\d{1,4})[/\-.](\d{1,2})[/\-.](\d{1,4})\s*$")


def parse_user_date(text: str, calendar: str | None = None) -> dt.date | None:
    """A date typed by a person in their calendar: 1405/09/01, ۱۴۰۵/۰۹/۰۱, 2026-11-22.

    Years below 1700 are Jalali whatever the calendar is, so an ISO date always works.
    Returns None for anything that is not a real date.
    """
    match = _DATE_RE.match(to_latin_digits(text or ""))
    if not match:
        return None
    a, b, c = (int(g) for g in match.groups())
    year, month, day = (a, b, c) if a > 31 else (c, b, a)
    cal = calendar or get_calendar()
    try:
        if year < 1700 or (cal == JALALI and year < 1700):
            return from_jalali(year, month, day)
        return dt.date(year, month, day)
    except ValueError:
        return None


JALALI_MONTHS = [
    pgettext_lazy("jalali month", "Farvardin"),
    pgettext_lazy("jalali month", "Ordibehesht"),
    pgettext_lazy("jalali month", "Khordad"),
    pgettext_lazy("jalali month", "Tir"),
    pgettext_lazy("jalali month", "Mordad"),
    pgettext_lazy("jalali month", "Shahrivar"),
    pgettext_lazy("jalali month", "Mehr"),
    pgettext_lazy("jalali month", "Aban"),
    pgettext_lazy("jalali month", "Azar"),
    pgettext_lazy("jalali month", "Dey"),
    pgettext_lazy("jalali month", "Bahman"),
    pgettext_lazy("jalali month", "Esfand"),
]
