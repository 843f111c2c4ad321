"""Lists (PL-8): CSV/XLSX exports cannot smuggle spreadsheet formulas and keep Persian
text; saved filters are private unless shared, and sharing needs its own right."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm.core.errors import PermissionDeniedError
from crm.core.lists.export import export_csv, export_xlsx, neutralise
from crm.core.lists.models import SavedFilter
from crm.core.lists.selectors import saved_filter_get_for, saved_filters_for
from crm.core.lists.services import clean_query, saved_filter_create, saved_filter_delete

DANGEROUS = ["=1+2", "+989121234567", "-x", "@SUM(A1)", '=HYPERLINK("http://evil")', "\tcmd", "＝1+2"]
PERSIAN = "مریم رضایی، تهران"
COLUMNS = [("Name", lambda row: row["name"]), ("Amount", lambda row: row["amount"])]


def rows() -> list[dict]:
    return [{"name": text, "amount": 1} for text in [*DANGEROUS, PERSIAN]] + [
        {"name": "plain", "amount": Decimal("-12.50")},
        {"name": None, "amount": dt.date(2026, 3, 21)},
    ]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_triggers_get_a_leading_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", PERSIAN, "12-3", "a=b", 42, None])
def test_harmless_values_are_unchanged(value):
    assert neutralise(value) == value


def test_csv_export_neutralises_formulas_and_keeps_persian():
    # when a list is exported as CSV
    response = export_csv(rows=rows(), columns=COLUMNS, filename="people")
    body = b"".join(response.streaming_content).decode("utf-8")

    # then it opens in Excel as UTF-8 and is an attachment
    assert body.startswith("\ufeff")
    assert response["Content-Disposition"] == 'attachment; filename="people.csv"'
    names = [row[0] for row in csv.reader(io.StringIO(body.lstrip("\ufeff")))]
    # and no cell starts a formula, while Persian text and real numbers stay as they were
    assert names[0] == "Name"
    assert names[1 : 1 + len(DANGEROUS)] == ["'" + value for value in DANGEROUS]
    assert PERSIAN in names
    assert "-12.50" in body  # a number is data, not a formula
    assert names[-1] == ""


def test_xlsx_export_neutralises_formulas_and_keeps_persian():
    response = export_xlsx(rows=rows(), columns=COLUMNS, filename="people", rtl=True)

    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert cells[: len(DANGEROUS)] == ["'" + value for value in DANGEROUS]
    assert PERSIAN in cells
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.sheet_view.rightToLeft is True
    assert sheet.cell(row=len(DANGEROUS) + 3, column=2).value == -12.5  # numbers stay numbers


# --- saved filters ---------------------------------------------------------------------------


def test_clean_query_drops_paging_and_export_flags():
    assert clean_query("?q=ali&page=3&export=csv&status=open&cursor=abc") == "q=ali&status=open"


@pytest.mark.django_db
class TestSavedFilters:
    def test_private_filter_is_invisible_to_others(self, bob, charlie):
        # given bob saved a private filter
        saved = saved_filter_create(actor=bob, list_key="employees", name="Mine", query="q=ali&page=2")

        # then he sees it (without the page), charlie does not
        assert list(saved_filters_for(user=bob, list_key="employees")) == [saved]
        assert saved.query == "q=ali"
        assert list(saved_filters_for(user=charlie, list_key="employees")) == []
        assert saved_filter_get_for(user=charlie, pk=saved.pk) is None

    def test_sharing_needs_the_share_right(self, bob):
        # when bob (without core.share_savedfilter) tries to share a filter
        with pytest.raises(PermissionDeniedError):
            saved_filter_create(actor=bob, list_key="employees", name="For all", query="q=x", shared=True)

        # then nothing was saved
        assert not SavedFilter.objects.exists()

    def test_admin_shares_a_filter_everyone_sees(self, alice, bob, charlie):
        shared = saved_filter_create(actor=alice, list_key="employees", name="Team", query="q=x", shared=True)

        for user in (bob, charlie):
            assert list(saved_filters_for(user=user, list_key="employees")) == [shared]
            assert saved_filter_get_for(user=user, pk=shared.pk) == shared
        assert list(saved_filters_for(user=bob, list_key="audit")) == []

    def test_only_the_owner_deletes_a_shared_filter(self, alice, bob):
        shared = saved_filter_create(actor=alice, list_key="employees", name="Team", query="q=x", shared=True)

        with pytest.raises(PermissionDeniedError):
            saved_filter_delete(actor=bob, saved=shared)
        assert SavedFilter.objects.filter(pk=shared.pk).exists()

        saved_filter_delete(actor=alice, saved=shared)
        assert not SavedFilter.objects.filter(pk=shared.pk).exists()

    def test_web_share_attempt_by_bob_saves_nothing(self, client, bob):
        client.force_login(bob)
        response = client.post(
            reverse("saved_filter_create"),
            {"list_key": "employees", "name": "All", "query": "q=x", "shared": "on", "next": "/org/employees/"},
        )
        assert response.status_code == 302
        assert not SavedFilter.objects.exists()
