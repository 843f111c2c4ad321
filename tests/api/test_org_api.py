"""The organisation API for alice (admin), bob (a limited position) and charlie (no rights)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from crm.core.audit.models import AuditEntry
from crm.org.models import Appointment, Department, EmployeeCard, Position, Substitution, User
from tests.api.support import World, assert_error, hide_from_users_without, token_client

TODAY = timezone.localdate()

LISTS = [
    "/api/v1/users/",
    "/api/v1/departments/",
    "/api/v1/positions/",
    "/api/v1/appointments/",
    "/api/v1/substitutions/",
    "/api/v1/employees/",
    "/api/v1/custom-fields/",
    "/api/v1/numbering/sequences/",
    "/api/v1/saved-filters/?list_key=employees",
    "/api/v1/audit/",
]
LISTS_NEEDING_A_PERMISSION = [url for url in LISTS if "custom-fields" not in url and "saved-filters" not in url]


def detail_urls(world: World) -> list[str]:
    return [
        f"/api/v1/departments/{world.departments[0].pk}/",
        f"/api/v1/positions/{world.positions[0].pk}/",
        f"/api/v1/appointments/{world.appointments[0].pk}/",
        f"/api/v1/substitutions/{world.substitutions[0].pk}/",
        f"/api/v1/employees/{world.cards[0].pk}/",
        f"/api/v1/saved-filters/{world.filters[0].pk}/",
    ]


# --- alice: every endpoint works -----------------------------------------------------------


@pytest.mark.parametrize("url", LISTS)
def test_alice_lists_everything(alice_api: APIClient, org_world: World, url: str) -> None:
    response = alice_api.get(url)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert body["results"] or "sequences" in url  # no sequence is defined in this world


def test_alice_reads_every_detail(alice_api: APIClient, org_world: World) -> None:
    for url in detail_urls(org_world):
        response = alice_api.get(url)
        assert response.status_code == 200, (url, response.content)
        assert response.json()["id"] == int(url.rstrip("/").rsplit("/", 1)[1])


def test_alice_creates_a_department_under_a_parent(alice_api: APIClient, org_world: World) -> None:
    head = org_world.departments[0]

    response = alice_api.post("/api/v1/departments/", {"name": "Marketing", "code": "MK", "parent": head.pk})

    assert response.status_code == 201, response.content
    created = Department.objects.get(pk=response.json()["id"])
    assert (created.name, created.parent, created.depth) == ("Marketing", head, 1)
    assert response.json()["parent"] == head.pk


def test_alice_renames_and_moves_a_department(alice_api: APIClient, org_world: World) -> None:
    _, sales, support, _ = org_world.departments

    response = alice_api.put(f"/api/v1/departments/{support.pk}/", {"name": "Care", "parent": sales.pk})

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Care"
    assert response.json()["depth"] == 2
    support.refresh_from_db()
    assert support.path.startswith(sales.path)


def test_a_department_cannot_move_under_itself(alice_api: APIClient, org_world: World) -> None:
    head, sales, _, _ = org_world.departments

    response = alice_api.put(f"/api/v1/departments/{head.pk}/", {"name": "Head office", "parent": sales.pk})

    assert_error(response, 400, "department_cycle")


def test_alice_deletes_an_empty_department_but_not_one_in_use(alice_api: APIClient, org_world: World) -> None:
    head, _, _, archive = org_world.departments

    assert alice_api.delete(f"/api/v1/departments/{archive.pk}/").status_code == 204
    assert_error(alice_api.delete(f"/api/v1/departments/{head.pk}/"), 400, "department_in_use")
    assert not Department.objects.filter(pk=archive.pk).exists()


def test_alice_creates_and_changes_a_position_with_permissions(alice_api: APIClient, org_world: World) -> None:
    sales = org_world.departments[1]
    body = {"title": "Lead", "department": sales.pk, "permissions": ["org.view_employeecard"]}

    created = alice_api.post("/api/v1/positions/", body)
    pk = created.json()["id"]
    changed = alice_api.put(f"/api/v1/positions/{pk}/", {**body, "title": "Team lead", "permissions": []})

    assert created.status_code == 201, created.content
    assert created.json()["permissions"] == ["org.view_employeecard"]
    assert changed.status_code == 200, changed.content
    assert changed.json()["title"] == "Team lead"
    assert changed.json()["permissions"] == []


def test_an_unknown_permission_is_a_field_error(alice_api: APIClient, org_world: World) -> None:
    body = {"title": "Lead", "department": org_world.departments[1].pk, "permissions": ["org.fly"]}

    error = assert_error(alice_api.post("/api/v1/positions/", body), 400, "validation_error")

    assert list(error["fields"]) == ["permissions"]


def test_alice_appoints_and_ends_an_appointment(alice_api: APIClient, org_world: World, charlie: User) -> None:
    agent = org_world.positions[1]
    body = {"user": charlie.pk, "position": agent.pk, "start_date": str(TODAY), "decree_number": "D-7"}

    created = alice_api.post("/api/v1/appointments/", body)
    pk = created.json()["id"]
    ended = alice_api.post(f"/api/v1/appointments/{pk}/end/", {"end_date": str(TODAY + dt.timedelta(days=3))})

    assert created.status_code == 201, created.content
    assert ended.status_code == 200, ended.content
    assert Appointment.objects.get(pk=pk).end_date == TODAY + dt.timedelta(days=3)


def test_an_appointment_cannot_end_before_it_starts(alice_api: APIClient, org_world: World) -> None:
    appointment = org_world.appointments[0]
    before = appointment.start_date - dt.timedelta(days=1)

    assert_error(alice_api.post(f"/api/v1/appointments/{appointment.pk}/end/", {"end_date": str(before)}), 400)


def test_active_filter_on_appointments(alice_api: APIClient, org_world: World) -> None:
    ended = org_world.appointments[1]

    everything = alice_api.get("/api/v1/appointments/").json()["results"]
    active = alice_api.get("/api/v1/appointments/?active=true").json()["results"]

    assert ended.pk in {row["id"] for row in everything}
    assert ended.pk not in {row["id"] for row in active}
    assert_error(alice_api.get("/api/v1/appointments/?active=perhaps"), 400, "validation_error")


def test_alice_adds_and_removes_a_substitute(alice_api: APIClient, org_world: World, charlie: User) -> None:
    manager = org_world.positions[0]
    body = {"position": manager.pk, "substitute": charlie.pk, "start_date": str(TODAY), "end_date": str(TODAY)}

    created = alice_api.post("/api/v1/substitutions/", body)
    removed = alice_api.delete(f"/api/v1/substitutions/{created.json()['id']}/")

    assert created.status_code == 201, created.content
    assert removed.status_code == 204
    assert not Substitution.objects.filter(pk=created.json()["id"]).exists()


def test_substitution_dates_must_be_in_order(alice_api: APIClient, org_world: World, charlie: User) -> None:
    body = {
        "position": org_world.positions[0].pk,
        "substitute": charlie.pk,
        "start_date": str(TODAY),
        "end_date": str(TODAY - dt.timedelta(days=1)),
    }

    assert_error(alice_api.post("/api/v1/substitutions/", body), 400, "dates_order")


def test_alice_creates_patches_deletes_and_restores_a_card(alice_api: APIClient, org_world: World) -> None:
    created = alice_api.post("/api/v1/employees/", {"first_name": "Taras", "last_name": "Bondar", "mobile": "0912"})
    pk = created.json()["id"]
    patched = alice_api.patch(f"/api/v1/employees/{pk}/", {"notes": "Night shift"})
    deleted = alice_api.delete(f"/api/v1/employees/{pk}/")
    gone = alice_api.get(f"/api/v1/employees/{pk}/")
    restored = alice_api.post(f"/api/v1/employees/{pk}/restore/")

    assert created.status_code == 201, created.content
    assert patched.json()["notes"] == "Night shift"
    assert deleted.status_code == 204
    assert_error(gone, 404, "not_found")
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    actions = set(AuditEntry.objects.filter(target_id=str(pk)).values_list("action", flat=True))
    assert {"employeecard.deleted", "employeecard.restored"} <= actions


def test_restoring_a_live_card_is_a_400(alice_api: APIClient, org_world: World) -> None:
    assert_error(alice_api.post(f"/api/v1/employees/{org_world.cards[0].pk}/restore/"), 400, "not_deleted")


def test_employee_search(alice_api: APIClient, org_world: World) -> None:
    response = alice_api.get("/api/v1/employees/?search=olena")

    assert [row["first_name"] for row in response.json()["results"]] == ["Olena"]


def test_users_search(alice_api: APIClient, org_world: World) -> None:
    response = alice_api.get("/api/v1/users/?search=dav")

    assert [row["username"] for row in response.json()["results"]] == ["dave"]


# --- validation: 400 with `fields` ---------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body", "fields"),
    [
        ("/api/v1/departments/", {}, {"name"}),
        ("/api/v1/departments/", {"name": "   "}, {"name"}),
        ("/api/v1/departments/", {"name": "X", "parent": 10**12}, {"parent"}),
        ("/api/v1/positions/", {"title": "X"}, {"department"}),
        (
            "/api/v1/appointments/",
            {"user": 10**30, "position": "x", "start_date": "2024-02-30"},
            {"user", "position", "start_date"},
        ),
        ("/api/v1/substitutions/", {}, {"position", "substitute", "start_date", "end_date"}),
        ("/api/v1/employees/", {"first_name": "A"}, {"last_name"}),
        (
            "/api/v1/employees/",
            {"first_name": "A", "last_name": "B", "email": "nope", "national_id": "12"},
            {"email", "national_id"},
        ),
        ("/api/v1/employees/", {"first_name": "A\u0000", "last_name": "B"}, {"first_name"}),
        ("/api/v1/employees/", {"first_name": "A", "last_name": "B", "birth_date": "1990-13-01"}, {"birth_date"}),
        ("/api/v1/employees/", {"first_name": "A", "last_name": "B", "custom": ["x"]}, {"custom"}),
        ("/api/v1/saved-filters/", {"list_key": "not a slug", "name": ""}, {"list_key", "name"}),
    ],
)
def test_invalid_input_is_400_with_fields(
    alice_api: APIClient, org_world: World, url: str, body: dict[str, Any], fields: set[str]
) -> None:
    error = assert_error(alice_api.post(url, body), 400, "validation_error")

    assert set(error["fields"]) == fields
    assert all(isinstance(messages, list) and messages for messages in error["fields"].values())


def test_a_second_card_for_the_same_user_is_a_field_error(alice_api: APIClient, org_world: World) -> None:
    dave = org_world.users[0]  # Nazanin's card is linked to dave

    response = alice_api.post("/api/v1/employees/", {"first_name": "A", "last_name": "B", "user": dave.pk})

    error = assert_error(response, 400, "validation_error")

    assert set(error["fields"]) == {"user"}


def test_unpaired_surrogates_and_deep_nesting_are_parse_errors(alice_api: APIClient, org_world: World) -> None:
    for raw in ('{"first_name": "A", "last_name": "B", "custom": {"\\ud800": 1}}', "[" * 100_000 + "]" * 100_000):
        response = alice_api.generic("POST", "/api/v1/employees/", raw.encode(), content_type="application/json")
        assert_error(response, 400, "parse_error")


def test_bad_query_parameters_are_400(alice_api: APIClient, org_world: World) -> None:
    assert_error(alice_api.get("/api/v1/saved-filters/"), 400, "validation_error")
    assert_error(alice_api.get("/api/v1/employees/?search=" + "x" * 101), 400, "validation_error")
    assert_error(alice_api.get("/api/v1/users/?search=a%00b"), 400, "validation_error")


@pytest.mark.parametrize("pk", ["0", "99999999", str(2**63), str(10**40)])
def test_missing_and_huge_ids_are_404(alice_api: APIClient, org_world: World, pk: str) -> None:
    for url in ("departments", "positions", "appointments", "substitutions", "employees", "saved-filters"):
        assert_error(alice_api.get(f"/api/v1/{url}/{pk}/"), 404, "not_found")
    assert_error(alice_api.patch(f"/api/v1/employees/{pk}/", {"notes": "x"}), 404, "not_found")
    assert_error(alice_api.post(f"/api/v1/employees/{pk}/restore/"), 404, "not_found")


# --- custom fields on /api/v1/employees/ --------------------------------------------------------


def test_custom_values_are_validated_and_stored(alice_api: APIClient, org_world: World) -> None:
    dave = org_world.users[0]
    custom = {
        "shoe_size": "۴۲",
        "team": "blue",
        "badge": "  B-7 ",
        "joined": "2024-03-20",
        "last_seen": "2024-03-20T10:00:00+03:30",
        "remote": True,
        "mentor": dave.pk,
    }

    response = alice_api.post("/api/v1/employees/", {"first_name": "A", "last_name": "B", "custom": custom})

    assert response.status_code == 201, response.content
    stored = EmployeeCard.objects.get(pk=response.json()["id"]).custom
    assert stored == {
        "shoe_size": 42,
        "team": "blue",
        "badge": "B-7",
        "joined": "2024-03-20",
        "last_seen": "2024-03-20T06:30:00Z",
        "remote": True,
        "mentor": dave.pk,
    }
    assert response.json()["custom"] == stored


@pytest.mark.parametrize(
    ("custom", "bad_keys"),
    [
        ({"nickname": "x"}, {"nickname"}),
        ({"shoe_size": "big"}, {"shoe_size"}),
        ({"shoe_size": True}, {"shoe_size"}),
        ({"shoe_size": "1e999999999"}, {"shoe_size"}),
        ({"team": "green"}, {"team"}),
        ({"joined": "2024-02-30"}, {"joined"}),
        ({"last_seen": "2024-03-20T10:00:00"}, {"last_seen"}),
        ({"last_seen": "0001-01-01T00:00:00+05:00"}, {"last_seen"}),
        ({"remote": "maybe"}, {"remote"}),
        ({"mentor": 10**30}, {"mentor"}),
        ({"badge": "a\u0000b"}, {"badge"}),
        ({"badge": "x" * 256, "nickname": 1}, {"badge", "nickname"}),
    ],
)
def test_invalid_custom_values_are_400_with_field_messages(
    alice_api: APIClient, org_world: World, custom: dict[str, Any], bad_keys: set[str]
) -> None:
    card = org_world.cards[0]

    created = alice_api.post("/api/v1/employees/", {"first_name": "A", "last_name": "B", "custom": custom})
    patched = alice_api.patch(f"/api/v1/employees/{card.pk}/", {"custom": custom})

    for response in (created, patched):
        error = assert_error(response, 400, "invalid_custom_value")
        assert set(error["fields"]) == {"custom"}
        assert set(error["fields"]["custom"]) == bad_keys
        assert all(isinstance(m, list) and m for m in error["fields"]["custom"].values())
    card.refresh_from_db()
    assert card.custom == {"shoe_size": 38, "team": "red"}


def test_patching_custom_values_merges_them(alice_api: APIClient, org_world: World) -> None:
    card = org_world.cards[0]

    response = alice_api.patch(f"/api/v1/employees/{card.pk}/", {"custom": {"badge": "B-1", "team": None}})

    assert response.status_code == 200, response.content
    card.refresh_from_db()
    assert card.custom == {"shoe_size": 38, "badge": "B-1"}


# --- bob: what his position allows ---------------------------------------------------------


def test_bob_lists_only_the_cards_he_created(bob_api: APIClient, org_world: World) -> None:
    names = [row["first_name"] for row in bob_api.get("/api/v1/employees/").json()["results"]]

    assert sorted(names) == ["James", "Olena"]


def test_bob_cannot_read_or_touch_alices_cards(bob_api: APIClient, org_world: World) -> None:
    sara = org_world.cards[0]

    assert_error(bob_api.get(f"/api/v1/employees/{sara.pk}/"), 404, "not_found")
    assert_error(bob_api.patch(f"/api/v1/employees/{sara.pk}/", {"notes": "x"}), 404, "not_found")
    assert_error(bob_api.delete(f"/api/v1/employees/{sara.pk}/"), 404, "not_found")


def test_bob_creates_and_changes_his_own_card(bob_api: APIClient, org_world: World) -> None:
    created = bob_api.post("/api/v1/employees/", {"first_name": "Ivan", "last_name": "Franko"})
    pk = created.json()["id"]

    patched = bob_api.patch(f"/api/v1/employees/{pk}/", {"mobile": "0933"})

    assert created.status_code == 201, created.content
    assert patched.status_code == 200, patched.content
    assert pk in {row["id"] for row in bob_api.get("/api/v1/employees/").json()["results"]}


def test_bob_reads_departments_but_not_positions_or_users(bob_api: APIClient, org_world: World) -> None:
    assert len(bob_api.get("/api/v1/departments/").json()["results"]) == 5  # four + bob's own
    assert_error(bob_api.post("/api/v1/departments/", {"name": "Mine"}), 403, "permission_denied")
    assert_error(bob_api.get("/api/v1/positions/"), 403, "permission_denied")
    assert_error(bob_api.get("/api/v1/users/"), 403, "permission_denied")
    assert_error(bob_api.get(f"/api/v1/positions/{org_world.positions[0].pk}/"), 404, "not_found")


def test_hidden_fields_are_absent_for_bob_and_present_for_alice(
    alice_api: APIClient, bob_api: APIClient, org_world: World
) -> None:
    olena = org_world.cards[2]  # created by bob
    hide_from_users_without("org.view_sensitive_employeecard", "national_id", "custom.badge")
    alice_api.patch(f"/api/v1/employees/{olena.pk}/", {"national_id": "0012345678", "custom": {"badge": "B-9"}})

    seen_by_bob = [
        bob_api.get(f"/api/v1/employees/{olena.pk}/").json(),
        next(r for r in bob_api.get("/api/v1/employees/").json()["results"] if r["id"] == olena.pk),
    ]
    seen_by_alice = alice_api.get(f"/api/v1/employees/{olena.pk}/").json()

    for row in seen_by_bob:
        assert "national_id" not in row
        assert "badge" not in row["custom"]
        assert row["custom"] == {"remote": True}
        assert row["email"] == "olena@example.com"
    assert seen_by_alice["national_id"] == "0012345678"
    assert seen_by_alice["custom"]["badge"] == "B-9"


def test_bob_may_not_write_a_hidden_field(bob_api: APIClient, org_world: World) -> None:
    hide_from_users_without("org.view_sensitive_employeecard", "national_id")

    response = bob_api.post("/api/v1/employees/", {"first_name": "A", "last_name": "B", "national_id": "0012345678"})

    assert_error(response, 400, "field_read_only")


def test_bobs_restore_does_not_leak_hidden_fields(bob_api: APIClient, org_world: World) -> None:
    james = org_world.cards[3]
    hide_from_users_without("org.view_sensitive_employeecard", "national_id")
    bob_api.delete(f"/api/v1/employees/{james.pk}/")

    response = bob_api.post(f"/api/v1/employees/{james.pk}/restore/")

    assert response.status_code == 200, response.content
    assert "national_id" not in response.json()


# --- charlie: refused ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", LISTS_NEEDING_A_PERMISSION)
def test_charlie_gets_403_on_lists_that_need_a_permission(charlie_api: APIClient, org_world: World, url: str) -> None:
    assert_error(charlie_api.get(url), 403, "permission_denied")


def test_charlie_sees_only_shared_saved_filters_and_field_definitions(charlie_api: APIClient, org_world: World) -> None:
    filters = charlie_api.get("/api/v1/saved-filters/?list_key=employees").json()["results"]
    fields = charlie_api.get("/api/v1/custom-fields/?model=employeecard").json()["results"]

    assert [f["name"] for f in filters] == ["Sales people"]
    assert len(fields) == 7


def test_charlie_gets_404_on_records_he_may_not_see(charlie_api: APIClient, org_world: World) -> None:
    for url in [*detail_urls(org_world)[:-1], f"/api/v1/saved-filters/{org_world.filters[1].pk}/"]:
        assert_error(charlie_api.get(url), 404, "not_found")


def test_charlie_cannot_change_anything(charlie_api: APIClient, org_world: World, charlie: User) -> None:
    head, card, appointment = org_world.departments[0], org_world.cards[0], org_world.appointments[0]
    attempts = [
        charlie_api.put(f"/api/v1/departments/{head.pk}/", {"name": "Mine"}),
        charlie_api.delete(f"/api/v1/departments/{head.pk}/"),
        charlie_api.put(f"/api/v1/positions/{org_world.positions[0].pk}/", {"title": "x", "department": head.pk}),
        charlie_api.post(f"/api/v1/appointments/{appointment.pk}/end/", {"end_date": str(TODAY)}),
        charlie_api.delete(f"/api/v1/substitutions/{org_world.substitutions[0].pk}/"),
        charlie_api.patch(f"/api/v1/employees/{card.pk}/", {"notes": "x"}),
        charlie_api.delete(f"/api/v1/employees/{card.pk}/"),
        charlie_api.post(f"/api/v1/employees/{org_world.deleted_card.pk}/restore/"),
        charlie_api.delete(f"/api/v1/saved-filters/{org_world.filters[1].pk}/"),
    ]
    for response in attempts:
        assert_error(response, 404, "not_found")
    refusals = [
        charlie_api.delete(f"/api/v1/saved-filters/{org_world.filters[0].pk}/"),  # shared: visible, not his
        charlie_api.post("/api/v1/departments/", {"name": "Mine"}),
        charlie_api.post("/api/v1/positions/", {"title": "Boss", "department": head.pk}),
        charlie_api.post(
            "/api/v1/appointments/",
            {"user": charlie.pk, "position": org_world.positions[0].pk, "start_date": str(TODAY)},
        ),
        charlie_api.post("/api/v1/employees/", {"first_name": "A", "last_name": "B"}),
    ]
    for response in refusals:
        assert_error(response, 403, "permission_denied")
    assert not Position.objects.filter(title="Boss").exists()


# --- me: preferences ----------------------------------------------------------------------------


def test_me_switches_language_and_calendar(charlie_api: APIClient, charlie: User) -> None:
    response = charlie_api.patch("/api/v1/me/", {"language": "fa", "calendar": "jalali"})

    assert response.status_code == 200, response.content
    assert (response.json()["language"], response.json()["calendar"]) == ("fa", "jalali")
    charlie.refresh_from_db()
    assert (charlie.language, charlie.calendar, charlie.notify_by_email) == ("fa", "jalali", False)
    assert charlie_api.get("/api/v1/me/").json()["calendar"] == "jalali"


def test_me_keeps_what_is_not_sent(charlie_api: APIClient, charlie: User) -> None:
    charlie_api.patch("/api/v1/me/", {"language": "uk", "calendar": "gregorian"})

    charlie_api.patch("/api/v1/me/", {"notify_by_email": True})

    charlie.refresh_from_db()
    assert (charlie.language, charlie.calendar, charlie.notify_by_email) == ("uk", "gregorian", True)


def test_me_refuses_unknown_languages_and_calendars(charlie_api: APIClient) -> None:
    error = assert_error(charlie_api.patch("/api/v1/me/", {"language": "xx", "calendar": "mayan"}), 400)

    assert set(error["fields"]) == {"language", "calendar"}


@pytest.mark.parametrize("sign_in", ["token", "session"])
def test_after_switching_to_persian_the_api_answers_in_persian(charlie: User, sign_in: str) -> None:
    client = token_client(charlie) if sign_in == "token" else APIClient()
    if sign_in == "session":
        client.force_login(charlie)
    client.patch("/api/v1/me/", {"language": "fa"})

    response = client.patch("/api/v1/me/", {"language": "xx"})

    assert response["Content-Language"] == "fa"
    assert assert_error(response, 400)["message"] == "برخی از مقادیر معتبر نیستند."
