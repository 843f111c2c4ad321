"""Routing rules (CM-9): inbound email/SMS becomes a task or a note linked to the sender,
rules in order with "stop", other contexts' targets, pages with denial."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.activities.models import Note, Task
from crm.core.timeline.models import TimelineEntry
from crm.messaging import inbound, routing
from crm.messaging.inbound import inbound_receive, register_inbound_handler
from crm.messaging.models import RoutingRule
from crm.messaging.routing import RoutingError, register_routing_target, routing_rule_save
from crm.messaging.tests.m3_world import inbound_sms, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_handlers(monkeypatch):
    monkeypatch.setattr(inbound, "_handlers", {})


def rule(world, **values):
    data = {"name": "Support", "channel": "sms", "keyword": "support", "target": "task", "priority": 10, "stop": True}
    data.update(values)
    return routing_rule_save(actor=world.alice, rule=None, **data)


def test_matching_sms_becomes_a_task_for_the_assignee(world):
    rule(world, keyword="پشتيباني", params={"assignee": world.bob.pk, "priority": 3})  # Arabic letters
    message = inbound_sms(world, "لطفا پشتیبانی تماس بگیرد")
    task = Task.objects.get()
    assert list(task.identities.values_list("pk", flat=True)) == [world.identity("sara").pk]
    assert task.description == "لطفا پشتیبانی تماس بگیرد"
    assert task.priority == 3
    assert list(task.assignees.values_list("user_id", flat=True)) == [world.bob.pk]
    message.refresh_from_db()
    assert message.meta["routed"] == [
        {"rule": RoutingRule.objects.get().pk, "item_type": "activities.task", "item_id": str(task.pk)}
    ]
    assert TimelineEntry.objects.filter(identity_id=world.identity("sara").pk, item_type="activities.task").exists()


def test_email_becomes_a_note(world):
    rule(world, name="Orders", channel="email", keyword="order", target="note", mailbox=world.mailbox)
    inbound_receive(
        channel="email",
        from_address="sara@example.com",
        to_address=world.mailbox.address,
        subject="New order",
        body="Two boxes <please>",
        provider_ref="imap:7",
        mailbox=world.mailbox,
    )
    note = Note.objects.get()
    assert "New order" in note.title
    assert "&lt;please&gt;" in note.body
    assert list(note.identities.values_list("pk", flat=True)) == [world.identity("sara").pk]


def test_rules_run_in_order_and_stop(world):
    rule(world, name="second", keyword="", target="note", priority=20, stop=True)
    rule(world, name="first", keyword="", target="task", priority=5, stop=False)
    rule(world, name="third", keyword="", target="task", priority=30)
    message = inbound_sms(world, "anything")
    message.refresh_from_db()
    assert [r["item_type"] for r in message.meta["routed"]] == ["activities.task", "activities.note"]
    assert Task.objects.count() == 1 and Note.objects.count() == 1


def test_rules_match_line_channel_and_text_only(world):
    rule(world, keyword="support")
    inbound_sms(world, "hello")
    inbound_receive(
        channel="email", from_address="a@b.c", to_address="x@y.z", body="support", provider_ref="e1", mailbox=None
    )
    assert not Task.objects.exists()


def test_a_handler_or_survey_that_takes_the_message_stops_routing(world):
    rule(world, keyword="")
    register_inbound_handler("serial", lambda m: "ok")
    inbound_sms(world, "SN1")
    assert not Task.objects.exists()


def test_other_contexts_add_targets(world, monkeypatch):
    monkeypatch.setattr(routing, "_targets", dict(routing._targets))
    made = []
    register_routing_target("ticket", "Ticket", lambda message, r: made.append(message.pk) or ("tickets.ticket", 99))
    rule(world, keyword="", target="ticket")
    message = inbound_sms(world, "broken")
    message.refresh_from_db()
    assert made == [message.pk]
    assert message.meta["routed"][0]["item_id"] == "99"


def test_a_rule_without_an_owner_is_logged_not_fatal(world):
    r = rule(world, keyword="")
    RoutingRule.objects.filter(pk=r.pk).update(created_by=None)
    message = inbound_sms(world, "hi")
    message.refresh_from_db()
    assert message.meta["errors"][0].startswith("routing:")
    assert not Task.objects.exists()


def test_rules_need_rights(world):
    with pytest.raises(RoutingError):
        routing_rule_save(
            actor=world.bob, rule=None, name="x", channel="sms", target="task", keyword="", priority=1, stop=True
        )
    with pytest.raises(RoutingError):
        routing_rule_save(actor=world.alice, rule=None, name="x", channel="sms", target="nope")


def test_routing_pages(client, world):
    client.force_login(world.charlie)
    assert client.get(reverse("messaging:routing_list")).status_code == 403
    assert client.get(reverse("messaging:routing_create")).status_code == 403
    existing = rule(world)
    assert client.post(reverse("messaging:routing_delete", args=[existing.pk])).status_code == 404

    client.force_login(world.alice)
    assert "Support" in client.get(reverse("messaging:routing_list")).content.decode()
    response = client.post(
        reverse("messaging:routing_create"),
        {
            "name": "Complaints",
            "channel": "sms",
            "sms_line": world.line.pk,
            "keyword": "complaint",
            "target": "task",
            "title": "Complaint by SMS",
            "assignee": world.bob.pk,
            "priority": 1,
            "stop": "on",
            "active": "on",
        },
    )
    assert response.status_code == 302
    created = RoutingRule.objects.get(name="Complaints")
    assert created.params == {"title": "Complaint by SMS", "assignee": world.bob.pk}
    assert created.created_by == world.alice and created.sms_line == world.line
    edit = client.get(reverse("messaging:routing_edit", args=[created.pk])).content.decode()
    assert "Complaint by SMS" in edit
    assert client.post(reverse("messaging:routing_delete", args=[created.pk])).status_code == 302
    assert not RoutingRule.objects.filter(pk=created.pk).exists()
