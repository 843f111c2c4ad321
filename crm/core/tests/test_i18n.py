"""Languages, calendars and digits (PL-2, ID-5): parsing what people type, showing dates
and numbers their way, search normal form, and the per-user middleware."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from crm.core.i18n.calendars import GREGORIAN, JALALI, calendar_override, parse_user_date
from crm.core.i18n.digits import to_latin_digits, to_persian_digits
from crm.core.i18n.formatting import format_date, format_number, input_date_value
from crm.core.i18n.forms import UserDateField
from crm.core.i18n.search import normalize_compact, normalize_search

NOWRUZ_1405 = dt.date(2026, 3, 21)


# --- parsing dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "calendar", "expected"),
    [
        ("۱۴۰۵/۰۱/۰۱", JALALI, NOWRUZ_1405),  # Persian digits
        ("١٤٠٥/٠١/٠١", JALALI, NOWRUZ_1405),  # Arabic-Indic digits
        ("1405-1-1", JALALI, NOWRUZ_1405),
        ("01/01/1405", JALALI, NOWRUZ_1405),  # day first
        ("1405/01/01", GREGORIAN, NOWRUZ_1405),  # a year below 1700 is Jalali in any calendar
        ("2026-03-21", JALALI, NOWRUZ_1405),  # ISO works in any calendar
        ("2026-03-21", GREGORIAN, NOWRUZ_1405),
        ("1403/12/30", JALALI, dt.date(2025, 3, 20)),  # 1403 is a leap year
    ],
)
def test_dates_typed_in_either_calendar_and_any_digits(typed, calendar, expected):
    assert parse_user_date(typed, calendar) == expected


@pytest.mark.parametrize(
    "typed",
    ["1405/13/01", "1405/00/10", "1405/01/32", "1404/12/30", "1404/12/31", "2026-02-30", "2026/13/01", "yesterday", ""],
)
def test_impossible_dates_are_none(typed):
    # 1404 is not a leap year in jdatetime: Esfand has 29 days
    assert parse_user_date(typed, JALALI) is None


def test_the_active_calendar_is_used_when_none_is_given():
    with calendar_override(JALALI):
        assert parse_user_date("۱۴۰۵/۰۱/۰۱") == NOWRUZ_1405


def test_date_form_field_accepts_persian_digits_and_refuses_nonsense():
    field = UserDateField()
    assert field.clean("۱۴۰۵/۰۱/۰۱") == NOWRUZ_1405
    with pytest.raises(Exception, match="valid date"):
        field.clean("1405/13/01")


# --- showing dates and numbers -------------------------------------------------------------


def test_format_date_in_persian_and_jalali_uses_persian_digits():
    with translation.override("fa"), calendar_override(JALALI):
        assert format_date(NOWRUZ_1405) == "۱۴۰۵/۰۱/۰۱"


def test_format_date_in_english_and_jalali_keeps_latin_digits():
    with translation.override("en"), calendar_override(JALALI):
        assert format_date(NOWRUZ_1405) == "1405/01/01"
        assert format_date(NOWRUZ_1405, long=True) == "1 Farvardin 1405"


def test_format_date_in_gregorian_is_gregorian():
    with translation.override("en"), calendar_override(GREGORIAN):
        assert "2026" in format_date(NOWRUZ_1405)
        assert "1405" not in format_date(NOWRUZ_1405)


def test_date_inputs_always_use_latin_digits():
    with translation.override("fa"), calendar_override(JALALI):
        assert input_date_value(NOWRUZ_1405) == "1405/01/01"
    with calendar_override(GREGORIAN):
        assert input_date_value(NOWRUZ_1405) == "2026-03-21"


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("fa", Decimal("1234567.5"), "۱٬۲۳۴٬۵۶۷٫۵۰"),
        ("fa", 1234, "۱٬۲۳۴"),
        ("en", Decimal("1234567.5"), "1,234,567.50"),
        ("uk", Decimal("1234567.5"), "1\u00a0234\u00a0567,50"),
    ],
)
def test_format_number_uses_the_separators_of_the_language(language, value, expected):
    with translation.override(language):
        assert format_number(value) == expected


def test_digit_conversion_both_ways():
    assert to_latin_digits("۰۱۲۳۴۵۶۷۸۹ ٠١٢٣٤٥٦٧٨٩") == "0123456789 0123456789"
    assert to_persian_digits("2026") == "۲۰۲۶"


# --- search normal form ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("كاظم", "کاظم"),  # Arabic kaf
        ("نیک\u200cنام", "نیک نام"),  # ZWNJ counts as a space
        ("۰۹۱۲ ١٢٣", "0912 123"),  # both digit sets
        ("مُحَمَّد", "محمد"),  # diacritics
        ("  Olena   Petrenko ", "olena petrenko"),
    ],
)
def test_normalize_search(typed, normal):
    assert normalize_search(typed) == normal


def test_compact_form_joins_every_spelling_of_a_compound_name():
    spellings = ["نیک نام", "نیک\u200cنام", "نيكنام"]
    assert {normalize_compact(s) for s in spellings} == {"نیکنام"}


# --- per-user middleware -----------------------------------------------------------------------


def make_user(username: str, **prefs: str):
    return get_user_model().objects.create_user(username=username, password="x", **prefs)


@pytest.mark.django_db
class TestUserLocale:
    def dashboard(self, client, user):
        client.force_login(user)
        response = client.get(reverse("dashboard"))
        assert response.status_code == 200
        return response

    def test_persian_user_without_a_calendar_gets_jalali_and_rtl(self, client):
        response = self.dashboard(client, make_user("parisa", language="fa"))

        assert response.context["crm_calendar"] == JALALI
        html = response.content.decode()
        assert '<html lang="fa" dir="rtl" data-calendar="jalali">' in html
        assert response["Content-Language"] == "fa"

    def test_persian_user_who_chose_gregorian_gets_gregorian(self, client):
        response = self.dashboard(client, make_user("reza", language="fa", calendar=GREGORIAN))

        assert response.context["crm_calendar"] == GREGORIAN
        assert '<html lang="fa" dir="rtl" data-calendar="gregorian">' in response.content.decode()

    def test_english_user_gets_ltr_and_gregorian(self, client):
        response = self.dashboard(client, make_user("james", language="en"))

        assert response.context["crm_calendar"] == GREGORIAN
        assert '<html lang="en" dir="ltr" data-calendar="gregorian">' in response.content.decode()

    def test_english_user_may_choose_jalali(self, client):
        response = self.dashboard(client, make_user("jane", language="en", calendar=JALALI))

        assert response.context["crm_calendar"] == JALALI
        assert '<html lang="en" dir="ltr"' in response.content.decode()

    def test_the_user_preference_beats_the_browser(self, client):
        client.force_login(make_user("olena", language="uk"))
        response = client.get(reverse("dashboard"), headers={"accept-language": "fa"})
        assert '<html lang="uk" dir="ltr"' in response.content.decode()

    def test_a_visitor_gets_the_browser_language(self, client):
        response = client.get(reverse("login"), headers={"accept-language": "fa"})
        assert '<html lang="fa" dir="rtl" data-calendar="jalali">' in response.content.decode()
