"""The messaging API: list/detail through `messages_visible_to`, sending with an
Idempotency-Key, and the callback endpoints (shared secret)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from crm.messaging.callbacks import callback_secret
from crm.messaging.models import Message, MessageEvent, SmsLine
from crm.messaging.sending import Outgoing, messages_queue
from tests.api.support import assert_error, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def line() -> SmsLine:
    return SmsLine.objects.create(name="Main", number="+982100001000", provider="kannel", is_default=True)


def queue(actor: Any, line: SmsLine, to: str) -> Message:
    [message] = messages_queue(
        actor=actor, channel="sms", items=[Outgoing(to_address=to, body="hi")], dedupe_prefix=f"a{to}", sms_line=line
    )
    return message


def test_list_and_detail_are_scoped(alice: Any, bob: Any, charlie: Any, line: SmsLine) -> None:
    mine = queue(bob, line, "+989121110001")
    theirs = queue(alice, line, "+989121110002")
    MessageEvent.objects.create(message=mine, kind="accepted", dedupe_key="x")
    bob_api = token_client(bob)
    rows = bob_api.get("/api/v1/messages/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    detail = bob_api.get(f"/api/v1/messages/{mine.pk}/").json()
    assert detail["status"] == "queued" and [e["kind"] for e in detail["events"]] == ["accepted"]
    assert_error(bob_api.get(f"/api/v1/messages/{theirs.pk}/"), 404)
    assert_error(token_client(charlie).get(f"/api/v1/messages/{mine.pk}/"), 404)
    alice_rows = token_client(alice).get("/api/v1/messages/", {"channel": "sms", "status": "queued"}).json()["results"]
    assert {row["id"] for row in alice_rows} == {mine.pk, theirs.pk}
    assert_error(bob_api.get("/api/v1/messages/", {"status": "nonsense"}), 400)
    assert_error(APIClient().get("/api/v1/messages/"), 401)


def test_send_with_idempotency_key(alice: Any, line: SmsLine) -> None:
    api = token_client(alice)
    body = {"channel": "sms", "addresses": ["09121234567", "not a number"], "body": "سلام"}
    first = api.post("/api/v1/messages/", body, format="json", headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    again = api.post("/api/v1/messages/", body, format="json", headers={"Idempotency-Key": "k-1"})
    assert [m["id"] for m in again.json()["messages"]] == [m["id"] for m in first.json()["messages"]]
    assert first.json()["invalid"] == ["not a number"]
    assert Message.objects.count() == 1
    api.post("/api/v1/messages/", body, format="json", headers={"Idempotency-Key": "k-2"})
    assert Message.objects.count() == 2
    assert_error(api.post("/api/v1/messages/", {"channel": "sms", "body": "x"}, format="json"), 400)
    assert_error(api.post("/api/v1/messages/", {"channel": "sms", "addresses": ["09121234567"]}, format="json"), 400)


def test_send_only_from_usable_lines(bob: Any, alice: Any, line: SmsLine) -> None:
    from crm.messaging.models import AccountAccess

    AccountAccess.objects.create(user=alice, sms_line=line)  # granted to alice only: closed to bob
    response = token_client(bob).post(
        "/api/v1/messages/", {"channel": "sms", "addresses": ["09121234567"], "body": "x"}, format="json"
    )
    assert response.status_code in (400, 403)
    assert not Message.objects.exists()


def test_callback_endpoints(alice: Any, line: SmsLine) -> None:
    message = queue(alice, line, "+989121110003")
    api = APIClient()
    url = "/api/v1/messages/dlr/kannel/"
    assert_error(api.post(url, {"m": message.pk, "s": "1"}, format="json"), 403)
    assert_error(api.post(url, {"m": message.pk, "s": "1", "secret": "nope"}, format="json"), 403)
    ok = api.post(url, {"m": message.pk, "s": "1"}, format="json", headers={"X-CRM-Secret": callback_secret()})
    assert ok.status_code == 200 and ok.json()["ok"]
    again = api.post(url, {"m": message.pk, "s": "1"}, format="json", headers={"X-CRM-Secret": callback_secret()})
    assert again.json()["id"] == ok.json()["id"]
    message.refresh_from_db()
    assert message.status == "delivered"
    assert_error(api.post(url, {"m": 0, "s": "1"}, format="json", headers={"X-CRM-Secret": callback_secret()}), 404)
    assert_error(api.post(url, {"m": "x", "s": "1"}, format="json", headers={"X-CRM-Secret": callback_secret()}), 400)
    inbound = api.post(
        "/api/v1/messages/inbound/kannel/",
        {"from": "+989351112233", "to": line.number, "text": "hello", "id": "k-9"},
        format="json",
        headers={"X-CRM-Secret": callback_secret()},
    )
    assert inbound.status_code == 200
    assert Message.objects.get(pk=inbound.json()["id"]).direction == "in"
