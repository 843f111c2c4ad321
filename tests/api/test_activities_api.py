"""/api/v1/ for CRM items (AC-1 … AC-12): calendars, rooms, appointments (`meetings/`),
free/busy, tasks and the cartable, calls, notes, files and work reports. Same access as the
pages: charlie (no position) sees none of bob's items, and an item one may not see is a 404.

World: a Staff calendar every staff member may read (only alice writes), bob's Team
calendar (bob writes, dave reads), a private Board calendar, the Blue room; dave and erin
work in bob's department, erin manages it and may read its work reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crm.activities import services
from crm.activities.models import Calendar, CalendarAccess, Call, Meeting, Note, Room, Task, TaskAssignee
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.services import custom_field_define
from crm.core.notifications.models import Notification
from crm.identities.testing import IDENTITY_PERMS, IdentityWorld, build_identity_world
from crm.org.models import Position, User
from crm.org.testing import appoint, make_position, make_user, perms
from tests.api.support import assert_error, token_client

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(days: int = 1, hour: int = 10, minute: int = 0) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def iso(value: dt.datetime) -> str:
    return value.isoformat()


def ids(response: Any, key: str = "id") -> list[Any]:
    assert response.status_code == 200, response.content[:500]
    return [row[key] for row in response.json()["results"]]


@dataclass
class World:
    staff: Calendar
    team: Calendar
    board: Calendar
    room: Room
    dave: User
    erin: User
    identities: IdentityWorld


@pytest.fixture
def world(alice: User, bob: User, charlie: User, bob_position: Position) -> World:
    staff = services.calendar_save(
        actor=alice, values={"name": "Staff", "kind": Calendar.Kind.STAFF, "public_to_staff": True}
    )
    dave, erin = make_user("dave", first_name="Dave"), make_user("erin", first_name="Erin")
    team = services.calendar_save(
        actor=alice,
        values={"name": "Team", "kind": Calendar.Kind.SHARED},
        grants=[("user", bob.pk, CalendarAccess.Level.WRITE), ("user", dave.pk, CalendarAccess.Level.READ)],
    )
    board = services.calendar_save(actor=alice, values={"name": "Board", "kind": Calendar.Kind.MANAGERS})
    room = services.room_save(actor=alice, values={"name": "Blue room", "capacity": 8})
    appoint(dave, make_position("Assistant", department=bob_position.department))
    head = make_position("Head of sales", ["activities.view_department_workreport"], department=bob_position.department)
    Position.objects.filter(pk=head.pk).update(is_manager=True)
    appoint(erin, head)
    bob_position.permissions.add(*perms(*IDENTITY_PERMS))  # bob sees the identities (not the VIP ones)
    return World(staff, team, board, room, dave, erin, build_identity_world(alice))


@pytest.fixture
def dave_api(world: World) -> APIClient:
    return token_client(world.dave)


@pytest.fixture
def erin_api(world: World) -> APIClient:
    return token_client(world.erin)


# --- calendars and rooms -------------------------------------------------------------------


def test_calendars_are_the_readable_ones_with_write_access_marked(
    bob_api: APIClient, charlie_api: APIClient, world: World
) -> None:
    body = bob_api.get("/api/v1/calendars/").json()
    assert {row["name"]: row["can_write"] for row in body["results"]} == {"Staff": False, "Team": True}
    assert "count" not in body and body["next"] is None

    assert ids(bob_api.get("/api/v1/calendars/", {"writable": "true"})) == [world.team.pk]
    assert ids(charlie_api.get("/api/v1/calendars/")) == [world.staff.pk]
    assert charlie_api.get(f"/api/v1/calendars/{world.staff.pk}/").json()["can_write"] is False
    assert_error(charlie_api.get(f"/api/v1/calendars/{world.team.pk}/"), 404, "not_found")
    assert_error(bob_api.get(f"/api/v1/calendars/{world.board.pk}/"), 404)


def test_rooms_in_use(charlie_api: APIClient, world: World) -> None:
    Room.objects.create(name="Old room", active=False)

    rows = charlie_api.get("/api/v1/rooms/").json()["results"]

    assert rows == [{"id": world.room.pk, "name": "Blue room", "location": "", "capacity": 8, "active": True}]


def test_lists_need_a_signed_in_caller(world: World) -> None:
    for url in ("/api/v1/calendars/", "/api/v1/meetings/", "/api/v1/tasks/", "/api/v1/calls/", "/api/v1/files/"):
        assert_error(APIClient().get(url), 401)


# --- appointments ------------------------------------------------------------------------------


def book(client: APIClient, world: World, **values: Any) -> Any:
    body = {"calendar": world.team.pk, "subject": "Weekly sales", "start": iso(at(1, 10)), "end": iso(at(1, 11))}
    return client.post("/api/v1/meetings/", {**body, **values}, format="json")


def test_booking_an_appointment_invites_and_links(bob_api: APIClient, alice: User, bob: User, world: World) -> None:
    sara = world.identities.identities["sara"]

    response = book(
        bob_api,
        world,
        room=world.room.pk,
        attendees=[alice.pk],
        identities=[sara.pk],
        invited_identities=[sara.pk],
        remind_minutes=15,
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["subject"] == "Weekly sales" and data["calendar"] == world.team.pk
    assert data["room"] == {"id": world.room.pk, "name": "Blue room"}
    assert data["organiser"]["username"] == "bob"
    assert data["attendees"] == [
        {"user": {"id": alice.pk, "username": "alice", "full_name": "Alice"}, "response": "invited"}
    ]
    assert data["identities"] == [{"id": sara.pk, "display_name": "Sara Ahmadi"}]
    assert data["invited_identities"] == [sara.pk]
    assert data["can_write"] is True and data["status"] == "planned" and data["custom"] == {}
    assert Notification.objects.filter(user=alice, kind="meeting.invited").exists()


def test_without_a_calendar_it_goes_to_ones_own(charlie_api: APIClient, charlie: User, world: World) -> None:
    response = book(charlie_api, world, calendar=None)

    assert response.status_code == 201, response.content
    own = Calendar.objects.get(pk=response.json()["calendar"])
    assert own.owner == charlie and own.kind == Calendar.Kind.PERSONAL


def test_a_read_only_calendar_refuses_with_403(charlie_api: APIClient, dave_api: APIClient, world: World) -> None:
    assert_error(book(charlie_api, world, calendar=world.staff.pk), 403, "calendar_read_only")
    assert_error(book(dave_api, world), 403, "calendar_read_only")  # dave only reads Team
    # a calendar one may not even read is "unknown", like a missing one
    error = assert_error(book(charlie_api, world), 400, "validation_error")
    assert "calendar" in error["fields"]
    assert not Meeting.objects.exists()


def test_a_taken_room_is_a_409_even_with_allow_busy_people(
    bob_api: APIClient, alice_api: APIClient, world: World
) -> None:
    assert book(alice_api, world, calendar=world.board.pk, room=world.room.pk, subject="Board").status_code == 201

    error = assert_error(
        book(bob_api, world, room=world.room.pk, start=iso(at(1, 10, 30)), allow_busy_people=True), 409, "room_busy"
    )

    assert "Blue room" in error["message"]
    assert "Board" not in error["message"]  # bob may not read the Board calendar: no subject
    assert Meeting.objects.count() == 1


def test_busy_people_are_a_409_unless_booked_anyway(bob_api: APIClient, alice: User, world: World) -> None:
    assert book(bob_api, world, attendees=[alice.pk]).status_code == 201

    error = assert_error(book(bob_api, world, subject="Clash", start=iso(at(1, 10, 30))), 409, "busy")
    assert "Bob" in error["message"]

    again = book(bob_api, world, subject="Clash", start=iso(at(1, 10, 30)), allow_busy_people=True)
    assert again.status_code == 201


def test_appointment_input_is_checked_at_the_edge(bob_api: APIClient, world: World) -> None:
    cases = [
        ({"end": iso(at(1, 9))}, "end"),
        ({"start": "0001-01-01T00:00:00Z"}, "start"),
        ({"attendees": [99999999]}, "attendees"),
        ({"identities": [world.identities.identities["hidden"].pk]}, "identities"),  # VIP: hidden from bob
        ({"room": 2**70}, "room"),
        ({"subject": "  "}, "subject"),
        ({"repeat": "HOURLY"}, "repeat"),
    ]
    for values, field in cases:
        error = assert_error(book(bob_api, world, **values), 400, "validation_error")
        assert field in error["fields"], (values, error)


def test_the_work_calendar_gives_occurrences_in_a_window(
    bob_api: APIClient, charlie_api: APIClient, alice_api: APIClient, bob: User, world: World
) -> None:
    daily = book(bob_api, world, subject="Stand-up", start=iso(at(1, 9)), end=iso(at(1, 9, 15)), repeat="DAILY")
    book(bob_api, world, subject="In the room", room=world.room.pk, start=iso(at(2, 14)), end=iso(at(2, 15)))
    book(alice_api, world, calendar=world.board.pk, subject="Board", start=iso(at(1, 12)), end=iso(at(1, 13)))
    window = {"since": iso(at(1, 0)), "until": iso(at(4, 0))}

    rows = bob_api.get("/api/v1/meetings/", window).json()["results"]

    assert [r["meeting"]["subject"] for r in rows] == ["Stand-up", "Stand-up", "In the room", "Stand-up"]
    assert rows[1]["start"] != rows[0]["start"] and rows[1]["meeting"]["id"] == daily.json()["id"]
    assert rows[0]["key"].startswith(f"{daily.json()['id']}:") and rows[0]["meeting"]["recurring"] is True
    in_room = bob_api.get("/api/v1/meetings/", {**window, "room": world.room.pk}).json()["results"]
    assert [r["meeting"]["subject"] for r in in_room] == ["In the room"]
    assert ids(charlie_api.get("/api/v1/meetings/", window)) == []  # Team is not his
    mine = alice_api.get("/api/v1/meetings/", {**window, "user": bob.pk}).json()["results"]
    assert {r["meeting"]["subject"] for r in mine} == {"Stand-up", "In the room"}
    assert_error(bob_api.get("/api/v1/meetings/", {"since": iso(at(1)), "until": iso(at(0))}), 400)
    assert_error(bob_api.get("/api/v1/meetings/", {"since": iso(at(1)), "until": iso(at(500))}), 400)


def test_appointments_others_may_not_see_are_404(
    bob_api: APIClient, charlie_api: APIClient, charlie: User, world: World
) -> None:
    hidden = book(bob_api, world).json()["id"]
    invited = book(bob_api, world, subject="With Charlie", start=iso(at(2)), end=iso(at(2, 11)), attendees=[charlie.pk])

    for method in ("get", "put", "patch", "delete"):
        assert_error(getattr(charlie_api, method)(f"/api/v1/meetings/{hidden}/", {}, format="json"), 404)
    for action in ("cancel", "respond"):
        assert_error(charlie_api.post(f"/api/v1/meetings/{hidden}/{action}/", {}, format="json"), 404)
    # an attendee sees the appointment, but may not change it
    seen = charlie_api.get(f"/api/v1/meetings/{invited.json()['id']}/").json()
    assert seen["subject"] == "With Charlie" and seen["can_write"] is False
    assert_error(
        charlie_api.patch(f"/api/v1/meetings/{seen['id']}/", {"subject": "Mine"}, format="json"),
        403,
        "calendar_read_only",
    )


def test_moving_cancelling_answering_and_deleting(
    bob_api: APIClient, dave_api: APIClient, world: World, bob: User
) -> None:
    meeting = book(bob_api, world, attendees=[world.dave.pk]).json()
    url = f"/api/v1/meetings/{meeting['id']}/"

    moved = bob_api.patch(url, {"start": iso(at(3, 10)), "end": iso(at(3, 12)), "custom": {}}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["attendees"][0]["user"]["id"] == world.dave.pk  # left out: kept
    assert_error(bob_api.patch(url, {"end": iso(at(3, 9))}, format="json"), 400)
    assert_error(bob_api.put(url, {"subject": "Only"}, format="json"), 400)  # PUT needs the times

    answered = dave_api.post(f"{url}respond/", {"response": "accepted"}, format="json")
    assert answered.json()["attendees"][0]["response"] == "accepted"
    assert_error(bob_api.post(f"{url}respond/", {"response": "accepted"}, format="json"), 403, "not_allowed")
    assert_error(dave_api.post(f"{url}respond/", {"response": "maybe"}, format="json"), 400)

    assert bob_api.post(f"{url}cancel/").json()["status"] == "cancelled"
    assert Notification.objects.filter(user=world.dave, kind="meeting.changed").exists()

    assert bob_api.delete(url).status_code == 204
    assert_error(bob_api.get(url), 404)


def test_the_appointment_cartable(bob_api: APIClient, dave_api: APIClient, world: World) -> None:
    book(bob_api, world, attendees=[world.dave.pk])

    assert [
        m["subject"] for m in dave_api.get("/api/v1/meetings/cartable/", {"box": "invitations"}).json()["results"]
    ] == ["Weekly sales"]
    assert ids(bob_api.get("/api/v1/meetings/cartable/", {"box": "invitations"})) == []
    assert len(ids(bob_api.get("/api/v1/meetings/cartable/", {"box": "organised"}))) == 1
    assert_error(bob_api.get("/api/v1/meetings/cartable/", {"box": "nope"}), 400)


def test_free_busy_tells_who_and_when_without_private_details(
    alice_api: APIClient, bob_api: APIClient, charlie_api: APIClient, alice: User, bob: User, world: World
) -> None:
    book(alice_api, world, calendar=world.board.pk, subject="Board", room=world.room.pk, attendees=[bob.pk])
    query = {"start": iso(at(1, 10, 30)), "end": iso(at(1, 12)), "users": [alice.pk, bob.pk], "room": world.room.pk}

    body = charlie_api.get("/api/v1/freebusy/", query).json()

    assert body["free"] is False
    assert sorted((c["kind"], (c["user"] or c["room"])["id"]) for c in body["conflicts"]) == sorted(
        [("user", alice.pk), ("user", bob.pk), ("room", world.room.pk)]
    )
    assert {(c["meeting"], c["subject"]) for c in body["conflicts"]} == {(None, None)}  # not his to see
    seen = bob_api.get("/api/v1/freebusy/", query).json()["conflicts"]
    assert {c["subject"] for c in seen} == {"Board"}  # bob attends it
    later = charlie_api.get("/api/v1/freebusy/", {**query, "start": iso(at(1, 11)), "end": iso(at(1, 12))}).json()
    assert later == {"free": True, "conflicts": []}
    assert_error(charlie_api.get("/api/v1/freebusy/", {"start": iso(at(1)), "end": iso(at(1, 11))}), 400)
    assert_error(charlie_api.get("/api/v1/freebusy/", {**query, "end": iso(at(60))}), 400)


# --- tasks -------------------------------------------------------------------------------------------


def make_task(client: APIClient, **values: Any) -> dict[str, Any]:
    response = client.post("/api/v1/tasks/", {"title": "Call the customer", **values}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_charlie_sees_none_of_bobs_tasks(bob_api: APIClient, charlie_api: APIClient, world: World) -> None:
    task = make_task(bob_api)

    assert ids(bob_api.get("/api/v1/tasks/")) == [task["id"]]
    assert ids(charlie_api.get("/api/v1/tasks/")) == []
    assert ids(charlie_api.get("/api/v1/tasks/", {"box": "received"})) == []
    for method in ("get", "put", "patch", "delete"):
        assert_error(getattr(charlie_api, method)(f"/api/v1/tasks/{task['id']}/", {}, format="json"), 404)
    for action in ("refer", "done"):
        assert_error(charlie_api.post(f"/api/v1/tasks/{task['id']}/{action}/", {}, format="json"), 404)


def test_a_task_for_oneself_with_identities_and_the_output_shape(bob_api: APIClient, bob: User, world: World) -> None:
    sara = world.identities.identities["sara"]

    task = make_task(bob_api, priority=3, due_at=iso(at(2)), identity_ids=[sara.pk], description="Ask about the offer")

    assert task["status"]["code"] == "open" and task["priority"] == 3 and task["closed_at"] is None
    assert task["identities"] == [{"id": sara.pk, "display_name": "Sara Ahmadi"}]
    assert [(a["user"]["id"], a["state"]) for a in task["assignees"]] == [(bob.pk, "open")]
    assert task["referrals"] == [] and task["created_by"]["id"] == bob.pk and task["custom"] == {}
    row = bob_api.get("/api/v1/tasks/", {"box": "received"}).json()["results"][0]
    assert row["id"] == task["id"] and row["row"]["state"] == "open" and row["row"]["received_at"]


def test_refer_and_done_keep_the_chain(
    bob_api: APIClient, dave_api: APIClient, erin_api: APIClient, bob: User, world: World
) -> None:
    task = make_task(bob_api, user_ids=[world.dave.pk])
    url = f"/api/v1/tasks/{task['id']}/"
    assert ids(dave_api.get("/api/v1/tasks/", {"box": "received"})) == [task["id"]]

    assert_error(bob_api.post(f"{url}refer/", {"to_user": world.erin.pk}, format="json"), 403, "not_assigned")
    assert_error(dave_api.post(f"{url}refer/", {"to_user": world.dave.pk}, format="json"), 400, "refer_to_self")
    referred = dave_api.post(f"{url}refer/", {"to_user": world.erin.pk, "note": "Erin knows them"}, format="json")
    assert referred.status_code == 200, referred.content
    chain = referred.json()["referrals"]
    assert [(r["from_user"]["id"], r["to_user"]["id"], r["note"]) for r in chain] == [
        (world.dave.pk, world.erin.pk, "Erin knows them")
    ]
    assert ids(dave_api.get("/api/v1/tasks/", {"box": "referred"})) == [task["id"]]
    assert ids(erin_api.get("/api/v1/tasks/", {"box": "received"})) == [task["id"]]

    done = erin_api.post(f"{url}done/", {"note": "Called"}, format="json").json()
    assert done["status"]["code"] == "done" and done["closed_at"]
    assert ids(erin_api.get("/api/v1/tasks/", {"box": "done"})) == [task["id"]]
    assert ids(bob_api.get("/api/v1/tasks/", {"box": "created"})) == [task["id"]]
    assert_error(erin_api.post(f"{url}done/", {}, format="json"), 409, "already_closed")
    assert_error(erin_api.post(f"{url}refer/", {"to_user": bob.pk}, format="json"), 409, "already_closed")


def test_overdue_box(dave_api: APIClient, world: World) -> None:
    task = make_task(dave_api, due_at=iso(timezone.now() - dt.timedelta(hours=1)))
    make_task(dave_api, title="Later", due_at=iso(at(5)))

    assert ids(dave_api.get("/api/v1/tasks/", {"box": "overdue"})) == [task["id"]]
    assert_error(dave_api.get("/api/v1/tasks/", {"box": "everything"}), 400)


def test_a_task_to_a_position_and_a_workflow(
    alice_api: APIClient,
    bob_api: APIClient,
    dave_api: APIClient,
    alice: User,
    bob: User,
    bob_position: Position,
    world: World,
) -> None:
    to_post = make_task(alice_api, position_ids=[bob_position.pk])
    assert [(a["user"]["id"], a["position"]) for a in to_post["assignees"]] == [(bob.pk, bob_position.pk)]

    task_type = services.task_type_save(
        actor=alice,
        name="Offer",
        steps=[{"title": "Draft", "user_id": world.dave.pk}, {"title": "Approve", "user_id": bob.pk}],
    )
    types = bob_api.get("/api/v1/task-types/").json()["results"]
    assert [(t["name"], [s["title"] for s in t["steps"]]) for t in types] == [("Offer", ["Draft", "Approve"])]

    flow = make_task(bob_api, task_type=task_type.pk)
    assert [(a["user"]["id"], a["state"]) for a in flow["assignees"]] == [(world.dave.pk, "open"), (bob.pk, "waiting")]
    dave_api.post(f"/api/v1/tasks/{flow['id']}/done/", {}, format="json")
    assert ids(bob_api.get("/api/v1/tasks/", {"box": "received"})) == [flow["id"], to_post["id"]]


def test_task_statuses_and_bad_task_input(bob_api: APIClient, world: World) -> None:
    statuses = bob_api.get("/api/v1/task-statuses/").json()["results"]
    assert [s["code"] for s in statuses] == ["open", "in_progress", "done", "cancelled"]
    assert all(s["is_system"] for s in statuses)

    for values, field in [
        ({"user_ids": [99999999]}, "user_ids"),
        ({"position_ids": [99999999]}, "position_ids"),
        ({"identity_ids": [world.identities.identities["hidden"].pk]}, "identity_ids"),
        ({"status": 99999999}, "status"),
        ({"priority": 9}, "priority"),
        ({"title": ""}, "title"),
        ({"due_at": "9999-12-31T23:59:59Z"}, "due_at"),
    ]:
        error = assert_error(bob_api.post("/api/v1/tasks/", {"title": "T", **values}, format="json"), 400)
        assert field in error["fields"], (values, error)


def test_updating_and_deleting_a_task(bob_api: APIClient, dave_api: APIClient, world: World) -> None:
    task = make_task(bob_api, user_ids=[world.dave.pk])
    url = f"/api/v1/tasks/{task['id']}/"
    in_progress = next(s for s in bob_api.get("/api/v1/task-statuses/").json()["results"] if s["code"] == "in_progress")

    changed = dave_api.patch(url, {"status": in_progress["id"], "priority": 4}, format="json").json()
    assert changed["status"]["code"] == "in_progress" and changed["priority"] == 4
    assert TaskAssignee.objects.get(task_id=task["id"]).priority == 4
    assert bob_api.put(url, {"title": "Renamed"}, format="json").json()["title"] == "Renamed"
    assert_error(bob_api.put(url, {"priority": 1}, format="json"), 400)  # PUT needs the title

    assert_error(dave_api.delete(url), 403, "not_allowed")  # only the creator (or delete_all_task)
    assert bob_api.delete(url).status_code == 204
    assert_error(bob_api.get(url), 404)


def test_task_lists_are_paged_without_counting(bob_api: APIClient, world: World) -> None:
    for i in range(5):
        make_task(bob_api, title=f"Task {i}")

    with CaptureQueriesContext(connection) as queries:
        first = bob_api.get("/api/v1/tasks/", {"page_size": 2}).json()
    assert [t["title"] for t in first["results"]] == ["Task 4", "Task 3"]
    assert set(first) == {"next", "previous", "results"} and first["previous"] is None
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    second = bob_api.get(first["next"]).json()
    assert [t["title"] for t in second["results"]] == ["Task 2", "Task 1"] and second["previous"]
    assert_error(bob_api.get("/api/v1/tasks/", {"page_size": 2, "page": 4}), 404)
    assert_error(bob_api.get("/api/v1/tasks/", {"page_size": 500}), 400)


# --- calls ------------------------------------------------------------------------------------------


def log_call(client: APIClient, **values: Any) -> Any:
    body = {"direction": "in", "their_number": "0912 123 4567", "subject": "Price question"}
    return client.post("/api/v1/calls/", {**body, **values}, format="json")


def test_logging_a_call_finds_the_identity_and_is_idempotent_with_an_external_id(
    bob_api: APIClient, bob: User, world: World
) -> None:
    first = log_call(bob_api, external_id="pbx-1", duration_seconds=95)
    again = log_call(bob_api, external_id="pbx-1", subject="Changed?")

    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    data = first.json()
    sara = world.identities.identities["sara"]
    assert data["their_number"] == "+989121234567" and data["duration_seconds"] == 95
    assert data["identity"] == {"id": sara.pk, "display_name": "Sara Ahmadi"}
    assert data["user"]["id"] == bob.pk and data["external_id"] == "pbx-1" and data["recording"] is None
    assert Call.objects.count() == 1
    assert log_call(bob_api, external_id="pbx-2").status_code == 201


def test_charlie_sees_none_of_bobs_calls_nor_their_external_ids(
    bob_api: APIClient, charlie_api: APIClient, world: World
) -> None:
    call = log_call(bob_api, external_id="pbx-9").json()

    assert ids(charlie_api.get("/api/v1/calls/")) == []
    for method in ("get", "put", "patch", "delete"):
        assert_error(getattr(charlie_api, method)(f"/api/v1/calls/{call['id']}/", {}, format="json"), 404)
    error = assert_error(log_call(charlie_api, external_id="pbx-9"), 409, "external_id_taken")
    assert "Price" not in str(error)
    assert Call.objects.count() == 1


def test_call_identity_shown_only_when_visible(charlie_api: APIClient, world: World) -> None:
    data = log_call(charlie_api).json()  # sara's number, but charlie may not see identities

    assert data["identity"] is None
    assert charlie_api.get("/api/v1/calls/").json()["results"][0]["identity"] is None


def test_call_input_and_changes(bob_api: APIClient, world: World) -> None:
    error = assert_error(log_call(bob_api, their_number="not a phone"), 400, "number_invalid")
    assert "their_number" in error["fields"]
    assert_error(log_call(bob_api, direction="sideways"), 400)
    call = log_call(bob_api).json()
    url = f"/api/v1/calls/{call['id']}/"
    ali = world.identities.identities["ali"]

    changed = bob_api.patch(url, {"identity": ali.pk, "description": "Wants a discount"}, format="json").json()
    assert changed["identity"]["id"] == ali.pk and changed["description"] == "Wants a discount"
    assert bob_api.get("/api/v1/calls/", {"identity": ali.pk}).json()["results"][0]["id"] == call["id"]
    assert ids(bob_api.get("/api/v1/calls/", {"identity": world.identities.identities["sara"].pk})) == []
    assert bob_api.delete(url).status_code == 204
    assert_error(bob_api.get(url), 404)


# --- notes -------------------------------------------------------------------------------------------


@pytest.fixture
def note_fields(alice: User) -> None:
    custom_field_define(
        actor=alice, model=Note, key="topic", kind=CustomFieldDefinition.Kind.TEXT, labels={"en": "Topic"}
    )
    custom_field_define(
        actor=alice, model=Note, key="hours", kind=CustomFieldDefinition.Kind.NUMBER, labels={"en": "Hours"}
    )


def test_notes_are_sanitised_linked_and_private(
    bob_api: APIClient, charlie_api: APIClient, world: World, note_fields: None
) -> None:
    sara = world.identities.identities["sara"]
    body = {
        "title": "Visit",
        "body": '<p>Met <b>Sara</b><script>alert(1)</script><a href="javascript:x()">x</a></p>',
        "identity_ids": [sara.pk],
        "custom": {"topic": "offer", "hours": 2},
    }

    created = bob_api.post("/api/v1/notes/", body, format="json")

    assert created.status_code == 201, created.content
    note = created.json()
    assert "<script" not in note["body"] and "javascript:" not in note["body"] and "<b>Sara</b>" in note["body"]
    assert note["identities"] == [{"id": sara.pk, "display_name": "Sara Ahmadi"}]
    assert note["custom"] == {"topic": "offer", "hours": 2}
    assert ids(charlie_api.get("/api/v1/notes/")) == []
    for method in ("get", "put", "patch", "delete"):
        assert_error(getattr(charlie_api, method)(f"/api/v1/notes/{note['id']}/", {}, format="json"), 404)

    changed = bob_api.patch(f"/api/v1/notes/{note['id']}/", {"title": "Visit 2"}, format="json").json()
    assert changed["title"] == "Visit 2" and changed["body"] == note["body"]  # left out: kept
    error = assert_error(
        bob_api.patch(f"/api/v1/notes/{note['id']}/", {"custom": {"hours": "many"}}, format="json"), 400
    )
    assert "hours" in error["fields"]["custom"]
    assert bob_api.delete(f"/api/v1/notes/{note['id']}/").status_code == 204


# Custom values given to an update are validated, merged by key, saved and audited.


def _custom_field(actor: User, model: type) -> None:
    custom_field_define(
        actor=actor, model=model, key="hours", kind=CustomFieldDefinition.Kind.NUMBER, labels={"en": "H"}
    )


def _new_meeting(client: APIClient, world: World) -> str:
    return f"/api/v1/meetings/{book(client, world, custom={'hours': 2}).json()['id']}/"


def _new_task(client: APIClient, world: World) -> str:
    return f"/api/v1/tasks/{make_task(client, custom={'hours': 2})['id']}/"


def _new_call(client: APIClient, world: World) -> str:
    return f"/api/v1/calls/{log_call(client, custom={'hours': 2}).json()['id']}/"


def _new_note(client: APIClient, world: World) -> str:
    note = client.post("/api/v1/notes/", {"title": "N", "custom": {"hours": 2}}, format="json").json()
    return f"/api/v1/notes/{note['id']}/"


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (Meeting, _new_meeting),
        pytest.param(Task, _new_task),
        pytest.param(Call, _new_call),
        pytest.param(Note, _new_note),
    ],
)
def test_custom_values_are_kept_and_changed(
    bob_api: APIClient, alice: User, world: World, model: type, make: Any
) -> None:
    _custom_field(alice, model)
    url = make(bob_api, world)
    assert bob_api.get(url).json()["custom"] == {"hours": 2}

    changed = bob_api.patch(url, {"custom": {"hours": 3}}, format="json")

    assert changed.status_code == 200, changed.content
    assert changed.json()["custom"] == {"hours": 3}
    assert bob_api.get(url).json()["custom"] == {"hours": 3}


# --- files ---------------------------------------------------------------------------------------------


def upload(client: APIClient, name: str = "offer.pdf", content: bytes = PDF, **values: Any) -> Any:
    return client.post("/api/v1/files/", {"upload": SimpleUploadedFile(name, content), **values}, format="multipart")


def test_files_are_uploaded_with_versions_and_download_addresses(
    bob_api: APIClient, charlie_api: APIClient, world: World, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    sara = world.identities.identities["sara"]

    created = upload(bob_api, title="Offer", identity_ids=[sara.pk], custom="{}")

    assert created.status_code == 201, created.content
    document = created.json()
    assert document["title"] == "Offer" and document["identities"][0]["id"] == sara.pk
    file = document["file"]
    assert [v["number"] for v in file["versions"]] == [1]
    assert file["versions"][0]["content_type"] == "application/pdf" and file["versions"][0]["size"] == len(PDF)
    assert file["download_url"].endswith(f"/files/{file['public_id']}/")
    assert file["versions"][0]["download_url"].endswith("?v=1")
    downloaded = bob_api.get(file["api_download_url"])
    assert downloaded.status_code == 200 and b"".join(downloaded.streaming_content) == PDF

    url = f"/api/v1/files/{document['id']}/"
    second = bob_api.post(f"{url}versions/", {"upload": SimpleUploadedFile("v2.pdf", PDF + b"%v2")}, format="multipart")
    assert second.status_code == 201, second.content
    assert [v["number"] for v in second.json()["file"]["versions"]] == [2, 1]

    assert ids(charlie_api.get("/api/v1/files/")) == []
    assert_error(charlie_api.get(url), 404)
    assert_error(charlie_api.get(file["api_download_url"]), 404)
    assert_error(
        charlie_api.post(f"{url}versions/", {"upload": SimpleUploadedFile("x.pdf", PDF)}, format="multipart"), 404
    )
    assert_error(charlie_api.delete(url), 404)
    assert bob_api.delete(url).status_code == 204


def test_file_uploads_are_checked(bob_api: APIClient, world: World, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path

    assert_error(upload(bob_api, name="fake.pdf", content=b"MZ not a pdf"), 400, "file_type_refused")
    assert_error(upload(bob_api, name="tool.exe", content=b"MZ"), 400, "file_type_refused")
    assert_error(upload(bob_api, custom="[1, 2]"), 400, "validation_error")
    error = assert_error(bob_api.post("/api/v1/files/", {"title": "No file"}, format="multipart"), 400)
    assert "upload" in error["fields"]
    assert_error(bob_api.post("/api/v1/files/", {"title": "JSON"}, format="json"), 415)


# --- work reports -----------------------------------------------------------------------------------


def test_work_reports_own_and_managed(
    bob_api: APIClient, charlie_api: APIClient, erin_api: APIClient, dave_api: APIClient, bob: User, world: World
) -> None:
    sara = world.identities.identities["sara"]
    today = timezone.localdate()
    body = {
        "date_from": today.isoformat(),
        "summary": "Calls and visits",
        "lines": [{"identity": sara.pk, "text": "Visited Sara", "minutes": 60}, {"text": "Paperwork"}],
    }

    created = bob_api.post("/api/v1/work-reports/", body, format="json")

    assert created.status_code == 201, created.content
    report = created.json()
    assert report["period"] == "daily" and report["date_to"] == today.isoformat() and report["submitted_at"] is None
    assert [(line["identity"], line["text"]) for line in report["lines"]] == [
        ({"id": sara.pk, "display_name": "Sara Ahmadi"}, "Visited Sara"),
        (None, "Paperwork"),
    ]
    assert_error(bob_api.post("/api/v1/work-reports/", body, format="json"), 409, "report_exists")
    weekly = bob_api.post("/api/v1/work-reports/", {**body, "period": "weekly", "lines": []}, format="json").json()
    assert weekly["date_to"] == (today + dt.timedelta(days=6)).isoformat()

    assert ids(charlie_api.get("/api/v1/work-reports/")) == []
    assert_error(charlie_api.get(f"/api/v1/work-reports/{report['id']}/"), 404)
    assert ids(dave_api.get("/api/v1/work-reports/")) == []  # same department, but no manager
    assert set(ids(erin_api.get("/api/v1/work-reports/", {"user": bob.pk}))) == {report["id"], weekly["id"]}
    assert_error(erin_api.patch(f"/api/v1/work-reports/{report['id']}/", {"summary": "x"}, format="json"), 403)

    url = f"/api/v1/work-reports/{report['id']}/"
    changed = bob_api.patch(url, {"summary": "Busy day"}, format="json").json()
    assert changed["summary"] == "Busy day" and len(changed["lines"]) == 2  # lines left out: kept
    assert_error(bob_api.patch(url, {"date_to": (today - dt.timedelta(days=1)).isoformat()}, format="json"), 400)
    submitted = bob_api.post(f"{url}submit/").json()
    assert submitted["submitted_at"] and [line["text"] for line in submitted["lines"]] == ["Visited Sara", "Paperwork"]
    assert_error(bob_api.post(f"{url}submit/"), 409, "report_submitted")
    assert_error(bob_api.patch(url, {"summary": "Later"}, format="json"), 409, "report_submitted")


# --- cost --------------------------------------------------------------------------------------------


def _tasks(bob: User, world: World, start: int, n: int) -> None:
    for i in range(start, start + n):
        services.task_create(
            actor=bob, values={"title": f"T{i}"}, identity_ids=[world.identities.identities["sara"].pk]
        )


def _calls(bob: User, world: World, start: int, n: int) -> None:
    for i in range(start, start + n):
        services.call_log(
            actor=bob, values={"direction": "out", "identity": world.identities.identities["ali"], "subject": f"C{i}"}
        )


def _notes(bob: User, world: World, start: int, n: int) -> None:
    for i in range(start, start + n):
        services.note_create(actor=bob, title=f"N{i}")


def _reports(bob: User, world: World, start: int, n: int) -> None:
    sara = world.identities.identities["sara"].pk
    for i in range(start, start + n):
        day = timezone.localdate() - dt.timedelta(days=i)
        services.work_report_save(
            actor=bob, values={"date_from": day}, lines=[{"text": "x", "identity_id": sara}, {"text": "y"}]
        )


def _meetings(bob: User, world: World, start: int, n: int) -> None:
    for i in range(start, start + n):
        values = {"calendar": world.team, "subject": f"M{i}", "start": at(1, 8 + i), "end": at(1, 8 + i, 30)}
        services.meeting_create(actor=bob, values=values)


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/api/v1/tasks/", _tasks),
        ("/api/v1/tasks/?box=received", _tasks),
        ("/api/v1/calls/", _calls),
        ("/api/v1/notes/", _notes),
        ("/api/v1/work-reports/", _reports),
        ("/api/v1/meetings/", _meetings),
    ],
)
def test_list_queries_do_not_grow_with_rows(bob_api: APIClient, bob: User, world: World, url: str, make: Any) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = bob_api.get(url)
        assert response.status_code == 200, response.content[:300]
        return len(queries.captured_queries)

    make(bob, world, 0, 2)
    few = count()
    make(bob, world, 2, 4)

    assert count() == few


def test_options_on_detail_routes(bob_api: APIClient, charlie_api: APIClient, world: World) -> None:
    """DRF's OPTIONS answer asks the view for its object on routes that take PUT."""
    urls = [
        f"/api/v1/meetings/{book(bob_api, world).json()['id']}/",
        f"/api/v1/tasks/{make_task(bob_api)['id']}/",
        f"/api/v1/calls/{log_call(bob_api).json()['id']}/",
        f"/api/v1/notes/{bob_api.post('/api/v1/notes/', {'title': 'N'}, format='json').json()['id']}/",
    ]
    for url in urls:
        assert bob_api.options(url).status_code == 200, url
        assert charlie_api.options(url).status_code == 200, url  # nothing about the item in it
        assert "PUT" not in charlie_api.options(url).json().get("actions", {})
