"""Inbound messages (CM-8/9): stored once, matched to the sender, in its history, then
handlers (first reply wins), surveys, routing — each failure contained."""

from __future__ import annotations

import pytest

from crm.core.tests.support import ON_POSTGRES
from crm.core.timeline.models import TimelineEntry
from crm.identities.models import Identity
from crm.messaging import inbound
from crm.messaging.inbound import inbound_receive, register_inbound_handler
from crm.messaging.models import Message
from crm.messaging.sending import MESSAGE_ITEM
from crm.messaging.tests.m3_world import inbound_sms, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_handlers(monkeypatch):
    monkeypatch.setattr(inbound, "_handlers", {})


def test_known_number_lands_in_the_senders_history(world, no_handlers):
    sara = world.identity("sara")
    message = inbound_sms(world, "Hello", sender="۰۹۱۲ ۱۲۳ ۴۵۶۷")
    assert message.direction == Message.Direction.IN
    assert message.status == Message.Status.RECEIVED
    assert message.identity_id == sara.pk
    assert message.from_address == "+989121234567"
    assert message.sms_line == world.line
    assert TimelineEntry.objects.filter(identity_id=sara.pk, item_type=MESSAGE_ITEM, item_id=str(message.pk)).exists()


def test_the_same_provider_reference_twice_is_one_message(world, no_handlers):
    calls = []
    register_inbound_handler("count", lambda m: calls.append(m.pk))
    first = inbound_sms(world, "Hello", ref="abc")
    second = inbound_sms(world, "Hello again", ref="abc")
    assert first.pk == second.pk
    assert Message.objects.filter(direction="in").count() == 1
    assert calls == [first.pk]  # processed once only
    assert inbound_sms(world, "Hello", ref="abc-2").pk != first.pk


def test_unknown_number_makes_an_unknown_contact(world, no_handlers):
    message = inbound_sms(world, "Who are you", sender="09351112233")
    identity = Identity.objects.get(pk=message.identity_id)
    assert identity.is_unknown
    assert identity.phones.get().number == "+989351112233"


def test_a_sender_that_is_no_number_is_kept_without_identity(world, no_handlers):
    message = inbound_sms(world, "Your bill", sender="MCI")
    assert message.identity_id is None and message.from_address == "MCI"


def test_first_handler_with_a_reply_takes_the_message(world, no_handlers):
    register_inbound_handler("pass", lambda m: None)
    register_inbound_handler("serial", lambda m: "Genuine, {{ identity.first_name }}" if "SN" in m.body else None)
    register_inbound_handler("later", lambda m: "never")
    message = inbound_sms(world, "SN12345")
    message.refresh_from_db()
    assert message.meta["handled_by"] == "serial"
    reply = Message.objects.get(direction="out")
    assert reply.body == "Genuine, Sara"
    assert reply.to_address == "+989121234567"
    assert reply.sms_line == world.line and reply.from_address == world.line.number
    assert reply.status == Message.Status.QUEUED and reply.outbox_id
    assert reply.meta["reply_to"] == message.pk


def test_a_failing_handler_never_loses_the_message(world, no_handlers):
    def broken(message):
        raise RuntimeError("boom")

    register_inbound_handler("broken", broken)
    message = inbound_sms(world, "hi")
    message.refresh_from_db()
    assert Message.objects.filter(pk=message.pk).exists()
    assert message.meta["errors"] == ["handler broken: boom"]


def test_inbound_email_matches_by_address_and_is_sanitised(world, no_handlers):
    sara = world.identity("sara")
    message = inbound_receive(
        channel="email",
        from_address="Sara@Example.com",
        to_address=world.mailbox.address,
        body="Hi",
        html='<p onclick="x()">Hi</p><script>alert(1)</script>',
        subject="Question",
        provider_ref="",
        message_id="<m1@example.com>",
        mailbox=world.mailbox,
    )
    assert message.identity_id == sara.pk
    assert "script" not in message.html and "onclick" not in message.html
    assert message.thread_key == "<m1@example.com>"
    reply = inbound_receive(
        channel="email",
        from_address="sara@example.com",
        to_address=world.mailbox.address,
        body="More",
        provider_ref="",
        message_id="<m2@example.com>",
        in_reply_to="<m1@example.com>",
        mailbox=world.mailbox,
    )
    assert reply.thread_key == "<m1@example.com>"
    again = inbound_receive(
        channel="email",
        from_address="sara@example.com",
        to_address=world.mailbox.address,
        body="More",
        provider_ref="",
        message_id="<m2@example.com>",
        mailbox=world.mailbox,
    )
    assert again.pk == reply.pk  # the Message-ID makes a re-fetched mail the same message


def test_reply_by_email_goes_out_from_the_mailbox(world, no_handlers):
    register_inbound_handler("auto", lambda m: "We got it")
    inbound_receive(
        channel="email",
        from_address="sara@example.com",
        to_address=world.mailbox.address,
        body="Help",
        subject="Order",
        provider_ref="imap:1",
        mailbox=world.mailbox,
    )
    reply = Message.objects.get(direction="out")
    assert reply.channel == "email" and reply.mailbox == world.mailbox
    assert reply.subject == "Re: Order" and reply.from_address == world.mailbox.address


def _race(*calls):
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call):
        try:
            barrier.wait()
            call()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_sms_delivered_twice_at_once_is_one_message_and_one_answer(world, monkeypatch):
    from crm.messaging.models import SurveyAnswer
    from crm.messaging.surveys import survey_save

    monkeypatch.setattr(inbound, "_handlers", {})
    survey_save(actor=world.alice, survey=None, name="Poll", keyword="poll", options=[("1", "Yes"), ("2", "No")])
    errors = _race(*(lambda: inbound_sms(world, "poll 1", sender="09351112233", ref="same") for _ in range(2)))
    errors += _race(*(lambda i=i: inbound_sms(world, "poll 2", sender="09351114455", ref=f"r{i}") for i in range(3)))
    assert not errors
    assert Message.objects.filter(direction="in", provider_ref="same").count() == 1
    assert Identity.objects.filter(phones__number="+989351112233").count() == 1  # one unknown contact
    assert SurveyAnswer.objects.filter(number="+989351112233").count() == 1
    counted = SurveyAnswer.objects.filter(number="+989351114455", option__isnull=False).count()
    assert counted == 1  # one answer per number, even when three arrive at once
