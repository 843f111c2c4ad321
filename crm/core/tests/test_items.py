"""Follow-ups, comments with mentions and attachments on any registered item."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.core.items.errors import ItemError, ItemErrorCode
from crm.core.items.models import FollowUp, Mention
from crm.core.items.selectors import attachment_version_for_user, comments_for_item, followups_for_user, item_panel
from crm.core.items.services import (
    attachment_add,
    attachment_delete,
    attachment_new_version,
    comment_add,
    comment_delete,
    comment_edit,
    followup_delete,
    followup_done,
    followup_reschedule,
    followup_set,
    mention_tokens,
)
from crm.core.notifications.models import Notification, OutboxMessage
from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_jobs_run_batch
from crm.core.timeline.registry import ItemType, register_item_type

pytestmark = pytest.mark.django_db

THING = "test.thing"
# a test item type: everyone but charlie may see every "thing"
register_item_type(
    ItemType(
        key=THING,
        label="Thing",
        icon="bi-box",
        url=lambda item_id: f"/things/{item_id}/",
        visible_ids=lambda user, ids: set() if user.username == "charlie" else {str(i) for i in ids},
        titles=lambda ids: {str(i): f"Thing {i}" for i in ids},
    )
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def soon(minutes: int = 5) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def run_due(now: dt.datetime) -> None:
    DueJob.objects.filter(status=DueJob.Status.PENDING).update(due_at=now - dt.timedelta(seconds=1))
    due_jobs_run_batch(worker_id="test")


# --- follow-ups ---------------------------------------------------------------------


def test_a_followup_reminds_its_owner_once_at_its_time(bob):
    followup = followup_set(actor=bob, item_type=THING, item_id=7, due_at=soon(), note="call back about the quote")
    job = DueJob.objects.get(dedupe_key=followup.dedupe_key)
    assert job.kind == "followup.remind"

    run_due(timezone.now())
    run_due(timezone.now())  # a second pass finds nothing more to do

    notification = Notification.objects.get(user=bob)
    assert notification.title == "Reminder: Thing 7"
    assert notification.body == "call back about the quote"
    assert notification.url == "/things/7/"
    followup.refresh_from_db()
    assert followup.reminded_at is not None
    # bob did not ask for email
    assert not OutboxMessage.objects.exists()


def test_a_reminder_also_goes_by_email_when_the_user_chose_it(bob):
    bob.email, bob.notify_by_email = "bob@example.com", True
    bob.save()
    followup_set(actor=bob, item_type=THING, item_id=7, due_at=soon(), note="n")
    run_due(timezone.now())
    message = OutboxMessage.objects.get()
    assert (message.channel, message.recipient, message.subject) == ("email", "bob@example.com", "Reminder: Thing 7")


def test_the_same_reminder_run_twice_tells_once(bob):
    from crm.core.items.services import _remind

    followup = followup_set(actor=bob, item_type=THING, item_id=7, due_at=soon())
    job = DueJob.objects.get(dedupe_key=followup.dedupe_key)
    _remind(job)
    _remind(job)  # e.g. a worker that lost its lease ran it again
    assert Notification.objects.filter(user=bob).count() == 1


def test_reminders_due_together_are_handled_as_one_batch_and_each_told_once(alice, bob):
    from crm.core.items.services import _remind_batch

    bob.email, bob.notify_by_email = "bob@example.com", True
    bob.save()
    made = [
        followup_set(actor=user, item_type=THING, item_id=i, due_at=soon(), note=f"n{i}")
        for i in range(1, 7)
        for user in (alice, bob)
    ]
    done_early = made[0]
    followup_done(actor=alice, followup=done_early)

    run_due(timezone.now())

    told = Notification.objects.filter(kind="followup.due")
    assert told.count() == len(made) - 1  # the one done before its time is not reminded
    assert set(told.filter(user=bob).values_list("title", flat=True)) == {f"Reminder: Thing {i}" for i in range(1, 7)}
    assert OutboxMessage.objects.filter(channel="email", recipient="bob@example.com").count() == 6
    assert not DueJob.objects.filter(kind="followup.remind", status=DueJob.Status.PENDING).exists()
    # a worker that lost its lease runs the same batch again: nobody is told twice
    _remind_batch(list(DueJob.objects.filter(kind="followup.remind")))
    assert Notification.objects.filter(kind="followup.due").count() == len(made) - 1
    assert OutboxMessage.objects.count() == 6


def test_a_failing_batch_falls_back_to_one_by_one(bob, monkeypatch):
    from crm.core.scheduling import services as scheduling

    def broken(jobs):
        raise RuntimeError("batch handler bug")

    monkeypatch.setitem(scheduling._batch_handlers, "followup.remind", broken)
    for i in (1, 2, 3):
        followup_set(actor=bob, item_type=THING, item_id=i, due_at=soon())
    run_due(timezone.now())
    assert Notification.objects.filter(user=bob, kind="followup.due").count() == 3


def test_followups_are_personal(bob, charlie):
    followup = followup_set(actor=bob, item_type=THING, item_id=7, due_at=soon())
    other = get_user_model().objects.create_user("dora")
    assert list(followups_for_user(user=other)) == []
    with pytest.raises(ItemError) as denied:
        followup_done(actor=other, followup=followup)
    assert denied.value.code == ItemErrorCode.NOT_YOURS
    with pytest.raises(ItemError):
        followup_delete(actor=other, followup=followup)


def test_no_followup_on_an_item_one_cannot_see(charlie):
    with pytest.raises(ItemError) as denied:
        followup_set(actor=charlie, item_type=THING, item_id=7, due_at=soon())
    assert denied.value.code == ItemErrorCode.ITEM_NOT_FOUND
    assert denied.value.status == 404
    assert not FollowUp.objects.exists()


def test_a_reminder_in_the_past_is_refused(bob):
    with pytest.raises(ItemError) as refused:
        followup_set(actor=bob, item_type=THING, item_id=7, due_at=timezone.now() - dt.timedelta(minutes=1))
    assert refused.value.code == ItemErrorCode.DUE_IN_PAST


def test_a_reminder_set_in_local_time_fires(bob):
    # a form hands the service the user's local time (Tehran, +03:30), the database gives UTC back
    local = timezone.localtime(soon())
    assert local.utcoffset() != dt.timedelta(0)
    followup_set(actor=bob, item_type=THING, item_id=7, due_at=local, note="local")
    run_due(timezone.now())
    assert Notification.objects.filter(user=bob, body="local").exists()


def test_rescheduling_moves_the_reminder_and_done_cancels_it(bob):
    followup = followup_set(actor=bob, item_type=THING, item_id=7, due_at=soon(5))
    old_key = followup.dedupe_key
    followup_reschedule(actor=bob, followup=followup, due_at=soon(60))
    assert DueJob.objects.get(dedupe_key=old_key).status == DueJob.Status.CANCELLED
    assert DueJob.objects.get(dedupe_key=followup.dedupe_key).status == DueJob.Status.PENDING

    followup_done(actor=bob, followup=followup)
    assert DueJob.objects.get(dedupe_key=followup.dedupe_key).status == DueJob.Status.CANCELLED
    run_due(timezone.now())
    assert not Notification.objects.exists()


# --- comments and mentions ---------------------------------------------------------


def test_mention_tokens_read_latin_and_persian_names():
    assert mention_tokens("ask @bob and @sales-team, not mail@example.com; @نازنین") == ["bob", "sales-team", "نازنین"]


def test_a_mention_notifies_the_named_user_who_sees_it_in_mentions(alice, bob):
    comment = comment_add(actor=alice, item_type=THING, item_id=3, body="@bob please check the price")
    mention = Mention.objects.get()
    assert (mention.comment, mention.user, mention.via) == (comment, bob, "bob")
    notification = Notification.objects.get(user=bob)
    assert notification.kind == "comment.mention"
    assert "mentioned you on Thing 3" in notification.title
    # editing without new names tells nobody again
    comment_edit(actor=alice, comment=comment, body="@bob please check the price today")
    assert Notification.objects.filter(user=bob).count() == 1


def test_those_who_may_not_see_the_item_are_not_told(alice, charlie):
    comment_add(actor=alice, item_type=THING, item_id=3, body="@charlie look")
    assert not Mention.objects.exists()
    assert not Notification.objects.filter(user=charlie).exists()


def test_threads_and_author_rules(alice, bob, charlie):
    top = comment_add(actor=alice, item_type=THING, item_id=3, body="first")
    comment_add(actor=bob, item_type=THING, item_id=3, body="a reply", parent=top)
    [shown] = comments_for_item(item_type=THING, item_id=3)
    assert [reply.body for reply in shown.thread] == ["a reply"]
    with pytest.raises(ItemError) as not_author:
        comment_edit(actor=bob, comment=top, body="changed")
    assert not_author.value.code == ItemErrorCode.NOT_AUTHOR
    with pytest.raises(ItemError):
        comment_add(actor=bob, item_type=THING, item_id=3, body="   ")
    with pytest.raises(ItemError) as hidden:
        comment_add(actor=charlie, item_type=THING, item_id=3, body="hi")
    assert hidden.value.code == ItemErrorCode.ITEM_NOT_FOUND
    comment_delete(actor=alice, comment=top)
    assert comments_for_item(item_type=THING, item_id=3) == []


# --- attachments ---------------------------------------------------------------------


def test_attachments_keep_versions_and_check_what_files_are(bob):
    attachment = attachment_add(
        actor=bob, item_type=THING, item_id=3, upload=SimpleUploadedFile("scan.png", PNG, "image/png")
    )
    version = attachment_new_version(
        actor=bob, attachment=attachment, upload=SimpleUploadedFile("scan.pdf", PDF, "application/pdf")
    )
    assert version.number == 2
    assert [v.number for v in attachment.versions.all()] == [2, 1]
    assert attachment.current.content_type == "application/pdf"
    assert attachment.current.previewable == "pdf"
    assert attachment_version_for_user(user=bob, public_id=attachment.public_id, number=1).content_type == "image/png"


def test_a_file_pretending_to_be_an_image_is_refused(bob):
    with pytest.raises(ItemError) as refused:
        attachment_add(
            actor=bob, item_type=THING, item_id=3, upload=SimpleUploadedFile("x.png", b"<svg onload=alert(1)>")
        )
    assert refused.value.code == ItemErrorCode.FILE_TYPE_REFUSED
    with pytest.raises(ItemError) as unknown:
        attachment_add(actor=bob, item_type=THING, item_id=3, upload=SimpleUploadedFile("x.html", b"<html>"))
    assert unknown.value.code == ItemErrorCode.FILE_TYPE_REFUSED


def test_oversized_and_empty_files_are_refused(bob, settings):
    settings.CRM_UPLOAD_MAX_BYTES = 100
    with pytest.raises(ItemError) as big:
        attachment_add(actor=bob, item_type=THING, item_id=3, upload=SimpleUploadedFile("a.txt", b"x" * 101))
    assert big.value.code == ItemErrorCode.FILE_TOO_LARGE
    with pytest.raises(ItemError) as empty:
        attachment_add(actor=bob, item_type=THING, item_id=3, upload=SimpleUploadedFile("a.txt", b""))
    assert empty.value.code == ItemErrorCode.FILE_EMPTY


def test_files_of_hidden_items_are_not_served(bob, charlie):
    attachment = attachment_add(
        actor=bob, item_type=THING, item_id=3, upload=SimpleUploadedFile("a.txt", b"hello", "text/plain")
    )
    assert attachment_version_for_user(user=charlie, public_id=attachment.public_id) is None
    assert item_panel(user=charlie, item_type=THING, item_id=3) is None
    other = get_user_model().objects.create_user("dora")
    with pytest.raises(ItemError) as not_uploader:
        attachment_delete(actor=other, attachment=attachment)
    assert not_uploader.value.code == ItemErrorCode.NOT_UPLOADER
    attachment_delete(actor=bob, attachment=attachment)
    assert attachment_version_for_user(user=bob, public_id=attachment.public_id) is None
