"""/api/v1/identities/: search, filters, nested writes and the same access rules as the UI.

World (crm.identities.testing): sara (customer C-1001, +989121234567, category Customers),
ali (typed with Arabic ي/ك), niknam (organisation, name with a ZWNJ), hidden (only in the
restricted VIP category), acme (Customers and the restricted Gold), an unknown contact and a
deleted identity. bob holds the identity rights but not the VIP desk; charlie holds nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crm.core.numbering.models import NumberSequence
from crm.core.permissions.models import FieldAccessRule
from crm.identities import services
from crm.identities.models import Identity
from crm.identities.testing import IDENTITY_PERMS, IdentityWorld, build_identity_world
from crm.org.models import Position, User
from crm.org.testing import appoint, make_position, make_user, perms
from tests.api.support import assert_error, token_client

URL = "/api/v1/identities/"


def quick(client: APIClient, text: str) -> list[int]:
    return sorted(hit["id"] for hit in client.get(f"{URL}quick-search/", {"q": text}).json()["results"])


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    return sorted(row["id"] for row in body["results"])


def pks(world: IdentityWorld, *names: str) -> list[int]:
    return sorted(world.identities[name].pk for name in names)


@pytest.fixture
def world(alice: User) -> IdentityWorld:
    return build_identity_world(alice)


@pytest.fixture
def bob_api(bob: User, bob_position: Position) -> APIClient:
    """bob may see, add, change and delete every identity, but not the VIP categories."""
    bob_position.permissions.add(*perms(*IDENTITY_PERMS))
    return token_client(bob)


@pytest.fixture
def dave_api(db: Any) -> APIClient:
    """dave may see and change only the identities he created or is assigned to."""
    dave = make_user("dave", first_name="Dave")
    position = make_position(
        "Junior", ["identities.view_identity", "identities.add_identity", "identities.change_identity"]
    )
    appoint(dave, position)
    return token_client(dave)


# --- reading --------------------------------------------------------------------------------


def test_list_shows_live_identities_newest_first_without_counting(alice_api: APIClient, world: IdentityWorld) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = alice_api.get(URL)

    body = response.json()
    assert [row["id"] for row in body["results"]] == sorted(pks(world, *set(world.identities) - {"gone"}), reverse=True)
    assert body["next"] is None and body["previous"] is None
    assert "count" not in body
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_the_output_shape(alice_api: APIClient, world: IdentityWorld) -> None:
    sara = world.identities["sara"]

    data = alice_api.get(f"{URL}{sara.pk}/").json()

    assert data["public_id"] == str(sara.public_id)
    assert data["kind"] == "person" and data["display_name"] == "Sara Ahmadi"
    assert data["names"] == {"title": "", "first_name": "Sara", "last_name": "Ahmadi", "organisation_name": ""}
    assert data["customer_number"] == "C-1001" and data["is_customer"] is True and data["is_unknown"] is False
    assert data["colour"] == "green" and data["class_code"] == "A" and data["birth_date"] is None
    assert data["categories"] == [{"id": world.categories["open"].pk, "name": "Customers"}]
    assert data["phones"] == [
        {
            "id": data["phones"][0]["id"],
            "kind": "mobile",
            "number": "+989121234567",
            "display": "0912 123 4567",
            "extension": "",
            "is_primary": True,
        }
    ]
    assert [e["address"] for e in data["emails"]] == ["sara@example.com"]
    assert data["addresses"][0]["city"] == "Tehran"
    assert data["custom"] == {"budget": 100, "segment": "retail", "since": "2020-01-05", "newsletter": True}
    assert data["created_at"] and data["updated_at"]


def test_pages_follow_next_links_and_a_page_past_the_end_is_404(alice_api: APIClient, world: IdentityWorld) -> None:
    first = alice_api.get(URL, {"page_size": 4}).json()
    second = alice_api.get(first["next"]).json()

    assert len(first["results"]) == 4 and len(second["results"]) == 2
    assert second["next"] is None and second["previous"]
    assert_error(alice_api.get(URL, {"page_size": 4, "page": 3}), 404)


PHONE_FORMATS = ["+98 912 123 4567", "09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "9121234567", "0098-912-123-4567", "٠٩١٢١٢٣٤٥٦٧"]


def test_search_finds_a_phone_in_any_format(alice_api: APIClient, world: IdentityWorld) -> None:
    for text in PHONE_FORMATS:
        assert ids(alice_api.get(URL, {"search": text})) == pks(world, "sara"), text
        assert quick(alice_api, text) == pks(world, "sara"), text


PERSIAN_SEARCHES = (
    ("علی کریمی", "ali"),  # Persian ی/ک find the Arabic ي/ك it was typed with
    ("كريمي", "ali"),
    ("کریمی", "ali"),
    ("علي", "ali"),
    ("نیک نام", "niknam"),  # space, ZWNJ or nothing between the parts: one name
    ("نیکنام", "niknam"),
    ("نیک\u200cنام", "niknam"),
    ("ahma", "sara"),
    ("SARA", "sara"),
    ("C-1001", "sara"),  # customer number
    ("Sara@Example.com", "sara"),  # email
    ("۰۲۱۸۸۷۷۶۶۵۵", "ali"),  # a landline in Persian digits
)


def test_search_is_persian_aware(alice_api: APIClient, world: IdentityWorld) -> None:
    for text, name in PERSIAN_SEARCHES:
        assert ids(alice_api.get(URL, {"search": text})) == pks(world, name), text
        assert quick(alice_api, text) == pks(world, name), text


FILTERS = (
    ({"kind": "organisation"}, ["niknam", "acme"]),
    ({"category": "open"}, ["sara", "ali", "acme"]),
    ({"category": "vip"}, ["hidden", "acme"]),  # Gold is under VIP
    ({"customer": "true"}, ["sara"]),
    ({"customer": "false"}, ["ali", "niknam", "hidden", "acme", "unknown"]),
    ({"unknown": "true"}, ["unknown"]),
    ({"unknown": "false", "kind": "person"}, ["sara", "ali", "hidden"]),
    ({"city": "Shiraz"}, ["niknam"]),
    ({"class_code": "A"}, ["sara"]),
    ({"colour": "green"}, ["sara"]),
    ({"created_after": "2000-01-01", "created_before": "9999-12-31", "kind": "organisation"}, ["niknam", "acme"]),
    ({"created_before": "2000-01-01"}, []),
    ({"created_after": "9999-12-31"}, []),
    ({"custom.budget__gt": "1000"}, ["ali", "hidden"]),
    ({"custom.budget__lte": "۲۵۰۰"}, ["sara", "ali"]),
    ({"custom.budget": "100"}, ["sara"]),
    ({"custom.segment": "b2b"}, ["hidden"]),
    ({"custom.since__lt": "2021-01-01"}, ["sara"]),
    ({"custom.since__gt": "2021-01-01"}, ["ali"]),
    ({"custom.newsletter": "true"}, ["sara"]),
    ({"custom.nickname": "Ali K"}, ["ali"]),
    ({"custom.budget__gt": "50", "custom.segment": "retail", "search": "sara"}, ["sara"]),
)


def test_filters(alice_api: APIClient, world: IdentityWorld) -> None:
    for params, names in FILTERS:
        category = {"category": str(world.categories[params["category"]].pk)} if "category" in params else {}

        assert ids(alice_api.get(URL, {**params, **category})) == pks(world, *names), params


def test_assigned_to_me_or_a_user_id(alice_api: APIClient, alice: User, bob: User, world: IdentityWorld) -> None:
    services.identity_assign(actor=alice, identity=world.identities["ali"], users=[alice])
    services.identity_assign(actor=alice, identity=world.identities["niknam"], users=[bob])

    assert ids(alice_api.get(URL, {"assigned_to": "me"})) == pks(world, "ali")
    assert ids(alice_api.get(URL, {"assigned_to": str(bob.pk)})) == pks(world, "niknam")
    assert ids(alice_api.get(URL, {"assigned_to": "99999999"})) == []


ORDERINGS = (
    ("name", ["unknown", "acme", "hidden", "sara", "niknam", "ali"]),  # "+98…" first; Arabic ش before ع
    ("-name", ["ali", "niknam", "sara", "hidden", "acme", "unknown"]),
    ("id", ["sara", "ali", "niknam", "hidden", "acme", "unknown"]),
    ("-id", ["unknown", "acme", "hidden", "niknam", "ali", "sara"]),
    ("-created", ["unknown", "acme", "hidden", "niknam", "ali", "sara"]),
)


def test_ordering(alice_api: APIClient, world: IdentityWorld) -> None:
    for ordering, order in ORDERINGS:
        rows = alice_api.get(URL, {"ordering": ordering}).json()["results"]

        assert [row["id"] for row in rows] == [world.identities[name].pk for name in order], ordering


def test_ordering_by_customer_number(alice_api: APIClient, alice: User, world: IdentityWorld) -> None:
    services.customer_number_give(actor=alice, identity=world.identities["acme"], number="C-0500")

    rows = alice_api.get(URL, {"ordering": "customer_number", "customer": "true"}).json()["results"]

    assert [row["customer_number"] for row in rows] == ["C-0500", "C-1001"]


INVALID_FILTERS = (
    {"category": "999999"},
    {"category": "abc"},
    {"category": str(10**30)},
    {"kind": "alien"},
    {"colour": "pink"},
    {"ordering": "secret"},
    {"customer": "perhaps"},
    {"assigned_to": "someone"},
    {"created_after": "2020-13-45"},
    {"created_before": "yesterday"},
    {"search": "a\x00b"},
    {"search": "x" * 101},
    {"custom.nope": "1"},
    {"custom.": "1"},
    {"custom.budget": "lots"},
    {"custom.budget__gt": "NaN"},
    {"custom.budget__gt": "1e999999"},
    {"custom.budget__between": "1"},
    {"custom.segment": "vip"},
    {"custom.segment__gt": "retail"},
    {"custom.nickname__lt": "m"},
    {"custom.since__gt": "2020-02-30"},
    {"custom.newsletter": "maybe"},
    {"page_size": "0"},
    {"page_size": "201"},
)


def test_invalid_filters_are_400_in_the_error_shape(alice_api: APIClient, world: IdentityWorld) -> None:
    for params in INVALID_FILTERS:
        error = assert_error(alice_api.get(URL, params), 400, "validation_error")

        assert set(error["fields"]) == set(params), params


def test_quick_search_returns_at_most_ten_exact_matches_first(
    alice_api: APIClient, alice: User, world: IdentityWorld
) -> None:
    for n in range(12):
        services.identity_create(actor=alice, first_name="Sara", last_name=f"Clone {n}")

    hits = alice_api.get(f"{URL}quick-search/", {"q": "sara"}).json()["results"]
    exact = alice_api.get(f"{URL}quick-search/", {"q": "sara@example.com"}).json()["results"]

    assert len(hits) == 10
    assert exact == [
        {
            "id": world.identities["sara"].pk,
            "public_id": str(world.identities["sara"].public_id),
            "kind": "person",
            "display_name": "Sara Ahmadi",
            "customer_number": "C-1001",
            "is_unknown": False,
            "colour": "green",
            "phone": "0912 123 4567",
            "email": "sara@example.com",
        }
    ]
    assert alice_api.get(f"{URL}quick-search/", {"q": "s"}).json() == {"results": []}


def test_categories_the_user_may_see(alice_api: APIClient, bob_api: APIClient, world: IdentityWorld) -> None:
    everything = alice_api.get("/api/v1/identity-categories/").json()["results"]
    bobs = bob_api.get("/api/v1/identity-categories/").json()["results"]

    assert [c["name"] for c in everything] == ["Customers", "VIP", "Gold"]
    assert everything[2]["parent"] == world.categories["vip"].pk and everything[2]["depth"] == 1
    assert [c["name"] for c in bobs] == ["Customers"]


def test_options_describe_every_endpoint(alice_api: APIClient, world: IdentityWorld) -> None:
    pk = world.identities["sara"].pk
    for path in (
        "",
        f"{pk}/",
        f"{pk}/restore/",
        f"{pk}/phones/",
        f"{pk}/customer-number/",
        "resolve/",
        "quick-search/",
        "999999/",
    ):
        assert alice_api.options(URL + path).status_code == 200, path


# --- writing --------------------------------------------------------------------------------

NEW_PERSON = {
    "kind": "person",
    "names": {"title": "Dr.", "first_name": "رضا", "last_name": "محمدی"},
    "birth_date": "1985-03-21",
    "colour": "blue",
    "phones": [
        {"kind": "mobile", "number": "۰۹۱۲ ۳۴۵ ۶۷۸۹"},
        {"kind": "work", "number": "+98 21 8888 7777", "extension": "۱۲", "is_primary": True},
        {"kind": "fax", "number": "00442079460000"},
    ],
    "emails": [{"address": "Reza@Example.com"}, {"address": "reza.m@example.org", "is_primary": True}],
    "addresses": [
        {"label": "Home", "province": "Tehran", "city": "Tehran", "line": "Enghelab 12", "postal_code": "1234567890"}
    ],
    "websites": [{"url": "https://reza.example.com"}],
    "special_dates": [{"label": "Wedding", "date": "2010-06-01"}],
    "custom": {"budget": "۱۲٬۵۰۰", "segment": "b2b", "since": "2024-02-29", "newsletter": False, "nickname": " Rez "},
}


def test_create_with_nested_rows_stores_phones_as_e164(
    alice_api: APIClient, alice: User, bob: User, world: IdentityWorld
) -> None:
    open_, gold = world.categories["open"].pk, world.categories["gold"].pk
    payload = {**NEW_PERSON, "categories": [open_, gold, open_], "assignees": [alice.pk, bob.pk, bob.pk]}

    response = alice_api.post(URL, payload, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["display_name"] == "رضا محمدی" and data["birth_date"] == "1985-03-21"
    assert [(p["kind"], p["number"], p["display"], p["extension"], p["is_primary"]) for p in data["phones"]] == [
        ("work", "+982188887777", "021 8888 7777", "12", True),
        ("mobile", "+989123456789", "0912 345 6789", "", False),
        ("fax", "+442079460000", "+44 20 7946 0000", "", False),
    ]
    assert [(e["address"], e["is_primary"]) for e in data["emails"]] == [
        ("reza.m@example.org", True),
        ("reza@example.com", False),
    ]
    assert data["websites"][0]["url"] == "https://reza.example.com"
    assert data["special_dates"][0] == {"id": data["special_dates"][0]["id"], "label": "Wedding", "date": "2010-06-01"}
    assert sorted(c["name"] for c in data["categories"]) == ["Customers", "Gold"]
    assert sorted(a["username"] for a in data["assignees"]) == ["alice", "bob"]
    assert data["custom"] == {
        "budget": 12500,
        "segment": "b2b",
        "since": "2024-02-29",
        "newsletter": False,
        "nickname": "Rez",
    }
    assert alice_api.get(f"{URL}{data['id']}/").json() == data
    assert ids(alice_api.get(URL, {"search": "09123456789"})) == [data["id"]]


MALFORMED = (
    ({"phones": [{"number": "not a number"}]}, "phones"),
    ({"phones": [{"number": "0912"}]}, "phones"),
    ({"phones": [{"number": "09121234567", "kind": "pager"}]}, "phones"),
    ({"phones": [{}]}, "phones"),
    ({"emails": [{"address": "no-at-sign"}]}, "emails"),
    ({"websites": [{"url": "javascript:alert(1)"}]}, "websites"),
    ({"special_dates": [{"label": "Day", "date": "2020-02-30"}]}, "special_dates"),
    ({"addresses": [{"city": "Tehran"}]}, "addresses"),
    ({"birth_date": "21/03/1985"}, "birth_date"),
    ({"kind": "robot"}, "kind"),
    ({"categories": [999999]}, "categories"),
    ({"categories": [10**30]}, "categories"),
    ({"assignees": [999999]}, "assignees"),
    ({"names": {"first_name": "a\x00b"}}, "names"),
    ({"custom": {"nickname": "a\x00b"}}, "custom"),
    ({"custom": "budget=1"}, "custom"),
    ({"phones": [{"number": "09121234567"}] * 51}, "phones"),
)


def test_create_refuses_malformed_input(alice_api: APIClient, world: IdentityWorld) -> None:
    for change, field in MALFORMED:
        error = assert_error(alice_api.post(URL, {**NEW_PERSON, **change}, format="json"), 400, "validation_error")

        assert field in error["fields"], change
    assert not Identity.objects.filter(first_name="رضا").exists()


def test_custom_field_values_are_validated_by_type(alice_api: APIClient, world: IdentityWorld) -> None:
    custom = {
        "budget": "lots",
        "segment": "vip",
        "since": "yesterday",
        "newsletter": "maybe",
        "unheard_of": 1,
        "nickname": "x" * 256,
    }

    error = assert_error(
        alice_api.post(URL, {**NEW_PERSON, "custom": custom}, format="json"), 400, "invalid_custom_value"
    )

    assert set(error["fields"]) == set(custom)


def test_a_name_is_required(alice_api: APIClient, world: IdentityWorld) -> None:
    payload = {**NEW_PERSON, "kind": "organisation"}  # a person's names, but no organisation name

    assert_error(alice_api.post(URL, payload, format="json"), 400, "name_required")


def test_put_replaces_given_lists_and_keeps_the_rest(alice_api: APIClient, world: IdentityWorld) -> None:
    sara = world.identities["sara"]

    response = alice_api.put(
        f"{URL}{sara.pk}/",
        {
            "kind": "person",
            "names": {"first_name": "Sarah", "last_name": "Ahmadi"},
            "phones": [{"number": "0912 000 1111"}, {"number": "09121234567", "kind": "home"}],
            "custom": {"budget": 150},
        },
        format="json",
    )

    data = response.json()
    assert response.status_code == 200, data
    assert data["display_name"] == "Sarah Ahmadi"
    assert [(p["number"], p["kind"], p["is_primary"]) for p in data["phones"]] == [
        ("+989120001111", "mobile", True),
        ("+989121234567", "home", False),
    ]
    assert [e["address"] for e in data["emails"]] == ["sara@example.com"]  # not given: kept
    assert data["custom"]["budget"] == 150 and data["custom"]["segment"] == "retail"
    assert ids(alice_api.get(URL, {"search": "سارا"})) == []
    assert ids(alice_api.get(URL, {"search": "sarah"})) == [sara.pk]


def test_put_needs_kind_and_names(alice_api: APIClient, world: IdentityWorld) -> None:
    error = assert_error(alice_api.put(f"{URL}{world.identities['sara'].pk}/", {"colour": "red"}, format="json"), 400)

    assert set(error["fields"]) == {"kind", "names"}


def test_patch_changes_only_what_it_names(alice_api: APIClient, bob: User, world: IdentityWorld) -> None:
    ali = world.identities["ali"]

    data = alice_api.patch(
        f"{URL}{ali.pk}/",
        {
            "names": {"first_name": "Ali"},
            "class_code": "B",
            "emails": [{"address": "ali@example.com"}],
            "assignees": [bob.pk],
            "custom": {"nickname": None},
        },
        format="json",
    ).json()

    assert data["display_name"] == "Ali كريمي"
    assert data["class_code"] == "B"
    assert [p["number"] for p in data["phones"]] == ["+982188776655"]
    assert [e["address"] for e in data["emails"]] == ["ali@example.com"]
    assert [a["id"] for a in data["assignees"]] == [bob.pk]
    assert data["custom"] == {"budget": 2500, "since": "2023-06-01"}
    ali.refresh_from_db()
    assert (ali.first_name, ali.class_code) == ("Ali", "B")


def test_delete_is_soft_and_restore_brings_it_back(alice_api: APIClient, world: IdentityWorld) -> None:
    pk = world.identities["ali"].pk

    assert alice_api.delete(f"{URL}{pk}/").status_code == 204
    assert_error(alice_api.get(f"{URL}{pk}/"), 404)
    assert pk not in ids(alice_api.get(URL))
    assert_error(alice_api.delete(f"{URL}{pk}/"), 404)
    assert Identity.all_objects.get(pk=pk).deleted_at is not None

    restored = alice_api.post(f"{URL}{pk}/restore/")

    assert restored.status_code == 200 and restored.json()["id"] == pk
    assert pk in ids(alice_api.get(URL))
    assert_error(alice_api.post(f"{URL}{pk}/restore/"), 400, "not_deleted")


def test_customer_number_by_hand_or_from_the_sequence(alice_api: APIClient, world: IdentityWorld) -> None:
    NumberSequence.objects.get_or_create(key="customer", defaults={"name": "Customers", "prefix": "CU-"})
    ali, niknam = world.identities["ali"], world.identities["niknam"]

    by_hand = alice_api.post(f"{URL}{ali.pk}/customer-number/", {"number": "  ۷۷۷ "}, format="json").json()
    drawn = alice_api.post(f"{URL}{niknam.pk}/customer-number/", {}, format="json").json()

    assert by_hand["customer_number"] == "777" and by_hand["is_customer"] is True
    assert drawn["customer_number"] and drawn["customer_number"] != "777"
    assert_error(alice_api.post(f"{URL}{ali.pk}/customer-number/", {}, format="json"), 400, "already_customer")
    hidden = world.identities["hidden"]
    assert_error(
        alice_api.post(f"{URL}{hidden.pk}/customer-number/", {"number": "C-1001"}, format="json"),
        400,
        "customer_number_taken",
    )


def test_add_a_phone_from_a_call(alice_api: APIClient, world: IdentityWorld) -> None:
    niknam = world.identities["niknam"]

    added = alice_api.post(f"{URL}{niknam.pk}/phones/", {"number": "۰۲۱-۶۶۵۵۴۴۳۳", "kind": "work"}, format="json")
    again = alice_api.post(f"{URL}{niknam.pk}/phones/", {"number": "+982166554433"}, format="json")

    assert added.status_code == 201 and again.status_code == 200
    assert [(p["number"], p["kind"], p["is_primary"]) for p in again.json()["phones"]] == [
        ("+982166554433", "work", True)
    ]
    assert_error(alice_api.post(f"{URL}{niknam.pk}/phones/", {"number": "12"}, format="json"), 400)


def test_resolve_finds_or_creates_an_unknown_contact(alice_api: APIClient, world: IdentityWorld) -> None:
    found = alice_api.post(f"{URL}resolve/", {"phone": "۰۹۱۲۱۲۳۴۵۶۷"}, format="json")
    by_email = alice_api.post(f"{URL}resolve/", {"email": "INFO@niknam.ir"}, format="json")
    created = alice_api.post(f"{URL}resolve/", {"phone": "0912 555 4433", "source": "pbx"}, format="json")

    assert found.status_code == 200 and found.json()["created"] is False
    assert found.json()["identity"]["id"] == world.identities["sara"].pk
    assert by_email.json()["identity"]["id"] == world.identities["niknam"].pk
    assert created.status_code == 201 and created.json()["created"] is True
    new = created.json()["identity"]
    assert new["is_unknown"] is True and new["phones"][0]["number"] == "+989125554433"
    assert (
        alice_api.post(f"{URL}resolve/", {"phone": "09125554433"}, format="json").json()["identity"]["id"] == new["id"]
    )


def test_resolve_creates_an_unknown_contact_from_a_long_address(alice_api: APIClient, world: IdentityWorld) -> None:
    address = "a" * 60 + "@" + ("b" * 60 + ".") * 3 + "com"  # 247 characters, longer than a last name

    response = alice_api.post(f"{URL}resolve/", {"email": address}, format="json")

    assert response.status_code == 201, response.content[:300]
    assert response.json()["identity"]["emails"][0]["address"] == address


def test_resolve_refuses_nothing_or_garbage(alice_api: APIClient, world: IdentityWorld) -> None:
    before = Identity.all_objects.count()

    for payload in ({}, {"phone": ""}, {"phone": "12"}, {"email": "nope"}, {"phone": "a\x00"}, {"email": "a@b"}):
        assert_error(alice_api.post(f"{URL}resolve/", payload, format="json"), 400, "validation_error")
    assert Identity.all_objects.count() == before


# --- access ---------------------------------------------------------------------------------


def test_bob_never_sees_an_identity_only_in_a_restricted_category(bob_api: APIClient, world: IdentityWorld) -> None:
    hidden = world.identities["hidden"]

    assert hidden.pk not in ids(bob_api.get(URL))
    assert_error(bob_api.get(f"{URL}{hidden.pk}/"), 404)
    for text in ("Hidden", "09350001122", "vip@example.com"):
        assert ids(bob_api.get(URL, {"search": text})) == []
        assert bob_api.get(f"{URL}quick-search/", {"q": text}).json() == {"results": []}
    assert ids(bob_api.get(URL, {"custom.budget__gt": "1000"})) == pks(world, "ali")
    assert_error(bob_api.get(URL, {"category": world.categories["vip"].pk}), 400)
    for method, suffix in (
        ("put", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "restore/"),
        ("post", "customer-number/"),
        ("post", "phones/"),
    ):
        assert_error(getattr(bob_api, method)(f"{URL}{hidden.pk}/{suffix}", {}, format="json"), 404)


def test_bob_sees_a_shared_identity_without_the_restricted_category(bob_api: APIClient, world: IdentityWorld) -> None:
    acme = world.identities["acme"]

    data = bob_api.get(f"{URL}{acme.pk}/").json()
    bob_api.patch(f"{URL}{acme.pk}/", {"categories": []}, format="json")

    assert data["categories"] == [{"id": world.categories["open"].pk, "name": "Customers"}]
    assert sorted(acme.category_links.values_list("category_id", flat=True)) == [world.categories["gold"].pk]


def test_bob_may_not_file_an_identity_under_a_category_he_cannot_see(bob_api: APIClient, world: IdentityWorld) -> None:
    payload = {**NEW_PERSON, "categories": [world.categories["vip"].pk]}

    error = assert_error(bob_api.post(URL, payload, format="json"), 400, "validation_error")

    assert "categories" in error["fields"]


def test_resolve_does_not_leak_an_identity_hidden_from_the_caller(bob_api: APIClient, world: IdentityWorld) -> None:
    """The number belongs to someone bob may not see: a 403 that names nothing, and no
    second ("unknown") profile for the same number."""
    before = Identity.all_objects.count()

    for payload in ({"phone": "0935 000 1122"}, {"email": "VIP@example.com"}):
        response = bob_api.post(f"{URL}resolve/", payload, format="json")

        error = assert_error(response, 403, "permission_denied")
        assert error["fields"] == {}
        for secret in ("Hidden", "Vip", "999999", str(world.identities["hidden"].pk)):
            assert secret not in response.content.decode()
    assert Identity.all_objects.count() == before
    assert (
        bob_api.post(f"{URL}resolve/", {"phone": "09121234567"}, format="json").json()["identity"]["id"]
        == world.identities["sara"].pk
    )


def test_own_records_only(dave_api: APIClient, alice: User, world: IdentityWorld) -> None:
    created = dave_api.post(URL, {"kind": "person", "names": {"last_name": "Mine"}}, format="json").json()
    sara = world.identities["sara"]

    assert ids(dave_api.get(URL)) == [created["id"]]
    assert_error(dave_api.get(f"{URL}{sara.pk}/"), 404)
    assert ids(dave_api.get(URL, {"search": "09121234567"})) == []
    assert_error(dave_api.post(f"{URL}resolve/", {"phone": "09121234567"}, format="json"), 403)
    unknown = dave_api.post(f"{URL}resolve/", {"phone": "09130001234"}, format="json").json()["identity"]
    assert dave_api.get(f"{URL}{unknown['id']}/").status_code == 200  # his own unknown contact

    dave = User.objects.get(username="dave")
    services.identity_assign(actor=alice, identity=sara, users=[dave])

    assert ids(dave_api.get(URL)) == sorted([created["id"], unknown["id"], sara.pk])
    assert dave_api.patch(f"{URL}{sara.pk}/", {"class_code": "Z"}, format="json").status_code == 200
    assert_error(dave_api.delete(f"{URL}{sara.pk}/"), 403, "permission_denied")
    assert_error(dave_api.post(f"{URL}{sara.pk}/customer-number/", {}, format="json"), 403)


CHARLIE_CALLS = [
    ("get", "", 403),
    ("post", "", 403),
    ("get", "quick-search/?q=sara", 403),
    ("post", "resolve/", 403),
    ("get", "{pk}/", 404),
    ("put", "{pk}/", 404),
    ("patch", "{pk}/", 404),
    ("delete", "{pk}/", 404),
    ("post", "{pk}/restore/", 404),
    ("post", "{pk}/customer-number/", 404),
    ("post", "{pk}/phones/", 404),
]


def test_charlie_is_refused(charlie_api: APIClient, world: IdentityWorld) -> None:
    for method, path, status in CHARLIE_CALLS:
        url = URL + path.format(pk=world.identities["sara"].pk)

        assert_error(getattr(charlie_api, method)(url, {**NEW_PERSON, "phone": "09121234567"}, format="json"), status)
    assert_error(charlie_api.get("/api/v1/identity-categories/"), 403)
    assert Identity.all_objects.count() == len(world.identities)


def test_writes_need_rights(bob: User, bob_position: Position, world: IdentityWorld) -> None:
    bob_position.permissions.add(*perms("identities.view_identity", "identities.view_all_identity"))
    client, sara = token_client(bob), world.identities["sara"]

    assert client.get(f"{URL}{sara.pk}/").status_code == 200
    assert_error(client.post(URL, NEW_PERSON, format="json"), 403, "permission_denied")
    assert_error(client.patch(f"{URL}{sara.pk}/", {"colour": "red"}, format="json"), 403, "permission_denied")
    assert_error(client.delete(f"{URL}{sara.pk}/"), 403, "permission_denied")
    assert_error(client.post(f"{URL}{sara.pk}/phones/", {"number": "09120000000"}, format="json"), 403)
    assert_error(client.post(f"{URL}resolve/", {"phone": "09120000000"}, format="json"), 403)


def _field_rule(field_name: str, *, view: str | None = None, edit: str | None = None) -> None:
    def permission(name: str | None) -> Permission | None:
        return perms(name)[0] if name else None

    FieldAccessRule.objects.create(
        content_type=ContentType.objects.get_for_model(Identity),
        field_name=field_name,
        view_permission=permission(view),
        edit_permission=permission(edit),
    )


def test_field_rules_hide_and_freeze_fields(bob_api: APIClient, alice_api: APIClient, world: IdentityWorld) -> None:
    secret = "identities.merge_identity"  # a right bob does not hold
    _field_rule("custom.budget", view=secret)
    _field_rule("national_id", view=secret)
    _field_rule("first_name", view=secret)
    _field_rule("class_code", edit=secret)
    sara = world.identities["sara"]

    data = bob_api.get(f"{URL}{sara.pk}/").json()
    listed = bob_api.get(URL, {"search": "sara"}).json()["results"][0]

    assert "budget" not in data["custom"] and data["custom"]["segment"] == "retail"
    assert "national_id" not in data and "first_name" not in data["names"]
    assert data["class_code"] == "A"
    assert listed == data
    assert "budget" in alice_api.get(f"{URL}{sara.pk}/").json()["custom"]
    assert_error(bob_api.get(URL, {"custom.budget__gt": "1"}), 400)
    assert_error(bob_api.patch(f"{URL}{sara.pk}/", {"class_code": "B"}, format="json"), 400, "field_read_only")
    assert_error(bob_api.patch(f"{URL}{sara.pk}/", {"custom": {"budget": 1}}, format="json"), 400, "field_read_only")
    assert_error(bob_api.post(URL, {**NEW_PERSON, "national_id": "0012345678"}, format="json"), 400, "field_read_only")
    assert bob_api.patch(f"{URL}{sara.pk}/", {"class_code": "A", "colour": "red"}, format="json").status_code == 200


# --- cost -----------------------------------------------------------------------------------


def _seed(alice: User, world: IdentityWorld, count: int) -> None:
    for n in range(count):
        services.identity_create(
            actor=alice,
            first_name=f"Person {n}",
            last_name="Seed",
            categories=[world.categories["open"]],
            phones=[{"number": f"0912{n:07d}"}, {"number": f"021{n:08d}", "kind": "work"}],
            emails=[{"address": f"p{n}@example.com"}],
            addresses=[{"line": f"Street {n}", "city": "Qom"}],
            websites=[{"url": f"https://p{n}.example.com"}],
            special_dates=[{"label": "Day", "date": "2020-01-01"}],
            assignees=[alice],
            custom={"budget": n},
        )


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_list_queries_do_not_grow_with_the_page(
    alice: User, bob_api: APIClient, world: IdentityWorld, who: str
) -> None:
    client = token_client(alice) if who == "alice" else bob_api
    params = {"category": world.categories["open"].pk, "search": "seed", "page_size": 50}

    def page_cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = client.get(URL, params).json()["results"]
        return len(rows), len(queries.captured_queries)

    _seed(alice, world, 5)
    five, cost_of_five = page_cost()
    _seed(alice, world, 25)
    thirty, cost_of_thirty = page_cost()

    assert (five, thirty) == (5, 30)
    assert cost_of_five == cost_of_thirty
    assert cost_of_thirty <= (12 if who == "alice" else 22)  # bob: rights, positions, categories, field rules
