"""List endpoints: count-free page-number pagination, and a query count that does not grow
with the number of rows (5 rows or 30, the same statements)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crm.core.audit.services import audit_record
from crm.core.customfields.services import custom_field_define
from crm.core.lists.models import SavedFilter
from crm.core.numbering.models import NumberCounter, NumberSequence
from crm.org import services
from crm.org.models import Department, EmployeeCard, Substitution, User
from crm.org.testing import appoint, make_position, make_user
from tests.api.support import Kind, assert_error, make_card, token_client

TODAY = timezone.localdate()


def _cards(alice: User, start: int, n: int) -> None:
    if start == 0:
        custom_field_define(actor=alice, model=EmployeeCard, key="shoe_size", kind=Kind.NUMBER, labels={"en": "S"})
    for i in range(start, start + n):
        make_card(alice, f"First{i:03d}", f"Last{i:03d}", user=make_user(f"card{i}"), custom={"shoe_size": i})


def _departments(alice: User, start: int, n: int) -> None:
    parent = Department.objects.filter(name="Root").first() or services.department_create(actor=alice, name="Root")
    for i in range(start, start + n):
        services.department_create(actor=alice, name=f"Dept {i}", parent=parent)


def _positions(alice: User, start: int, n: int) -> None:
    for i in range(start, start + n):
        position = make_position(f"Post {i}", ["org.view_department", "org.view_position"])
        appoint(make_user(f"holder{i}"), position)


def _appointments(alice: User, start: int, n: int) -> None:
    position = make_position(f"Desk {start}")
    for i in range(start, start + n):
        appoint(make_user(f"appointee{i}"), position)


def _substitutions(alice: User, start: int, n: int) -> None:
    position = make_position(f"Seat {start}")
    for i in range(start, start + n):
        Substitution.objects.create(
            position=position, substitute=make_user(f"deputy{i}"), start_date=TODAY, end_date=TODAY, created_by=alice
        )


def _users(alice: User, start: int, n: int) -> None:
    for i in range(start, start + n):
        make_user(f"user{i}")


def _saved_filters(alice: User, start: int, n: int) -> None:
    for i in range(start, start + n):
        SavedFilter.objects.create(owner=alice, list_key="employees", name=f"Filter {i}", shared=i % 2 == 0)


def _audit(alice: User, start: int, n: int) -> None:
    for i in range(start, start + n):
        audit_record(actor=alice, target=alice, action=f"test.{i}")


def _custom_fields(alice: User, start: int, n: int) -> None:
    for i in range(start, start + n):
        custom_field_define(actor=alice, model=EmployeeCard, key=f"field{i}", kind=Kind.TEXT, labels={"en": f"F{i}"})


def _sequences(alice: User, start: int, n: int) -> None:
    for i in range(start, start + n):
        yearly = i % 2 == 0
        sequence = NumberSequence.objects.create(
            key=f"seq{i}",
            name=f"Sequence {i}",
            prefix="INV-",
            padding=4,
            reset_yearly=yearly,
            year_mode=NumberSequence.YearMode.GREGORIAN if yearly else NumberSequence.YearMode.NONE,
        )
        if i % 3 == 0:
            NumberCounter.objects.create(sequence=sequence, period=str(TODAY.year) if yearly else "", next_value=i)


ROWS: dict[str, Callable[[User, int, int], None]] = {
    "/api/v1/employees/": _cards,
    "/api/v1/departments/": _departments,
    "/api/v1/positions/": _positions,
    "/api/v1/appointments/": _appointments,
    "/api/v1/substitutions/": _substitutions,
    "/api/v1/users/": _users,
    "/api/v1/saved-filters/?list_key=employees": _saved_filters,
    "/api/v1/audit/": _audit,
    "/api/v1/custom-fields/": _custom_fields,
    "/api/v1/numbering/sequences/": _sequences,
}


def _queries_for(client: APIClient, url: str) -> tuple[int, int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json()["results"]), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("url", list(ROWS))
def test_list_queries_do_not_grow_with_rows_and_never_count(alice: User, url: str) -> None:
    client = token_client(alice)
    ROWS[url](alice, 0, 5)
    client.get(url)  # warm the content-type cache
    few, few_rows, _ = _queries_for(client, url)

    ROWS[url](alice, 5, 25)
    many, many_rows, statements = _queries_for(client, url)

    assert many_rows >= few_rows + 25
    assert many == few, "\n".join(statements)
    assert many <= 8, "\n".join(statements)
    assert not [sql for sql in statements if "COUNT(" in sql.upper()]


def test_bobs_card_list_is_as_cheap(alice: User, bob: User) -> None:
    """A limited user adds the rights lookups, once per request, not per row."""
    client = token_client(bob)
    for i in range(30):
        make_card(bob if i % 2 else alice, f"F{i}", f"L{i}")
    client.get("/api/v1/employees/")

    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/employees/")

    assert len(response.json()["results"]) == 15
    assert len(ctx.captured_queries) <= 10, "\n".join(q["sql"] for q in ctx.captured_queries)
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]


def _page(link: str | None) -> list[str] | None:
    return None if link is None else parse_qs(urlsplit(link).query).get("page", ["1"])


def test_page_and_page_size_with_next_and_previous_links(alice_api: APIClient, alice: User) -> None:
    for i in range(7):
        make_card(alice, f"First{i}", f"Last{i}")
    url = "/api/v1/employees/?page_size=3"

    first = alice_api.get(url).json()
    second = alice_api.get(url + "&page=2").json()
    last = alice_api.get(url + "&page=3").json()

    assert [r["first_name"] for r in first["results"]] == ["First0", "First1", "First2"]
    assert (_page(first["previous"]), _page(first["next"])) == (None, ["2"])
    assert [r["first_name"] for r in second["results"]] == ["First3", "First4", "First5"]
    assert (_page(second["previous"]), _page(second["next"])) == (["1"], ["3"])
    assert "page_size=3" in second["next"]
    assert "page=" not in second["previous"]
    assert [r["first_name"] for r in last["results"]] == ["First6"]
    assert (_page(last["previous"]), last["next"]) == (["2"], None)


def test_an_empty_first_page_is_fine(alice_api: APIClient) -> None:
    assert alice_api.get("/api/v1/employees/").json() == {"next": None, "previous": None, "results": []}


@pytest.mark.parametrize("page", ["4", "0", "-1", "abc", "1.5", "١", str(10**6 + 1), str(10**30)])
def test_a_page_out_of_range_is_404_in_the_error_shape(alice_api: APIClient, alice: User, page: str) -> None:
    for i in range(7):
        make_card(alice, f"First{i}", f"Last{i}")

    assert_error(alice_api.get(f"/api/v1/employees/?page_size=3&page={page}"), 404, "not_found")


@pytest.mark.parametrize("size", ["0", "201", "-5", "many", ""])
def test_a_bad_page_size_is_400_naming_it(alice_api: APIClient, size: str) -> None:
    error = assert_error(alice_api.get(f"/api/v1/employees/?page_size={size}"), 400, "validation_error")

    assert list(error["fields"]) == ["page_size"]


def test_page_size_allows_up_to_200(alice_api: APIClient, alice: User) -> None:
    assert alice_api.get("/api/v1/employees/?page_size=200").status_code == 200


def test_sequence_list_shows_the_next_number(alice_api: APIClient, alice: User) -> None:
    _sequences(alice, 0, 4)

    results = alice_api.get("/api/v1/numbering/sequences/").json()["results"]
    rows = {r["key"]: r["next_number"] for r in results if r["key"].startswith("seq")}  # migrations add others

    # seq0 and seq2 restart yearly (this year's counter is read), seq1 never started (start = 1)
    assert rows == {"seq0": "INV-0000", "seq1": "INV-0001", "seq2": "INV-0001", "seq3": "INV-0003"}


def test_departments_list_in_tree_order(alice_api: APIClient, alice: User) -> None:
    root = services.department_create(actor=alice, name="Root")
    services.department_create(actor=alice, name="Zeta", parent=root)
    services.department_create(actor=alice, name="Alpha")

    names = [r["name"] for r in alice_api.get("/api/v1/departments/").json()["results"]]

    assert names == ["Root", "Zeta", "Alpha"]


def test_sequences_with_dates(alice: User) -> None:
    """The bulk preview and the single one agree, on any day."""
    from crm.core.numbering.services import sequence_preview, sequence_previews

    _sequences(alice, 0, 6)
    sequences = list(NumberSequence.objects.all())
    for day in (TODAY, dt.date(2020, 1, 1)):
        assert sequence_previews(sequences=sequences, on=day) == {
            s.pk: sequence_preview(sequence=s, on=day) for s in sequences
        }
