"""Bulk sends: drafts, queueing exactly once, pacing, pause/resume/cancel, suppression,
resend by status, scheduled start, sources, stats and access."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from crm.core.lists.models import SavedFilter
from crm.core.notifications.models import OutboxMessage
from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_jobs_run_batch
from crm.messaging import bulk
from crm.messaging.bulk import BulkError
from crm.messaging.bulk_selectors import bulk_send_get_for_user
from crm.messaging.models import BulkSend, Message, Suppression, TargetGroup, TargetGroupMember
from crm.messaging.sending import message_mark
from crm.messaging.tests.bulk_world import build_bulk_world, make_people, make_sender

pytestmark = pytest.mark.django_db


@pytest.fixture
def bulk_world(alice):
    return build_bulk_world(alice)


def _ids(world):
    return [p.pk for p in world.people]


def _group(actor, people):
    group = TargetGroup.objects.create(name="G", created_by=actor)
    TargetGroupMember.objects.bulk_create([TargetGroupMember(group=group, identity_id=p.pk) for p in people])
    return group


def _draft(actor, world, **extra):
    fields = {
        "name": "Spring sale",
        "channel": "sms",
        "body": "Hello {{ identity.first_name }}",
        "source": BulkSend.Source.TARGET_GROUP,
        "target_group": _group(actor, world.people),
    }
    fields.update(extra)
    return bulk.bulk_send_create(actor=actor, **fields)


def _outbox(send):
    return OutboxMessage.objects.filter(dedupe_key__startswith=f"bulk:{send.pk}:")


def test_draft_takes_the_default_line_and_needs_the_right(alice, charlie, bulk_world):
    send = _draft(alice, bulk_world)
    assert send.status == BulkSend.Status.DRAFT
    assert send.sms_line == bulk_world.line
    with pytest.raises(BulkError):
        _draft(charlie, bulk_world)


def test_draft_without_text_or_recipients_is_refused(alice, bulk_world):
    with pytest.raises(BulkError) as caught:
        _draft(alice, bulk_world, body="  ")
    assert "body" in caught.value.fields
    with pytest.raises(BulkError) as caught:
        bulk.bulk_send_create(actor=alice, name="x", channel="sms", body="x", source=BulkSend.Source.NUMBERS)
    assert "source" in caught.value.fields


def test_start_queues_each_recipient_once_personalised(alice, bulk_world):
    send = _draft(alice, bulk_world)
    assert bulk.bulk_send_start(actor=alice, send=send) == 5
    assert bulk.bulk_send_start(actor=alice, send=send) == 0  # started twice: one set
    send.refresh_from_db()
    assert send.status == BulkSend.Status.RUNNING and send.total == 5
    messages = Message.objects.filter(bulk_send=send).order_by("id")
    assert messages.count() == 5 and _outbox(send).count() == 5
    assert messages[0].body == "Hello P0"
    assert messages[0].to_address == "+989120000000"
    assert all(m.outbox_id for m in messages)


def test_a_queueing_run_that_died_is_finished_without_duplicates(alice, bulk_world):
    send = _draft(alice, bulk_world)
    BulkSend.objects.filter(pk=send.pk).update(status=BulkSend.Status.QUEUEING)
    # the first run wrote two recipients, then died
    first = BulkSend.objects.get(pk=send.pk)
    first.target_group.members.exclude(identity_id__in=_ids(bulk_world)[:2]).delete()
    bulk._queue_all(first, alice)
    assert Message.objects.filter(bulk_send=send).count() == 2
    TargetGroupMember.objects.bulk_create(
        [TargetGroupMember(group=first.target_group, identity_id=i) for i in _ids(bulk_world)[2:]]
    )
    assert bulk.bulk_send_start(actor=alice, send=first) == 3
    assert Message.objects.filter(bulk_send=send).count() == 5 == _outbox(send).count()


def test_missing_addresses_and_duplicates_are_skipped(alice, bulk_world):
    nobody = make_people(alice, 1, start=50)[0]
    nobody.phones.all().delete()
    twin = make_people(alice, 1, start=60)[0]
    twin.phones.update(number=bulk_world.people[0].phones.get().number)
    send = _draft(alice, bulk_world, target_group=_group(alice, [*bulk_world.people, nobody, twin]))
    bulk.bulk_send_start(actor=alice, send=send)
    send.refresh_from_db()
    assert send.total == 5
    assert send.skipped == {"no_address": 1, "duplicate": 1}


def test_blacklist_and_opt_out_are_honoured(alice, bulk_world):
    Suppression.objects.create(channel="sms", address="+989120000001", reason=Suppression.Reason.BLACKLIST)
    Suppression.objects.create(channel="sms", address="+989120000002", reason=Suppression.Reason.OPT_OUT)
    send = _draft(alice, bulk_world)
    bulk.bulk_send_start(actor=alice, send=send)
    send.refresh_from_db()
    assert send.skipped == {"blacklist": 1, "optout": 1}
    assert Message.objects.filter(bulk_send=send, status=Message.Status.SUPPRESSED).count() == 2
    assert _outbox(send).count() == 3
    stats = bulk.bulk_send_stats(send)
    assert stats["suppressed"] == 2 and stats["queued"] == 3 and stats["total"] == 5


def test_due_times_are_spread_by_rate_and_chunk(alice, bulk_world):
    send = _draft(alice, bulk_world, rate_per_minute=2, chunk_size=2)
    before = timezone.now()
    bulk.bulk_send_start(actor=alice, send=send)
    due = list(_outbox(send).order_by("id").values_list("due_at", flat=True))
    offsets = [round((d - due[0]).total_seconds()) for d in due]
    assert offsets == [0, 0, 60, 60, 120]
    assert due[0] >= before - dt.timedelta(seconds=1)


def test_pause_resume_and_cancel(alice, bulk_world):
    send = _draft(alice, bulk_world, rate_per_minute=60, chunk_size=2)
    bulk.bulk_send_start(actor=alice, send=send)
    # one row already sent before the pause: it stays as it is
    first = Message.objects.filter(bulk_send=send).order_by("id").first()
    OutboxMessage.objects.filter(pk=first.outbox_id).update(status=OutboxMessage.Status.SENT)
    message_mark(message_ids=[first.pk], status=Message.Status.SENT)

    bulk.bulk_send_pause(actor=alice, send=send)
    pending = _outbox(send).filter(status=OutboxMessage.Status.PENDING)
    assert pending.count() == 4
    assert all(d > timezone.now() + dt.timedelta(days=300) for d in pending.values_list("due_at", flat=True))
    with pytest.raises(BulkError):
        bulk.bulk_send_pause(actor=alice, send=send)

    now = timezone.now()
    bulk.bulk_send_resume(actor=alice, send=send)
    due = sorted(pending.values_list("due_at", flat=True))
    assert due[0] >= now - dt.timedelta(seconds=1)
    assert [round((d - due[0]).total_seconds()) for d in due] == [0, 0, 2, 2]

    bulk.bulk_send_cancel(actor=alice, send=send)
    send.refresh_from_db()
    assert send.status == BulkSend.Status.CANCELLED
    assert _outbox(send).filter(status=OutboxMessage.Status.CANCELLED).count() == 4
    assert Message.objects.filter(bulk_send=send, status=Message.Status.CANCELLED).count() == 4
    assert Message.objects.get(pk=first.pk).status == Message.Status.SENT


def test_resend_goes_only_to_the_failed(alice, bulk_world):
    send = _draft(alice, bulk_world)
    bulk.bulk_send_start(actor=alice, send=send)
    messages = list(Message.objects.filter(bulk_send=send).order_by("id"))
    message_mark(message_ids=[m.pk for m in messages], status=Message.Status.SENT)
    message_mark(message_ids=[messages[0].pk, messages[1].pk], status=Message.Status.DELIVERED)
    message_mark(message_ids=[messages[2].pk], status=Message.Status.FAILED, error="no route")
    again = bulk.bulk_send_resend(actor=alice, send=send, statuses=["failed"], start=True)
    assert again.resend_of == send and again.source == BulkSend.Source.RESEND
    resent = list(Message.objects.filter(bulk_send=again))
    assert [m.to_address for m in resent] == [messages[2].to_address]
    assert resent[0].identity_id == messages[2].identity_id and resent[0].body == messages[2].body
    undelivered = bulk.bulk_send_resend(actor=alice, send=send, statuses=["sent", "failed"], start=True)
    assert Message.objects.filter(bulk_send=undelivered).count() == 3


def test_stats_count_rates(alice, bulk_world):
    send = _draft(alice, bulk_world)
    bulk.bulk_send_start(actor=alice, send=send)
    ids = list(Message.objects.filter(bulk_send=send).order_by("id").values_list("pk", flat=True))
    message_mark(message_ids=ids[:4], status=Message.Status.SENT)
    message_mark(message_ids=ids[:3], status=Message.Status.DELIVERED)
    message_mark(message_ids=ids[3:4], status=Message.Status.FAILED)
    Message.objects.filter(pk=ids[0]).update(opened_at=timezone.now(), clicked_at=timezone.now())
    stats = bulk.bulk_send_stats(send)
    assert (stats["total"], stats["queued"], stats["sent"], stats["delivered"], stats["failed"]) == (5, 1, 3, 3, 1)
    assert stats["coverage"] == 60.0 and stats["success"] == 75.0
    assert stats["opened"] == 1 and stats["clicked"] == 1
    message_mark(message_ids=ids[4:], status=Message.Status.DELIVERED)
    send = bulk.bulk_send_refresh(send=send)
    assert send.status == BulkSend.Status.DONE and send.finished_at


def test_scheduled_start_runs_from_a_due_job(alice, bulk_world):
    send = _draft(alice, bulk_world, start_at=timezone.now() + dt.timedelta(hours=1))
    assert bulk.bulk_send_start(actor=alice, send=send) == 0
    send.refresh_from_db()
    assert send.status == BulkSend.Status.SCHEDULED
    job = DueJob.objects.get(kind=bulk.START_JOB)
    assert not Message.objects.filter(bulk_send=send).exists()
    DueJob.objects.filter(pk=job.pk).update(due_at=timezone.now())
    BulkSend.objects.filter(pk=send.pk).update(start_at=timezone.now())
    due_jobs_run_batch(worker_id="t")
    send.refresh_from_db()
    assert send.status == BulkSend.Status.RUNNING and send.total == 5


def test_editing_a_scheduled_send_takes_it_back_to_draft(alice, bulk_world):
    send = _draft(alice, bulk_world, start_at=timezone.now() + dt.timedelta(hours=1))
    bulk.bulk_send_start(actor=alice, send=send)
    send = bulk.bulk_send_update(actor=alice, send=send, name="Renamed")
    assert send.status == BulkSend.Status.DRAFT
    assert DueJob.objects.get(kind=bulk.START_JOB).status == DueJob.Status.CANCELLED


def test_saved_filter_of_identities_is_a_source(alice, bulk_world):
    bulk_world.people[1].class_code = "Z"
    bulk_world.people[1].save()
    saved = SavedFilter.objects.create(owner=alice, list_key="identities", name="Z", query="class_code=Z")
    send = _draft(alice, bulk_world, source=BulkSend.Source.SAVED_FILTER, source_params={"saved_filter": saved.pk})
    assert bulk.bulk_send_start(actor=alice, send=send) == 1
    assert Message.objects.get(bulk_send=send).identity_id == bulk_world.people[1].pk


def test_query_parsing_follows_the_identities_list(alice, bulk_world):
    bulk_world.people[2].class_code = "B"
    bulk_world.people[2].save()
    filters = bulk.identity_filters_from_query(alice, "class_code=B&kind=person&colour=nope&category=999")
    assert filters.class_code == "B" and filters.kind == "person" and not filters.colour and filters.category is None
    ids = list(bulk.recipient_source_get("identities").resolve(alice, "class_code=B"))
    assert ids == [bulk_world.people[2].pk]


def test_other_entities_register_their_lists(alice, bulk_world):
    bulk.register_recipient_source("test_invoices", "Invoices", lambda user, query: [bulk_world.people[4].pk])
    send = _draft(alice, bulk_world, source=BulkSend.Source.SAVED_FILTER, source_params={"list_key": "test_invoices"})
    bulk.bulk_send_start(actor=alice, send=send)
    assert list(Message.objects.filter(bulk_send=send).values_list("identity_id", flat=True)) == [
        bulk_world.people[4].pk
    ]


def test_typed_numbers_match_identities_and_skip_garbage(alice, bulk_world):
    lines = ["09120000003", "+98 912 999 0000, Reza", "not a number", "0912 000 0003"]
    send = _draft(
        alice,
        bulk_world,
        source=BulkSend.Source.NUMBERS,
        source_params={"lines": lines},
        body="Hi {{ identity.first_name }}",
    )
    bulk.bulk_send_start(actor=alice, send=send)
    send.refresh_from_db()
    rows = {m.to_address: m for m in Message.objects.filter(bulk_send=send)}
    assert set(rows) == {"+989120000003", "+989129990000"}
    assert rows["+989120000003"].identity_id == bulk_world.people[3].pk
    assert rows["+989120000003"].body == "Hi P3" and rows["+989129990000"].body == "Hi Reza"
    assert send.skipped == {"invalid": 1, "duplicate": 1}


def test_excel_rows_are_read(alice, bulk_world):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Mobile", "Name"])
    sheet.append([9120000001, "Mina"])
    sheet.append(["+98 912 000 0002", None])
    sheet.append([None, "empty"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    rows = bulk.excel_rows(data)
    assert rows == [["9120000001", "Mina"], ["+98 912 000 0002", ""]]
    with pytest.raises(BulkError):
        bulk.excel_rows(io.BytesIO(b"not a workbook"))


def test_email_send_keeps_html_and_tracked_links(alice, bulk_world):
    body = (
        '<p>Hi {{ identity.first_name }}</p><a href="https://shop.example.com/a?x=1&amp;y=2">Shop</a>'
        '<a href="https://{{ identity.city }}">x</a>'
    )
    send = _draft(
        alice, bulk_world, channel="email", is_html=True, subject="News for {{ identity.first_name }}", body=body
    )
    assert send.mailbox == bulk_world.mailbox
    bulk.bulk_send_start(actor=alice, send=send)
    send.refresh_from_db()
    assert send.links == ["https://shop.example.com/a?x=1&y=2"]
    message = Message.objects.filter(bulk_send=send).order_by("id").first()
    assert message.subject == "News for P0" and "Hi P0" in message.html and message.to_address == "p0@example.com"
    assert "<" not in message.body


def test_only_the_creator_or_see_all_manage_a_send(alice, bulk_world):
    bob = make_sender("bobby")
    dave = make_sender("dave")
    send = _draft(bob, bulk_world, target_group=_group(bob, bulk_world.people))
    assert bulk_send_get_for_user(user=dave, pk=send.pk) is None
    with pytest.raises(BulkError):
        bulk.bulk_send_start(actor=dave, send=send)
    assert bulk.bulk_send_start(actor=bob, send=send) == 5
    assert bulk_send_get_for_user(user=alice, pk=send.pk) is not None


def test_a_group_of_another_user_cannot_be_used(alice, bulk_world):
    dave = make_sender("dave")
    with pytest.raises(BulkError):
        _draft(dave, bulk_world, target_group=_group(alice, bulk_world.people))
