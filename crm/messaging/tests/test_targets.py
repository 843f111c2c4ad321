"""Target groups: members from queries, picks and sends; access."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.core.lists.models import SavedFilter
from crm.messaging import bulk, targets
from crm.messaging.bulk import BulkError
from crm.messaging.bulk_selectors import group_get_for_user, group_list_for_user
from crm.messaging.models import BulkSend, Message, TargetGroupMember
from crm.messaging.sending import message_mark
from crm.messaging.tests.bulk_world import build_bulk_world, make_sender

pytestmark = pytest.mark.django_db


@pytest.fixture
def bulk_world(alice):
    return build_bulk_world(alice)


def _members(group):
    return sorted(TargetGroupMember.objects.filter(group=group).values_list("identity_id", flat=True))


def test_members_from_query_picks_and_removal(alice, bulk_world):
    people = bulk_world.people
    for person in people[:2]:
        person.class_code = "VIP"
        person.save()
    group = targets.group_create(actor=alice, name="VIPs")
    assert targets.group_add_from_query(actor=alice, group=group, list_key="identities", query="class_code=VIP") == 2
    assert targets.group_add_members(actor=alice, group=group, identity_ids=[people[1].pk, people[4].pk, 999999]) == 1
    assert _members(group) == sorted([people[0].pk, people[1].pk, people[4].pk])
    assert targets.group_remove_members(actor=alice, group=group, identity_ids=[people[0].pk]) == 1
    assert group_list_for_user(user=alice).get(pk=group.pk).member_count == 2


def test_group_from_a_send_by_status(alice, bulk_world):
    group = targets.group_create(actor=alice, name="All")
    targets.group_add_members(actor=alice, group=group, identity_ids=[p.pk for p in bulk_world.people])
    send = bulk.bulk_send_create(
        actor=alice, name="S", channel="sms", body="x", source=BulkSend.Source.TARGET_GROUP, target_group=group
    )
    bulk.bulk_send_start(actor=alice, send=send)
    ids = list(Message.objects.filter(bulk_send=send).order_by("id").values_list("pk", flat=True))
    message_mark(message_ids=ids[:2], status=Message.Status.DELIVERED)
    delivered, added = targets.group_from_send(actor=alice, send=send, statuses=["delivered"], name="Reached")
    assert added == 2 and _members(delivered) == sorted(p.pk for p in bulk_world.people[:2])
    everyone, added = targets.group_from_send(actor=alice, send=send)
    assert added == 5 and everyone.name == "S"


def test_others_cannot_see_or_change_a_group(alice, bulk_world):
    bob = make_sender("bobby")
    dave = make_sender("dave")
    group = targets.group_create(actor=bob, name="Bob's")
    assert group_get_for_user(user=dave, pk=group.pk) is None
    assert group_get_for_user(user=alice, pk=group.pk) is not None
    with pytest.raises(BulkError):
        targets.group_add_members(actor=dave, group=group, identity_ids=[bulk_world.people[0].pk])
    with pytest.raises(BulkError):
        targets.group_create(actor=make_sender_without_rights(), name="x")


def make_sender_without_rights():
    from crm.org.testing import make_user

    return make_user("nobody")


def test_group_pages(client, alice, bulk_world):
    bob = make_sender("bobby")
    group = targets.group_create(actor=alice, name="Alice's")
    saved = SavedFilter.objects.create(owner=alice, list_key="identities", name="All", query="")
    client.force_login(alice)
    assert client.get(reverse("messaging:group_list")).status_code == 200
    response = client.post(reverse("messaging:group_add", args=[group.pk]), {"saved_filter": saved.pk})
    assert response.status_code == 302 and len(_members(group)) == 5
    page = client.get(reverse("messaging:group_detail", args=[group.pk]))
    assert page.status_code == 200 and b"P0 Test" in page.content
    client.post(reverse("messaging:group_remove", args=[group.pk]), {"ids": [bulk_world.people[0].pk]})
    assert len(_members(group)) == 4
    created = client.post(reverse("messaging:group_list"), {"name": "New one"})
    assert created.status_code == 302
    client.force_login(bob)
    assert client.get(reverse("messaging:group_detail", args=[group.pk])).status_code == 404
    assert client.post(reverse("messaging:group_add", args=[group.pk]), {"ids": "1"}).status_code == 404
    assert client.post(reverse("messaging:group_delete", args=[group.pk])).status_code == 404
