"""Bulk send pages: create, start, report (with chart data), actions, access."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from crm.core.lists.models import SavedFilter
from crm.messaging import bulk
from crm.messaging.models import BulkSend, Message, TargetGroup, TargetGroupMember
from crm.messaging.sending import message_mark
from crm.messaging.tests.bulk_world import build_bulk_world, make_sender

pytestmark = pytest.mark.django_db


@pytest.fixture
def bulk_world(alice):
    return build_bulk_world(alice)


def _group(actor, world):
    group = TargetGroup.objects.create(name="G", created_by=actor)
    TargetGroupMember.objects.bulk_create([TargetGroupMember(group=group, identity_id=p.pk) for p in world.people])
    return group


def _form(**extra):
    data = {
        "name": "Yalda",
        "channel": "sms",
        "body": "Hi {{ identity.first_name }}",
        "source": "numbers",
        "numbers": "09120000001\n09120000002, Mina",
        "rate_per_minute": "6000",
        "chunk_size": "500",
    }
    data.update(extra)
    return data


def test_create_then_start_from_the_report(client, alice, bulk_world):
    client.force_login(alice)
    assert client.get(reverse("messaging:bulk_create")).status_code == 200
    response = client.post(reverse("messaging:bulk_create"), _form())
    send = BulkSend.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("messaging:bulk_detail", args=[send.pk])
    assert send.status == BulkSend.Status.DRAFT and send.source_params == {
        "lines": ["09120000001", "09120000002, Mina"]
    }
    client.post(reverse("messaging:bulk_action", args=[send.pk, "start"]))
    send.refresh_from_db()
    assert send.status == BulkSend.Status.RUNNING and send.total == 2
    page = client.get(reverse("messaging:bulk_detail", args=[send.pk]))
    assert page.status_code == 200
    assert b'hx-trigger="every 5s"' in page.content and b"charts.js" in page.content


def test_save_and_start_in_one_go_and_report_chart_data(client, alice, bulk_world):
    client.force_login(alice)
    client.post(
        reverse("messaging:bulk_create"),
        _form(source="group", target_group=_group(alice, bulk_world).pk, numbers="", start="1"),
    )
    send = BulkSend.objects.get()
    ids = list(Message.objects.filter(bulk_send=send).values_list("pk", flat=True))
    message_mark(message_ids=ids, status=Message.Status.SENT)
    message_mark(message_ids=ids[:3], status=Message.Status.DELIVERED)
    message_mark(message_ids=ids[3:], status=Message.Status.FAILED)
    part = client.get(reverse("messaging:bulk_report_part", args=[send.pk]))
    assert part.status_code == 200
    html = part.content.decode()
    assert 'hx-trigger="every 5s"' not in html  # finished: no more polling
    start = html.index(f'id="chart-donut-{send.pk}"')
    donut = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    assert {item["name"]: item["value"] for item in donut["items"]} == {"Delivered": 3, "Failed": 2}
    assert 'data-testid="stat-coverage">60.0' in html
    detail = client.get(reverse("messaging:bulk_detail", args=[send.pk]) + "?status=failed")
    assert detail.content.decode().count('data-status="failed"') == 2


def test_source_fields_swap_and_list_query_start(client, alice, bulk_world):
    client.force_login(alice)
    part = client.get(reverse("messaging:bulk_create") + "?part=source&source=group")
    assert b"id_target_group" in part.content and b"id_numbers" not in part.content
    page = client.get(reverse("messaging:bulk_create") + "?list_key=identities&query=class_code%3DB")
    assert b'value="class_code=B"' in page.content
    bulk_world.people[0].class_code = "B"
    bulk_world.people[0].save()
    client.post(
        reverse("messaging:bulk_create"),
        _form(source="filter", numbers="", list_key="identities", list_query="class_code=B&page=3", start="1"),
    )
    send = BulkSend.objects.get()
    assert send.source_params == {"list_key": "identities", "query": "class_code=B"}
    assert list(Message.objects.filter(bulk_send=send).values_list("identity_id", flat=True)) == [
        bulk_world.people[0].pk
    ]


def test_saved_filter_source_from_the_form(client, alice, bulk_world):
    saved = SavedFilter.objects.create(owner=alice, list_key="identities", name="All", query="")
    client.force_login(alice)
    client.post(reverse("messaging:bulk_create"), _form(source="filter", numbers="", saved_filter=saved.pk, start="1"))
    assert BulkSend.objects.get().total == 5


def test_form_errors_are_shown(client, alice, bulk_world):
    client.force_login(alice)
    response = client.post(reverse("messaging:bulk_create"), _form(body="", numbers=""))
    assert response.status_code == 200 and not BulkSend.objects.exists()
    assert response.content.decode().count("invalid-feedback") >= 2


def test_pause_resume_cancel_resend_and_group_buttons(client, alice, bulk_world):
    send = bulk.bulk_send_create(
        actor=alice, name="S", channel="sms", body="x", source="group", target_group=_group(alice, bulk_world)
    )
    bulk.bulk_send_start(actor=alice, send=send)
    client.force_login(alice)
    for action, status in (("pause", "paused"), ("resume", "running")):
        client.post(reverse("messaging:bulk_action", args=[send.pk, action]))
        send.refresh_from_db()
        assert send.status == status
    first = Message.objects.filter(bulk_send=send).order_by("id").first()
    message_mark(message_ids=[first.pk], status=Message.Status.FAILED)
    response = client.post(reverse("messaging:bulk_resend", args=[send.pk]), {"statuses": ["failed"]})
    again = BulkSend.objects.get(resend_of=send)
    assert response["Location"] == reverse("messaging:bulk_detail", args=[again.pk])
    response = client.post(reverse("messaging:bulk_make_group", args=[send.pk]), {"status": "failed", "name": "F"})
    group = TargetGroup.objects.get(name="F")
    assert list(group.members.values_list("identity_id", flat=True)) == [first.identity_id]
    client.post(reverse("messaging:bulk_action", args=[send.pk, "cancel"]))
    send.refresh_from_db()
    assert send.status == BulkSend.Status.CANCELLED
    assert client.post(reverse("messaging:bulk_action", args=[send.pk, "explode"])).status_code == 404


def test_lists_and_reports_of_others_are_hidden(client, alice, charlie, bulk_world):
    send = bulk.bulk_send_create(
        actor=alice, name="Secret", channel="sms", body="x", source="group", target_group=_group(alice, bulk_world)
    )
    dave = make_sender("dave")
    client.force_login(dave)
    listing = client.get(reverse("messaging:bulk_list"))
    assert listing.status_code == 200 and b"Secret" not in listing.content
    assert client.get(reverse("messaging:bulk_detail", args=[send.pk])).status_code == 404
    assert client.get(reverse("messaging:bulk_report_part", args=[send.pk])).status_code == 404
    assert client.post(reverse("messaging:bulk_action", args=[send.pk, "start"])).status_code == 404
    assert client.get(reverse("messaging:bulk_edit", args=[send.pk])).status_code == 404
    client.force_login(charlie)
    assert client.get(reverse("messaging:bulk_list")).status_code == 403
    assert client.get(reverse("messaging:bulk_create")).status_code == 403
    assert client.get(reverse("messaging:group_list")).status_code == 403
    client.logout()
    assert client.get(reverse("messaging:bulk_list")).status_code == 302


def test_edit_a_draft(client, alice, bulk_world):
    client.force_login(alice)
    client.post(reverse("messaging:bulk_create"), _form())
    send = BulkSend.objects.get()
    page = client.get(reverse("messaging:bulk_edit", args=[send.pk]))
    assert page.status_code == 200 and b"Mina" in page.content
    client.post(reverse("messaging:bulk_edit", args=[send.pk]), _form(name="Renamed"))
    send.refresh_from_db()
    assert send.name == "Renamed"


def test_the_polled_report_reloads_the_page_when_the_status_changed(client, alice, bulk_world):
    send = bulk.bulk_send_create(
        actor=alice, name="S", channel="sms", body="x", source="group", target_group=_group(alice, bulk_world)
    )
    bulk.bulk_send_start(actor=alice, send=send)
    client.force_login(alice)
    url = reverse("messaging:bulk_report_part", args=[send.pk])
    same = client.get(url + "?was=running", headers={"HX-Request": "true"})
    assert "HX-Refresh" not in same and b"?was=running" in same.content
    bulk.bulk_send_pause(actor=alice, send=send)
    changed = client.get(url + "?was=running", headers={"HX-Request": "true"})
    assert changed["HX-Refresh"] == "true"
