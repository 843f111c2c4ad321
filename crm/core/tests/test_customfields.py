"""Custom fields (PL-3): every kind validates and normalises its values, required and
unknown keys are enforced, typed filter/sort works on both databases (numbers sort as
numbers), PostgreSQL gets an expression index, and forms respect field access.

The employee card of the organisation context is the opted-in model under test; it is
looked up through the app registry because core must not import a context."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from crm.core.customfields import registry
from crm.core.customfields.forms import add_custom_fields, custom_data_from_form
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.selectors import custom_field_definitions, custom_filter, custom_order
from crm.core.customfields.services import custom_field_define, custom_field_update, custom_values_apply
from crm.core.customfields.values import ValueError_, clean_value, clean_values
from crm.core.errors import CoreError, CoreErrorCode
from crm.core.tests.support import POSTGRES_ONLY

Kind = CustomFieldDefinition.Kind
CHOICES = [{"value": "gold", "labels": {"en": "Gold"}}, {"value": "silver", "labels": {"en": "Silver"}}]


def card_model():
    return apps.get_model("org", "EmployeeCard")


def definition(kind: str, key: str = "field", **extra: object) -> CustomFieldDefinition:
    """An unsaved definition: enough for the pure validation functions."""
    return CustomFieldDefinition(key=key, kind=kind, labels={"en": key}, **extra)


def accepted(kind: str, value: object, **extra: object) -> object:
    return clean_value(definition(kind, **extra), value)


def refused(kind: str, value: object, **extra: object) -> str:
    with pytest.raises(ValueError_) as error:
        clean_value(definition(kind, **extra), value)
    return str(error.value)


# --- validation per kind (pure functions, no database) ---------------------------------


class TestText:
    def test_text_is_trimmed_and_limited_to_255(self):
        assert accepted(Kind.TEXT, "  Tehran  ") == "Tehran"
        assert accepted(Kind.TEXT, "x" * 255) == "x" * 255
        assert "255" in refused(Kind.TEXT, "x" * 256)

    def test_long_text_allows_10000(self):
        assert accepted(Kind.LONG_TEXT, "y" * 10000) == "y" * 10000
        refused(Kind.LONG_TEXT, "y" * 10001)


class TestNumber:
    @pytest.mark.parametrize(
        ("raw", "stored"),
        [("۱۲۳", 123), ("١٢٣", 123), ("1,234", 1234), ("۱٬۲۳۴٫۵", 1234.5), (7, 7), ("-3.25", -3.25), ("10.0", 10)],
    )
    def test_numbers_in_any_digits_become_json_numbers(self, raw, stored):
        assert accepted(Kind.NUMBER, raw) == stored

    @pytest.mark.parametrize("raw", ["abc", "12abc", True, "NaN", "Infinity", "1e18", ""])
    def test_non_numbers_are_refused(self, raw):
        refused(Kind.NUMBER, raw)

    def test_money_is_a_decimal_string_with_two_places(self):
        assert accepted(Kind.MONEY, "۱۲٬۳۴۵٫۶۷۸") == "12345.68"
        assert accepted(Kind.MONEY, 10) == "10.00"
        assert accepted(Kind.MONEY, Decimal("0.005")) == "0.00"  # banker's rounding of the half cent
        refused(Kind.MONEY, "ten")


class TestDates:
    def test_iso_date_is_stored_as_iso(self):
        assert accepted(Kind.DATE, "2026-03-21") == "2026-03-21"
        assert accepted(Kind.DATE, "۲۰۲۶-۰۳-۲۱") == "2026-03-21"

    @pytest.mark.parametrize("raw", ["2026-02-30", "2026-13-01", "21/03/2026", "tomorrow"])
    def test_invalid_dates_are_refused(self, raw):
        assert refused(Kind.DATE, raw) == "Enter a valid date."

    def test_datetime_with_offset_is_stored_in_utc(self):
        assert accepted(Kind.DATETIME, "2026-03-21T10:00:00+03:30") == "2026-03-21T06:30:00Z"
        assert accepted(Kind.DATETIME, "2026-03-21T06:30:00Z") == "2026-03-21T06:30:00Z"

    @pytest.mark.parametrize("raw", ["2026-03-21T10:00:00", "2026-03-21", "soon"])
    def test_datetime_without_a_time_zone_is_refused(self, raw):
        assert "time zone" in refused(Kind.DATETIME, raw)


class TestChoices:
    def test_choice_must_be_listed(self):
        assert accepted(Kind.CHOICE, "gold", choices=CHOICES) == "gold"
        refused(Kind.CHOICE, "bronze", choices=CHOICES)

    def test_multi_choice_members_must_be_listed_and_are_deduplicated(self):
        assert accepted(Kind.MULTI_CHOICE, ["silver", "gold", "gold"], choices=CHOICES) == ["gold", "silver"]
        assert accepted(Kind.MULTI_CHOICE, "gold", choices=CHOICES) == ["gold"]
        refused(Kind.MULTI_CHOICE, ["gold", "bronze"], choices=CHOICES)

    @pytest.mark.parametrize(
        ("raw", "stored"), [(True, True), ("on", True), ("1", True), (False, False), ("no", False)]
    )
    def test_checkbox_reads_the_usual_spellings(self, raw, stored):
        assert accepted(Kind.CHECKBOX, raw) is stored

    def test_checkbox_refuses_anything_else(self):
        refused(Kind.CHECKBOX, "maybe")


class TestFiles:
    def test_a_storage_name_is_accepted(self):
        assert accepted(Kind.FILE, "custom/2026/03/abc.pdf") == "custom/2026/03/abc.pdf"

    @pytest.mark.parametrize("raw", ["../../etc/passwd", "/etc/passwd", "custom/../../secret.pdf"])
    def test_paths_leaving_the_storage_are_refused(self, raw):
        refused(Kind.FILE, raw)


@pytest.mark.django_db
class TestLinks:
    def test_link_to_an_existing_user_is_stored_as_its_id(self, alice):
        assert accepted(Kind.LINK_USER, str(alice.pk)) == alice.pk

    def test_link_to_a_missing_user_is_refused(self, alice):
        refused(Kind.LINK_USER, alice.pk + 1000)
        refused(Kind.LINK_USER, "not-an-id")

    def test_link_kind_without_a_resolver_is_refused(self, monkeypatch):
        # given no context has registered what an "identity" is
        monkeypatch.delitem(registry._link_resolvers, "identity", raising=False)
        # then no identity id can be valid
        assert refused(Kind.LINK_IDENTITY, 1) == "Choose a valid record."


# --- a set of values --------------------------------------------------------------------


class TestCleanValues:
    defs = [definition(Kind.TEXT, "name", required=True), definition(Kind.NUMBER, "age")]

    def test_required_field_missing_is_an_error(self):
        _values, errors = clean_values(self.defs, {"age": 3})
        assert errors == {"name": "This field is required."}

    def test_required_field_emptied_is_an_error_even_in_a_partial_update(self):
        _values, errors = clean_values(self.defs, {"name": ""}, existing={"name": "Ali"}, partial=True)
        assert errors == {"name": "This field is required."}

    def test_partial_update_keeps_other_values(self):
        values, errors = clean_values(self.defs, {"age": "۴۲"}, existing={"name": "Ali"}, partial=True)
        assert errors == {}
        assert values == {"name": "Ali", "age": 42}

    def test_unknown_keys_are_refused(self):
        _values, errors = clean_values(self.defs, {"name": "Ali", "shoe_size": 44})
        assert errors == {"shoe_size": "Unknown field."}

    def test_an_empty_optional_value_removes_the_key(self):
        values, errors = clean_values(self.defs, {"name": "Ali", "age": ""}, existing={"name": "Ali", "age": 3})
        assert errors == {}
        assert values == {"name": "Ali"}


# --- definitions and values on a real model --------------------------------------------


@pytest.fixture
def score(alice):
    return custom_field_define(actor=alice, model=card_model(), key="score", labels={"en": "Score"}, kind=Kind.NUMBER)


@pytest.fixture
def cards(alice, score):
    """Cards with scores 10, 2, 1.5 and one without; a text and a multi-choice field too."""
    model = card_model()
    custom_field_define(actor=alice, model=model, key="city", labels={"en": "City"}, kind=Kind.TEXT)
    custom_field_define(
        actor=alice, model=model, key="tags", labels={"en": "Tags"}, kind=Kind.MULTI_CHOICE, choices=CHOICES
    )
    custom_field_define(actor=alice, model=model, key="since", labels={"en": "Since"}, kind=Kind.DATE)
    data = {
        "ten": {"score": 10, "city": "Tehran", "tags": ["gold"], "since": "2026-03-21"},
        "two": {"score": 2, "city": "Shiraz", "tags": ["gold", "silver"], "since": "2025-12-01"},
        "one_and_half": {"score": 1.5, "city": "Tabriz", "tags": ["silver"], "since": "2026-01-15"},
        "none": {"city": "Kyiv"},
    }
    made = {}
    for name, custom in data.items():
        card = model(first_name=name, last_name="Test", created_by=alice)
        custom_values_apply(obj=card, data=custom)
        card.save()
        made[name] = card
    return made


def names(qs) -> list[str]:
    return [card.first_name for card in qs]


@pytest.mark.django_db
class TestDefinitions:
    def test_a_model_that_did_not_opt_in_is_refused(self, alice):
        with pytest.raises(CoreError) as error:
            custom_field_define(actor=alice, model=get_user_model(), key="x", labels={}, kind=Kind.TEXT)
        assert error.value.code == CoreErrorCode.INVALID_CUSTOM_VALUE

    def test_a_key_must_be_a_lower_case_identifier(self, alice):
        with pytest.raises(ValidationError):
            custom_field_define(actor=alice, model=card_model(), key="Bad-Key", labels={}, kind=Kind.TEXT)

    def test_key_and_kind_cannot_change_after_definition(self, alice, score):
        custom_field_update(actor=alice, definition=score, key="renamed", kind=Kind.TEXT, labels={"en": "Points"})
        score.refresh_from_db()
        assert (score.key, score.kind, score.labels) == ("score", Kind.NUMBER, {"en": "Points"})

    def test_inactive_definitions_are_not_offered(self, alice, score):
        custom_field_update(actor=alice, definition=score, active=False)
        assert custom_field_definitions(model=card_model()) == []

    def test_invalid_values_leave_the_record_untouched(self, cards):
        card = cards["ten"]
        before = dict(card.custom)
        with pytest.raises(CoreError) as error:
            custom_values_apply(obj=card, data={"score": "lots", "nope": 1}, partial=True)
        assert error.value.code == CoreErrorCode.INVALID_CUSTOM_VALUE
        assert set(error.value.fields) == {"score", "nope"}
        assert card.custom == before

    def test_writable_limits_which_keys_may_change(self, cards):
        with pytest.raises(CoreError) as error:
            custom_values_apply(obj=cards["ten"], data={"score": 3}, partial=True, writable={"city"})
        assert error.value.code == CoreErrorCode.FIELD_READ_ONLY


@pytest.mark.django_db
class TestFilterAndOrder:
    """Runs on SQLite and on PostgreSQL: the same results from both."""

    def defn(self, key: str) -> CustomFieldDefinition:
        return next(d for d in custom_field_definitions(model=card_model()) if d.key == key)

    def all_cards(self):
        return card_model().objects.all()

    def test_numbers_sort_numerically_ascending(self, cards):
        ordered = custom_order(self.all_cards(), definition=self.defn("score"))
        assert names(ordered) == ["one_and_half", "two", "ten", "none"]  # 1.5 < 2 < 10, empty last

    def test_numbers_sort_numerically_descending(self, cards):
        ordered = custom_order(self.all_cards(), definition=self.defn("score"), descending=True)
        assert names(ordered) == ["ten", "two", "one_and_half", "none"]

    def test_text_sorts_alphabetically(self, cards):
        ordered = custom_order(self.all_cards(), definition=self.defn("city"))
        assert names(ordered) == ["none", "two", "one_and_half", "ten"]  # Kyiv, Shiraz, Tabriz, Tehran

    @pytest.mark.parametrize(
        ("op", "value", "expected"),
        [
            ("eq", 10, {"ten"}),
            ("eq", "۲", {"two"}),
            ("gt", 2, {"ten"}),  # numerically: "10" > "2" would be false as text
            ("gte", 2, {"ten", "two"}),
            ("lt", 10, {"two", "one_and_half"}),
            ("lte", "1.5", {"one_and_half"}),
            ("isnull", True, {"none"}),
        ],
    )
    def test_number_filters(self, cards, op, value, expected):
        if op == "eq" and value == "۲":
            value = clean_value(self.defn("score"), value)  # views clean input with the field first
        found = custom_filter(self.all_cards(), definition=self.defn("score"), op=op, value=value)
        assert set(names(found)) == expected

    def test_text_equals_and_contains(self, cards):
        city = self.defn("city")
        assert names(custom_filter(self.all_cards(), definition=city, op="eq", value="Shiraz")) == ["two"]
        assert set(names(custom_filter(self.all_cards(), definition=city, op="contains", value="ta"))) == {
            "one_and_half"
        }
        assert set(names(custom_filter(self.all_cards(), definition=city, op="contains", value="T"))) == {
            "ten",
            "one_and_half",
        }

    def test_dates_compare_and_sort_in_time_order(self, cards):
        since = self.defn("since")
        assert set(names(custom_filter(self.all_cards(), definition=since, op="gt", value="2026-01-01"))) == {
            "ten",
            "one_and_half",
        }
        assert names(custom_filter(self.all_cards(), definition=since, op="lte", value="2025-12-01")) == ["two"]
        assert names(custom_filter(self.all_cards(), definition=since, op="eq", value="2026-01-15")) == ["one_and_half"]
        assert names(custom_order(self.all_cards(), definition=since)) == ["two", "one_and_half", "ten", "none"]

    def test_multi_choice_has(self, cards):
        tags = self.defn("tags")
        assert set(names(custom_filter(self.all_cards(), definition=tags, op="has", value="gold"))) == {"ten", "two"}
        assert set(names(custom_filter(self.all_cards(), definition=tags, op="has", value="silver"))) == {
            "two",
            "one_and_half",
        }
        assert names(custom_filter(self.all_cards(), definition=tags, op="has", value="bronze")) == []


@pytest.mark.django_db
class TestPostgresIndex:
    pytestmark = POSTGRES_ONLY

    def indexes(self) -> dict[str, str]:
        table = card_model()._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
            return dict(cursor.fetchall())

    def test_defining_a_sortable_field_creates_an_expression_index(self, alice, score):
        # given a number field was defined (fixture) and a text field is defined now
        custom_field_define(actor=alice, model=card_model(), key="city", labels={"en": "City"}, kind=Kind.TEXT)

        # then both have an expression index over the JSON key, the number one cast to numeric
        indexes = self.indexes()
        assert "(custom ->> 'score'::text))::numeric" in indexes["cf_org_employeecard_score"]
        assert "(custom ->> 'city'::text)" in indexes["cf_org_employeecard_city"]

    def test_unsortable_kinds_get_no_index(self, alice):
        custom_field_define(
            actor=alice, model=card_model(), key="tags", labels={"en": "Tags"}, kind=Kind.MULTI_CHOICE, choices=CHOICES
        )
        assert "cf_org_employeecard_tags" not in self.indexes()


# --- forms ----------------------------------------------------------------------------


@pytest.mark.django_db
class TestForms:
    @pytest.fixture
    def definitions(self, alice):
        model = card_model()
        for key in ("public", "secret", "readonly"):
            custom_field_define(actor=alice, model=model, key=key, labels={"en": key.title()}, kind=Kind.TEXT)

    def form(self, data=None, values=None):
        form = forms.Form(data)
        access = {"custom.secret": "hidden", "custom.readonly": "view"}
        add_custom_fields(form, model=card_model(), values=values, access=access)
        return form

    def test_hidden_fields_are_left_out_and_view_only_ones_disabled(self, definitions):
        form = self.form(values={"public": "a", "secret": "s", "readonly": "r"})

        assert "cf_secret" not in form.fields
        assert form.fields["cf_public"].disabled is False
        assert form.fields["cf_readonly"].disabled is True
        assert form.fields["cf_readonly"].initial == "r"

    def test_only_editable_values_are_submitted(self, definitions):
        form = self.form(
            data={"cf_public": "new", "cf_readonly": "forged", "cf_secret": "forged"}, values={"readonly": "r"}
        )
        assert form.is_valid(), form.errors

        assert custom_data_from_form(form) == {"public": "new"}
