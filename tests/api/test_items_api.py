"""/api/v1/ for what hangs on any CRM item (comments with mentions, personal follow-ups,
attachments with versions), the caller's notifications and mentions, and the global CRM
history. The item's own access rules decide: an item one may not see is a 404 on every
path, whoever asks (an unknown item type or a missing item too, even for alice).

World: bob's phone call about Sara and bob's note about her (bob may see identities,
charlie may see none of it), and dave in the Sales department (code SALES, he may see every
call) for @department mentions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from crm.activities import services
from crm.activities.models import Call, Note
from crm.core.items.models import Mention
from crm.core.notifications.models import Notification
from crm.identities.models import Identity
from crm.identities.services import identity_create
from crm.identities.testing import IDENTITY_PERMS
from crm.org.models import Department, Position, User
from crm.org.testing import appoint, fresh, make_position, make_user, perms
from tests.api.support import assert_error, token_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
CALL = "activities.call"
NOTE = "activities.note"


@dataclass
class World:
    call: Call
    note: Note
    sara: Identity
    dave: User


@pytest.fixture
def world(alice: User, bob: User, charlie: User, bob_position: Position) -> World:
    bob_position.permissions.add(*perms(*IDENTITY_PERMS))  # bob may link his items to Sara
    bob = fresh(bob)
    sara = identity_create(actor=alice, first_name="Sara", last_name="Ahmadi")
    call = services.call_log(actor=bob, values={"direction": "in", "subject": "Price question", "identity": sara})
    note = services.note_create(actor=bob, title="Visit notes", identity_ids=[sara.pk])
    sales = Department.objects.create(name="Sales", code="SALES", path="")
    sales.path = f"{sales.pk:06d}."
    sales.save(update_fields=["path"])
    dave = make_user("dave", first_name="Dave")
    appoint(dave, make_position("Seller", ["activities.view_all_call"], department=sales))
    return World(call, note, sara, dave)


def item_url(item_type: str, item_id: Any, what: str) -> str:
    return f"/api/v1/items/{item_type}/{item_id}/{what}/"


@pytest.fixture
def dave_api(world: World) -> APIClient:
    return token_client(world.dave)


# --- comments and mentions ------------------------------------------------------------------


def test_comments_with_threads_and_mentions(
    bob_api: APIClient, alice_api: APIClient, alice: User, world: World
) -> None:
    url = item_url(CALL, world.call.pk, "comments")

    first = bob_api.post(url, {"body": "Please check the price @alice and @SALES"}, format="json")
    assert first.status_code == 201, first.content
    comment = first.json()
    assert comment["author"]["username"] == "bob" and comment["parent"] is None and comment["replies"] == []
    reply = alice_api.post(url, {"body": "Done", "parent": comment["id"]}, format="json").json()
    assert reply["parent"] == comment["id"]

    body = bob_api.get(url).json()
    assert set(body) == {"next", "previous", "results"}
    assert [(c["id"], [r["id"] for r in c["replies"]]) for c in body["results"]] == [(comment["id"], [reply["id"]])]
    # alice is mentioned; dave through his department (he may see every call); bob wrote it
    assert set(Mention.objects.values_list("user__username", flat=True)) == {"alice", "dave"}
    assert Notification.objects.filter(user=alice, kind="comment.mention").count() == 1


def test_nobody_comments_on_what_he_may_not_see(
    charlie_api: APIClient, alice_api: APIClient, bob_api: APIClient, world: World
) -> None:
    url = item_url(CALL, world.call.pk, "comments")
    bob_api.post(url, {"body": "Secret price"}, format="json")

    assert_error(charlie_api.get(url), 404, "not_found")
    assert_error(charlie_api.post(url, {"body": "Hello"}, format="json"), 404)
    assert_error(alice_api.get(item_url("nothing.here", 1, "comments")), 404)
    assert_error(alice_api.post(item_url(CALL, 99999, "comments"), {"body": "x"}, format="json"), 404)
    assert_error(alice_api.get(item_url(CALL, "x" * 80, "comments")), 404)
    assert_error(alice_api.get(item_url(CALL, "9" * 30, "comments")), 404)  # no overflow in the lookup
    assert_error(alice_api.get(item_url(CALL, "۱", "comments")), 404)  # one item, one key: no Persian alias


def test_comment_input_edits_and_deletes(bob_api: APIClient, alice_api: APIClient, world: World) -> None:
    on_note = bob_api.post(item_url(NOTE, world.note.pk, "comments"), {"body": "On the note"}, format="json").json()
    url = item_url(CALL, world.call.pk, "comments")

    error = assert_error(bob_api.post(url, {"body": "Reply", "parent": on_note["id"]}, format="json"), 400)
    assert "parent" in error["fields"]
    assert_error(bob_api.post(url, {"body": ""}, format="json"), 400, "validation_error")
    assert_error(bob_api.post(url, {"body": "   "}, format="json"), 400)

    comment = bob_api.post(url, {"body": "Frist"}, format="json").json()
    edited = bob_api.patch(f"{url}{comment['id']}/", {"body": "First"}, format="json").json()
    assert edited["body"] == "First" and edited["edited_at"]
    assert_error(alice_api.patch(f"{url}{comment['id']}/", {"body": "Mine"}, format="json"), 403, "not_author")
    assert_error(bob_api.patch(f"{url}{on_note['id']}/", {"body": "x"}, format="json"), 404)  # another item's
    assert bob_api.delete(f"{url}{comment['id']}/").status_code == 204
    assert bob_api.get(url).json()["results"] == []


def test_mentions_and_notifications_are_ones_own(
    bob_api: APIClient, alice_api: APIClient, charlie_api: APIClient, world: World
) -> None:
    bob_api.post(item_url(CALL, world.call.pk, "comments"), {"body": "@alice look"}, format="json")

    mentions = alice_api.get("/api/v1/mentions/").json()["results"]
    assert [(m["via"], m["comment"]["body"], m["comment"]["item_type"]) for m in mentions] == [
        ("alice", "@alice look", CALL)
    ]
    assert mentions[0]["seen_at"] is None and mentions[0]["comment"]["author"]["username"] == "bob"
    assert bob_api.get("/api/v1/mentions/").json()["results"] == []
    assert alice_api.post("/api/v1/mentions/seen/", {"ids": [mentions[0]["id"]]}, format="json").json() == {"marked": 1}
    assert alice_api.get("/api/v1/mentions/", {"unseen": "true"}).json()["results"] == []

    notes = alice_api.get("/api/v1/notifications/", {"unread": "true"}).json()["results"]
    assert [n["kind"] for n in notes] == ["comment.mention"] and notes[0]["item_id"] == str(world.call.pk)
    assert charlie_api.get("/api/v1/notifications/").json()["results"] == []
    assert charlie_api.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 0}
    assert alice_api.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 1}
    assert alice_api.get("/api/v1/notifications/", {"unread": "true"}).json()["results"] == []
    assert_error(alice_api.post("/api/v1/notifications/read/", {"ids": ["x"]}, format="json"), 400)


# --- follow-ups ---------------------------------------------------------------------------------


def tomorrow(hour: int = 9) -> str:
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour))).isoformat()


def test_follow_ups_are_personal(
    bob_api: APIClient, alice_api: APIClient, charlie_api: APIClient, world: World
) -> None:
    url = item_url(CALL, world.call.pk, "followups")

    created = bob_api.post(url, {"due_at": tomorrow(), "note": "Call back"}, format="json")
    assert created.status_code == 201, created.content
    mine = created.json()
    assert mine["note"] == "Call back" and mine["remind"] is True and mine["item_id"] == str(world.call.pk)
    alices = alice_api.post(url, {"due_at": tomorrow(10)}, format="json").json()

    assert [f["id"] for f in bob_api.get(url).json()["results"]] == [mine["id"]]
    assert [f["id"] for f in bob_api.get("/api/v1/followups/").json()["results"]] == [mine["id"]]
    assert_error(bob_api.get(f"{url}{alices['id']}/"), 404)  # someone else's: not found
    assert_error(bob_api.delete(f"{url}{alices['id']}/"), 404)
    assert_error(charlie_api.get(url), 404)
    assert_error(charlie_api.post(url, {"due_at": tomorrow()}, format="json"), 404)


def test_follow_up_changes(bob_api: APIClient, world: World) -> None:
    url = item_url(NOTE, world.note.pk, "followups")
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()

    assert_error(bob_api.post(url, {"due_at": past}, format="json"), 400, "due_in_past")
    assert bob_api.post(url, {"due_at": past, "remind": False}, format="json").status_code == 201
    assert_error(bob_api.post(url, {"due_at": "2999-01-01T00:00:00Z"}, format="json"), 400, "validation_error")
    followup = bob_api.post(url, {"due_at": tomorrow(), "note": "Read it"}, format="json").json()
    detail = f"{url}{followup['id']}/"

    moved = bob_api.patch(detail, {"due_at": tomorrow(15)}, format="json").json()
    assert moved["due_at"] != followup["due_at"] and moved["note"] == "Read it"
    done = bob_api.post(f"{detail}done/", {}, format="json").json()
    assert done["done_at"]
    assert len(bob_api.get("/api/v1/followups/").json()["results"]) == 1  # the done one is left out
    assert len(bob_api.get("/api/v1/followups/", {"include_done": "true"}).json()["results"]) == 2
    assert bob_api.post(f"{detail}done/", {"done": False}, format="json").json()["done_at"] is None
    assert bob_api.delete(detail).status_code == 204
    assert_error(bob_api.get(detail), 404)


# --- attachments ----------------------------------------------------------------------------------


def test_attachments_with_versions(
    bob_api: APIClient, alice_api: APIClient, charlie_api: APIClient, world: World, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    url = item_url(NOTE, world.note.pk, "attachments")

    created = bob_api.post(url, {"upload": SimpleUploadedFile("scan.png", PNG), "name": "Scan"}, format="multipart")

    assert created.status_code == 201, created.content
    attachment = created.json()
    assert attachment["name"] == "Scan" and attachment["created_by"]["username"] == "bob"
    assert [(v["number"], v["content_type"]) for v in attachment["versions"]] == [(1, "image/png")]
    assert attachment["download_url"].endswith(f"/files/{attachment['public_id']}/")
    detail = f"{url}{attachment['public_id']}/"
    version = bob_api.post(
        f"{detail}versions/", {"upload": SimpleUploadedFile("v2.png", PNG + b"2")}, format="multipart"
    )
    assert [v["number"] for v in version.json()["versions"]] == [2, 1]
    assert [a["public_id"] for a in bob_api.get(url).json()["results"]] == [attachment["public_id"]]
    old = bob_api.get(f"/api/v1/attachments/{attachment['public_id']}/download/", {"v": 1})
    assert old.status_code == 200 and b"".join(old.streaming_content) == PNG
    assert old["Content-Type"] == "image/png"

    assert_error(charlie_api.get(url), 404)
    assert_error(charlie_api.get(detail), 404)
    assert_error(charlie_api.post(url, {"upload": SimpleUploadedFile("x.png", PNG)}, format="multipart"), 404)
    assert_error(charlie_api.get(f"/api/v1/attachments/{attachment['public_id']}/download/"), 404)
    assert_error(bob_api.post(url, {"upload": SimpleUploadedFile("x.png", b"<svg/>")}, format="multipart"), 400)
    assert_error(bob_api.post(url, {"name": "x"}, format="json"), 415)

    theirs = alice_api.post(url, {"upload": SimpleUploadedFile("a.png", PNG)}, format="multipart").json()
    assert_error(bob_api.delete(f"{url}{theirs['public_id']}/"), 403, "not_uploader")
    assert bob_api.delete(detail).status_code == 204
    assert_error(bob_api.get(detail), 404)


# --- CRM history --------------------------------------------------------------------------------------


def test_history_shows_what_one_may_see_with_filters_and_a_cursor(
    bob_api: APIClient, charlie_api: APIClient, alice_api: APIClient, bob: User, world: World
) -> None:
    body = bob_api.get("/api/v1/history/", {"type": [CALL, NOTE]}).json()
    assert {(r["item_type"], r["item_id"]) for r in body["results"]} == {
        (CALL, str(world.call.pk)),
        (NOTE, str(world.note.pk)),
    }
    call_row = next(r for r in body["results"] if r["item_type"] == CALL)
    assert call_row["summary"] == "Price question" and call_row["actor"]["id"] == bob.pk
    assert call_row["url"].endswith(f"/calls/{world.call.pk}/") and call_row["type_label"]
    assert charlie_api.get("/api/v1/history/", {"type": [CALL, NOTE]}).json() == {"next": None, "results": []}

    assert [r["item_type"] for r in bob_api.get("/api/v1/history/", {"type": CALL}).json()["results"]] == [CALL]
    assert len(alice_api.get("/api/v1/history/", {"user": bob.pk, "identity": world.sara.pk}).json()["results"]) == 2
    assert alice_api.get("/api/v1/history/", {"user": world.dave.pk}).json()["results"] == []

    first = bob_api.get("/api/v1/history/", {"page_size": 1, "type": [CALL, NOTE]}).json()
    assert len(first["results"]) == 1 and "before=" in first["next"]
    second = bob_api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["results"][0]["item_type"] != first["results"][0]["item_type"]
    assert bob_api.get(second["next"]).json() == {"next": None, "results": []}

    assert_error(bob_api.get("/api/v1/history/", {"type": "nope"}), 400)
    assert_error(bob_api.get("/api/v1/history/", {"before": "yesterday"}), 400)
    assert_error(bob_api.get("/api/v1/history/", {"before": "1.2.3"}), 400)


def test_charlie_sees_nothing_in_the_history(charlie_api: APIClient, world: World) -> None:
    assert charlie_api.get("/api/v1/history/").json()["results"] == []
