"""SMS through a real Kannel (bearerbox + smsbox + fakesmsc as the operator): Persian as
UCS-2, long texts concatenated, delivery reports back to the CRM, inbound SMS in.

On SQLite the test database is one connection shared with the live server that receives
Kannel's callbacks: the test's own queries run under `kannel.db_lock` (no-op on PostgreSQL)."""

from __future__ import annotations

import time
from typing import Any

from crm.core.notifications.models import OutboxMessage
from crm.core.notifications.services import outbox_dispatch_batch
from crm.messaging.models import Message, MessageEvent
from crm.messaging.sending import Outgoing, messages_queue
from crm.messaging.testing import (
    kannel_fixture,  # noqa: F401  (the `kannel` fixture)
    kannel_session,  # noqa: F401  (fixture)
)

PERSIAN = "سلام علی جان، سفارش شما ثبت شد. کد پیگیری: ۱۲۳۴۵"


def queue(gw: Any, *texts_and_numbers: tuple[str, str], prefix: str = "t") -> list[Message]:
    items = [Outgoing(to_address=number, body=text, key=number) for text, number in texts_and_numbers]
    with gw.db_lock:
        return messages_queue(actor=None, channel="sms", items=items, dedupe_prefix=prefix, sms_line=gw.line)


def drain(gw: Any) -> None:
    while True:
        with gw.db_lock:
            if not outbox_dispatch_batch(worker_id="test-worker", limit=50):
                return


def wait_status(gw: Any, pks: list[int], status: str, timeout: float = 90) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        with gw.db_lock:
            found = dict(Message.objects.filter(pk__in=pks).values_list("pk", "status"))
        if all(value == status for value in found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_persian_sms_arrives_as_ucs2_and_is_delivered(kannel: Any) -> None:
    [message] = queue(kannel, (PERSIAN, "+989121234567"))
    drain(kannel)
    [got] = kannel.wait_received(1)
    assert (got.receiver, got.text, got.sender) == ("+989121234567", PERSIAN, kannel.line.number)
    assert " ucs-2 " in (kannel.directory / "operator.log").read_text()
    assert wait_status(kannel, [message.pk], "delivered") == {message.pk: "delivered"}
    with kannel.db_lock:
        message.refresh_from_db()
        assert message.provider_ref.startswith(f"kannel:{message.pk}:")
        assert message.sent_at and message.delivered_at
        kinds = set(MessageEvent.objects.filter(message=message).values_list("kind", flat=True))
        assert kinds == {"accepted", "delivered"}
        assert OutboxMessage.objects.get(pk=message.outbox_id).status == "sent"


def test_long_message_is_concatenated(kannel: Any) -> None:
    text = "این یک پیام طولانی است که باید در چند قسمت فرستاده شود. " * 4
    latin = "Hello from the CRM, this text is longer than one SMS can carry. " * 3
    messages = queue(kannel, (text, "+989121234501"), (latin, "+989121234502"))
    assert sorted(m.parts for m in messages) == [2, 4]
    drain(kannel)
    got = {sms.receiver: sms for sms in kannel.wait_received(2)}
    assert got["+989121234501"].text == text and got["+989121234501"].parts == 4
    assert got["+989121234502"].text == latin and got["+989121234502"].parts == 2
    assert kannel.received_parts() == 6
    assert set(wait_status(kannel, [m.pk for m in messages], "delivered").values()) == {"delivered"}


def test_many_messages_in_one_batch_each_once(kannel: Any) -> None:
    numbers = [f"+98912100{i:04d}" for i in range(60)]
    messages = queue(kannel, *[(f"پیام {i}", n) for i, n in enumerate(numbers)], prefix="many")
    drain(kannel)
    got = kannel.wait_received(60)
    assert sorted(sms.receiver for sms in got) == numbers
    assert set(wait_status(kannel, [m.pk for m in messages], "delivered").values()) == {"delivered"}
    drain(kannel)  # nothing left to send: running again sends nothing
    assert len(kannel.wait_received(61, timeout=0.5)) == 60


def test_refused_by_kannel_is_a_permanent_failure(kannel: Any) -> None:
    with kannel.db_lock:
        kannel.line.secret = "wrong-password"
        kannel.line.save()
    [message] = queue(kannel, ("hello", "+989121234599"))
    drain(kannel)
    with kannel.db_lock:
        message.refresh_from_db()
        assert message.status == "failed" and "refused" in message.error
        assert OutboxMessage.objects.get(pk=message.outbox_id).status == "failed"
    assert kannel.received() == []


def test_gateway_down_is_retried_without_a_marker(kannel: Any) -> None:
    with kannel.db_lock:
        kannel.line.config = {**kannel.line.config, "url": "http://127.0.0.1:9"}  # nothing listens there
        kannel.line.save()
    [message] = queue(kannel, ("hello", "+989121234598"))
    drain(kannel)
    with kannel.db_lock:
        message.refresh_from_db()
        row = OutboxMessage.objects.get(pk=message.outbox_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert message.status == "queued" and "handoff" not in message.meta


def test_inbound_sms_reaches_inbound_receive(kannel: Any) -> None:
    kannel.inject("+989351112233", kannel.line.number, "سلام، وقت بخیر")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with kannel.db_lock:
            if Message.objects.filter(direction="in").exists():
                break
        time.sleep(0.05)
    with kannel.db_lock:
        message = Message.objects.get(direction="in")
        assert (message.channel, message.from_address, message.body) == ("sms", "+989351112233", "سلام، وقت بخیر")
        assert message.sms_line_id == kannel.line.pk
        assert message.status == "received"
