"""Notifications and the outbox: written with the change, sent once, retried safely."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from crm.core.notifications.models import MessageTemplate, Notification, OutboxMessage
from crm.core.notifications.registry import PermanentFailure, Transport, register_transport, transport_get
from crm.core.notifications.selectors import notifications_after, unread_count
from crm.core.notifications.services import (
    message_render,
    message_template_reset,
    message_template_save,
    notification_mark_read,
    notify,
    outbox_claim,
    outbox_dispatch_batch,
    outbox_enqueue,
)
from crm.core.templating import placeholders_in, render_text

pytestmark = pytest.mark.django_db


def test_placeholders_fill_from_whitelisted_values_only():
    values = {"identity.first_name": "Sara", "amount": 1200}
    text = "Dear {{ identity.first_name }}, {{amount}} {{ identity.__class__ }} {{ secret }}"
    assert render_text(text, values) == "Dear Sara, 1200  "
    assert placeholders_in(text) == ["identity.first_name", "amount", "identity.__class__", "secret"]


def test_html_bodies_escape_values_and_sms_keeps_them_plain():
    values = {"name": "<b>Tom & Co</b>"}
    assert render_text("Hi {{ name }}", values, escape_html=True) == "Hi &lt;b&gt;Tom &amp; Co&lt;/b&gt;"
    assert render_text("Hi {{ name }}", values) == "Hi <b>Tom & Co</b>"


def test_a_template_asking_for_internals_renders_nothing_and_never_raises():
    values = {"name": "x"}
    assert render_text("{{ settings.SECRET_KEY }}|{{ name.__class__ }}|{{ name }}", values) == "||x"
    # what is not a placeholder is text: never evaluated, never an error
    for text in ["{% load os %}", "{{ 1/0 }}", "{{", "{{ name|upper }}"]:
        assert render_text(text, values) == text


def test_system_messages_use_the_admins_wording_per_language(alice):
    subject, body = message_render(kind="followup.due", language="en", values={"item": "Quote 12", "note": "n"})
    assert (subject, body) == ("Reminder: Quote 12", "n")
    message_template_save(actor=alice, kind="followup.due", language="en", subject="Do it: {{ item }}", body="!")
    assert message_render(kind="followup.due", language="en", values={"item": "Quote 12"}) == ("Do it: Quote 12", "!")
    message_template_reset(actor=alice, kind="followup.due", language="en")
    assert not MessageTemplate.objects.exists()


def test_notify_is_idempotent_per_key_and_skips_inactive_users(alice, bob):
    bob.is_active = False
    bob.save()
    made = notify(users=[alice, bob], kind="x", values={"title": "T"}, dedupe_key="event:1")
    again = notify(users=[alice], kind="x", values={"title": "T"}, dedupe_key="event:1")
    assert [n.user for n in made] == [alice]
    assert again == []
    assert Notification.objects.count() == 1


def test_nothing_is_told_when_the_change_rolls_back(alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(users=[alice], kind="x", values={"title": "T"}, dedupe_key="event:2")
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists()


def test_unread_and_new_since(alice):
    notify(users=[alice], kind="x", values={"title": "one"}, dedupe_key="a")
    [second] = notify(users=[alice], kind="x", values={"title": "two"}, dedupe_key="b")
    first_id = second.pk - 1
    assert [n.title for n in notifications_after(user=alice, after_id=first_id)] == ["two"]
    assert unread_count(user=alice) == 2
    notification_mark_read(user=alice, ids=[second.pk])
    assert unread_count(user=alice) == 1


def test_outbox_enqueue_is_idempotent():
    first = outbox_enqueue(channel="email", recipient="a@example.com", body="b", dedupe_key="k")
    second = outbox_enqueue(channel="email", recipient="a@example.com", body="changed", dedupe_key="k")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1


def test_the_worker_sends_email_once(alice):
    alice.email, alice.notify_by_email = "alice@example.com", True
    alice.save()
    notify(users=[alice], kind="x", values={"title": "Hello"}, dedupe_key="e1", url="/work/")
    assert outbox_dispatch_batch(worker_id="w") == 1
    assert outbox_dispatch_batch(worker_id="w") == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert mail.outbox[0].subject == "Hello"
    row = OutboxMessage.objects.get()
    assert row.status == OutboxMessage.Status.SENT and row.attempts == 1 and row.sent_at


@pytest.fixture
def flaky_transport():
    calls: list[str] = []
    behaviour = {"fail": "temporary"}

    def send(row: OutboxMessage) -> str:
        calls.append(row.recipient)
        if behaviour["fail"] == "temporary":
            raise ConnectionError("gateway down")
        if behaviour["fail"] == "permanent":
            raise PermanentFailure("number blocked")
        return "ref-1"

    previous = transport_get("test")
    register_transport(Transport(channel="test", label="Test", send=send, address_for=lambda user: ""))
    yield calls, behaviour
    if previous:
        register_transport(previous)


def test_a_failed_send_is_retried_later_and_a_permanent_failure_stops(flaky_transport):
    calls, behaviour = flaky_transport
    row = outbox_enqueue(channel="test", recipient="+989121234567", body="hi", dedupe_key="t1")
    outbox_dispatch_batch(worker_id="w")
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.PENDING, 1)
    assert row.due_at > timezone.now()  # backs off
    assert "gateway down" in row.last_error

    OutboxMessage.objects.filter(pk=row.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    behaviour["fail"] = "permanent"
    outbox_dispatch_batch(worker_id="w")
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxMessage.Status.FAILED, 2)
    assert calls == ["+989121234567", "+989121234567"]


def test_a_row_held_by_a_dead_worker_comes_back_after_its_lease(flaky_transport):
    _calls, behaviour = flaky_transport
    behaviour["fail"] = ""
    outbox_enqueue(channel="test", recipient="x", body="hi", dedupe_key="t2")
    [held] = outbox_claim(worker_id="dead")
    assert outbox_claim(worker_id="alive") == []  # still leased
    later = timezone.now() + dt.timedelta(minutes=3)
    [taken] = outbox_claim(worker_id="alive", now=later)
    assert taken.pk == held.pk
