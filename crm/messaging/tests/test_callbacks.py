"""Delivery reports and inbound SMS callbacks: shared secret, idempotency, status moves."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from crm.messaging.callbacks import callback_secret, dlr_receive, secret_ok
from crm.messaging.models import Message, MessageEvent, SmsLine
from crm.messaging.sending import Outgoing, messages_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def line() -> SmsLine:
    return SmsLine.objects.create(name="Main", number="+982100001000", provider="kannel", is_default=True)


@pytest.fixture
def sent(line: SmsLine) -> Message:
    [message] = messages_queue(
        actor=None,
        channel="sms",
        items=[Outgoing(to_address="+989121234567", body="سلام")],
        dedupe_prefix="cb",
        sms_line=line,
    )
    Message.objects.filter(pk=message.pk).update(status="sending", meta={"handoff": {"a": "abc"}})
    return message


def dlr(client: Any, message: Message, status: str, secret: str | None = None) -> Any:
    params = {"secret": callback_secret() if secret is None else secret, "m": message.pk, "a": "abc", "s": status}
    params.update({"r": "ACK/", "t": "1795398161", "f": "ref-1"})
    return client.get(reverse("messaging_public:kannel_dlr"), params)


def test_secret_is_derived_and_compared_strictly(settings: Any) -> None:
    settings.CRM_SMS_CALLBACK_SECRET = ""
    derived = callback_secret()
    assert len(derived) == 40 and secret_ok(derived)
    assert not secret_ok("") and not secret_ok(None) and not secret_ok(derived[:-1])
    settings.CRM_SMS_CALLBACK_SECRET = "configured"
    assert secret_ok("configured") and not secret_ok(derived)


def test_dlr_moves_the_message_forward_and_twice_is_once(client: Any, sent: Message) -> None:
    assert dlr(client, sent, "8").status_code == 200
    sent.refresh_from_db()
    assert sent.status == "sent"
    assert dlr(client, sent, "1").status_code == 200
    assert dlr(client, sent, "1").status_code == 200  # the same report again
    assert dlr(client, sent, "8").status_code == 200  # a late ack never moves it back
    sent.refresh_from_db()
    assert sent.status == "delivered" and sent.delivered_at
    assert list(MessageEvent.objects.filter(message=sent).values_list("kind", flat=True)) == ["accepted", "delivered"]


def test_failed_report_records_the_reason(client: Any, sent: Message) -> None:
    response = client.get(
        reverse("messaging_public:kannel_dlr"),
        {"secret": callback_secret(), "m": sent.pk, "s": "16", "r": "NACK/0x0000000b/Invalid Destination"},
    )
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == "failed" and "Invalid Destination" in sent.error


def test_buffered_report_changes_nothing(sent: Message) -> None:
    assert dlr_receive(provider="kannel", params={"m": str(sent.pk), "s": "4"}) is None
    assert not MessageEvent.objects.exists()


@pytest.mark.parametrize("secret", ["", "wrong"])
def test_wrong_or_missing_secret_is_403(client: Any, sent: Message, secret: str) -> None:
    assert dlr(client, sent, "1", secret=secret).status_code == 403
    response = client.get(reverse("messaging_public:kannel_inbound"), {"secret": secret, "from": "+98912", "id": "x"})
    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.status == "sending" and not MessageEvent.objects.exists()


def test_secret_in_a_header_and_post(client: Any, sent: Message) -> None:
    url = reverse("messaging_public:kannel_dlr")
    response = client.post(url, {"m": sent.pk, "s": "1"}, headers={"X-CRM-Secret": callback_secret()})
    assert response.status_code == 200


def test_malformed_and_unknown(client: Any, sent: Message) -> None:
    url = reverse("messaging_public:kannel_dlr")
    assert client.get(url, {"secret": callback_secret(), "m": "x", "s": "1"}).status_code == 400
    assert client.get(url, {"secret": callback_secret(), "m": sent.pk, "s": "99"}).status_code == 400
    assert client.get(url, {"secret": callback_secret(), "m": 999999, "s": "1"}).status_code == 404
    other = reverse("messaging_public:sms_dlr", args=["nosuch"])
    assert client.get(other, {"secret": callback_secret(), "m": sent.pk, "s": "1"}).status_code == 400


def test_inbound_is_stored_once(client: Any, line: SmsLine) -> None:
    url = reverse("messaging_public:kannel_inbound")
    params = {"secret": callback_secret(), "from": "+989351112233", "to": line.number, "text": "سلام", "id": "uuid-1"}
    assert client.get(url, params).status_code == 200
    assert client.get(url, params).status_code == 200
    message = Message.objects.get(direction="in")
    assert (message.body, message.from_address, message.sms_line_id) == ("سلام", "+989351112233", line.pk)
    assert client.get(url, {"secret": callback_secret(), "text": "no sender"}).status_code == 400
