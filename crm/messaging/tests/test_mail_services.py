"""Mailboxes, access grants, composing (recipients, threads, forwards) and denials."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.core.audit.models import AuditEntry
from crm.core.errors import PermissionDeniedError
from crm.core.items.selectors import attachments_for_item
from crm.core.scheduling.models import DueJob
from crm.core.timeline.models import TimelineEntry
from crm.identities.services import identity_create
from crm.messaging.mail import jobs
from crm.messaging.mail.errors import MailError, MailErrorCode
from crm.messaging.mail.selectors import (
    mail_inbox_for_user,
    mail_sent_for_user,
    mail_thread_for_user,
    mail_unread_count,
    mailboxes_managed_by,
    message_get_for_user,
)
from crm.messaging.mail.services import (
    email_compose,
    mailbox_access_set,
    mailbox_for_sending,
    mailbox_save,
    message_read_set,
    thread_key_for,
)
from crm.messaging.models import AccountAccess, Mailbox, Message
from crm.messaging.sending import MESSAGE_ITEM
from crm.org.testing import fresh, make_user

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def org_box(alice) -> Mailbox:
    return mailbox_save(
        actor=alice,
        values={"kind": "org", "name": "Sales", "address": "sales@example.com", "smtp_password": "s3cret"},
    )


@pytest.fixture
def bob_box(bob) -> Mailbox:
    return mailbox_save(actor=bob, values={"kind": "personal", "name": "Bob", "address": "bob@example.com"})


def _inbound(mailbox: Mailbox, *, subject: str = "Hello", **extra) -> Message:
    return Message.objects.create(
        channel="email",
        direction="in",
        status="received",
        mailbox=mailbox,
        user=mailbox.owner,
        from_address="customer@example.org",
        to_address=mailbox.address,
        subject=subject,
        body="text",
        dedupe_key=f"in:test:{subject}:{mailbox.pk}",
        message_id=f"<{subject}.{mailbox.pk}@example.org>",
        thread_key=f"<{subject}.{mailbox.pk}@example.org>",
        **extra,
    )


# --- mailboxes ------------------------------------------------------------------------------


def test_mailbox_passwords_are_kept_when_left_empty_and_never_audited_in_clear(alice, org_box):
    mailbox_save(actor=alice, mailbox=org_box, values={"name": "Sales team", "smtp_password": ""})
    org_box.refresh_from_db()
    assert org_box.name == "Sales team" and org_box.smtp_password == "s3cret"
    changes = [str(e.changes) for e in AuditEntry.objects.filter(target_id=str(org_box.pk))]
    assert changes and not any("s3cret" in c for c in changes)


def test_saving_a_mailbox_schedules_the_periodic_fetch_once(alice, org_box):
    mailbox_save(actor=alice, mailbox=org_box, values={"name": "again"})
    assert DueJob.objects.filter(kind=jobs.KIND, status="pending").count() == 1


def test_an_organisation_mailbox_needs_the_right(charlie, bob):
    with pytest.raises(PermissionDeniedError):
        mailbox_save(actor=charlie, values={"kind": "org", "name": "X", "address": "x@example.com"})
    # but anyone may add their own personal mailbox
    own = mailbox_save(actor=charlie, values={"kind": "personal", "name": "Mine", "address": "c@example.com"})
    assert own.owner == charlie and own.kind == "personal"


def test_a_personal_mailbox_is_its_owners_alone(alice, charlie, bob_box):
    for actor in (charlie, alice):  # not even an admin changes someone's own mailbox
        with pytest.raises(MailError) as caught:
            mailbox_save(actor=actor, mailbox=bob_box, values={"name": "mine now"})
        assert caught.value.code == MailErrorCode.NOT_PERSONAL
    assert bob_box not in mailboxes_managed_by(charlie)
    assert bob_box not in mailboxes_managed_by(alice)


def test_changing_the_imap_account_starts_its_uids_again(alice, org_box):
    Mailbox.objects.filter(pk=org_box.pk).update(imap_uidvalidity=7, imap_last_uid=99)
    org_box.refresh_from_db()
    mailbox_save(actor=alice, mailbox=org_box, values={"imap_host": "imap.example.com"})
    org_box.refresh_from_db()
    assert (org_box.imap_uidvalidity, org_box.imap_last_uid) == (None, 0)


def test_access_grants_need_the_change_right_and_decide_who_sends(alice, bob, charlie, org_box):
    with pytest.raises(PermissionDeniedError):
        mailbox_access_set(actor=bob, mailbox=org_box, grants={bob.pk: True})
    mailbox_access_set(actor=alice, mailbox=org_box, grants={bob.pk: True, charlie.pk: False})
    assert AccountAccess.objects.filter(mailbox=org_box).count() == 2
    assert mailbox_for_sending(actor=fresh(bob), mailbox_id=org_box.pk) == org_box
    with pytest.raises(MailError) as caught:
        mailbox_for_sending(actor=fresh(charlie), mailbox_id=org_box.pk)  # reads, may not send
    assert caught.value.code == MailErrorCode.MAILBOX_NOT_ALLOWED
    mailbox_access_set(actor=alice, mailbox=org_box, grants={bob.pk: True})
    assert list(AccountAccess.objects.filter(mailbox=org_box).values_list("user_id", flat=True)) == [bob.pk]


# --- reading ------------------------------------------------------------------------------------


def test_charlie_does_not_read_bobs_personal_mail(bob, charlie, bob_box):
    mail = _inbound(bob_box)
    assert message_get_for_user(user=bob, pk=mail.pk) == mail
    assert message_get_for_user(user=charlie, pk=mail.pk) is None
    assert list(mail_inbox_for_user(user=charlie)) == []
    assert mail_unread_count(user=bob) == 1
    with pytest.raises(MailError):
        message_read_set(actor=charlie, message=mail)
    message_read_set(actor=bob, message=mail)
    assert mail_unread_count(user=bob) == 0
    message_read_set(actor=bob, message=mail, read=False)
    assert mail_unread_count(user=bob) == 1


def test_a_grant_lets_a_user_read_an_organisation_mailbox(alice, bob, charlie, org_box):
    mail = _inbound(org_box)
    assert message_get_for_user(user=charlie, pk=mail.pk) is None
    mailbox_access_set(actor=alice, mailbox=org_box, grants={charlie.pk: False})
    assert message_get_for_user(user=fresh(charlie), pk=mail.pk) == mail
    assert message_get_for_user(user=bob, pk=mail.pk) is None


# --- composing ----------------------------------------------------------------------------------


def test_compose_links_identities_and_is_idempotent_per_form(alice, org_box):
    sara = identity_create(actor=alice, first_name="Sara", last_name="A", emails=[{"address": "sara@example.com"}])
    kaveh = identity_create(actor=alice, first_name="Kaveh", last_name="B", emails=[{"address": "kaveh@example.com"}])
    first = email_compose(
        actor=alice,
        mailbox=org_box,
        to="someone@example.org",
        cc="KAVEH@example.com",
        identity_ids=[sara.pk],
        subject="Hi",
        body="plain",
        compose_key="same",
    )
    again = email_compose(actor=alice, mailbox=org_box, to="other@example.org", subject="x", compose_key="same")
    assert again.pk == first.pk and Message.objects.filter(channel="email").count() == 1
    assert first.to_address == "someone@example.org, sara@example.com"
    assert first.cc == "KAVEH@example.com"  # the local part keeps its case (RFC 5321)
    assert first.identity_id == sara.pk and first.user == alice and first.from_address == "sales@example.com"
    linked = set(
        TimelineEntry.objects.filter(item_type=MESSAGE_ITEM, item_id=str(first.pk)).values_list(
            "identity_id", flat=True
        )
    )
    assert linked == {sara.pk, kaveh.pk}
    assert list(mail_sent_for_user(user=alice)) == [first]


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"to": ""}, MailErrorCode.NO_RECIPIENT),
        ({"to": "not an address"}, MailErrorCode.BAD_ADDRESS),
        ({"to": "a@example.org", "cc": "b@"}, MailErrorCode.BAD_ADDRESS),
        ({"to": ", ".join(f"p{i}@example.org" for i in range(51))}, MailErrorCode.TOO_MANY_RECIPIENTS),
        ({"to": "a@example.org", "subject": "", "body": "  "}, MailErrorCode.EMPTY_MESSAGE),
    ],
)
def test_compose_refuses_bad_input(alice, org_box, values, code):
    with pytest.raises(MailError) as caught:
        email_compose(actor=alice, mailbox=org_box, **{"subject": "s", **values})
    assert caught.value.code == code
    assert not Message.objects.exists()


def test_nobody_sends_from_a_mailbox_they_have_no_grant_for(alice, bob, charlie, org_box, bob_box):
    mailbox_access_set(actor=alice, mailbox=org_box, grants={bob.pk: True})
    for actor, mailbox in ((fresh(charlie), org_box), (fresh(charlie), bob_box), (alice, bob_box)):
        with pytest.raises(MailError) as caught:
            email_compose(actor=actor, mailbox=mailbox, to="x@example.org", subject="s")
        assert caught.value.code == MailErrorCode.MAILBOX_NOT_ALLOWED
    assert email_compose(actor=fresh(bob), mailbox=org_box, to="x@example.org", subject="s").pk


def test_a_mailbox_nobody_was_granted_is_open_for_sending(charlie, org_box):
    assert email_compose(actor=charlie, mailbox=org_box, to="x@example.org", subject="s").mailbox == org_box


def test_reply_keeps_the_thread_and_forward_carries_the_files(bob, bob_box):
    mail = _inbound(bob_box, subject="Question", meta={"references": "<root@example.org>"})
    reply = email_compose(
        actor=bob, mailbox=bob_box, to=mail.from_address, subject="Re: Question", body="answer", reply_to=mail
    )
    assert reply.in_reply_to == mail.message_id
    assert reply.thread_key == mail.thread_key
    assert reply.meta["references"] == f"<root@example.org> {mail.message_id}"
    assert [m.pk for m in mail_thread_for_user(user=bob, message=mail)] == [mail.pk, reply.pk]

    from crm.core.items.services import attachment_add

    attachment_add(actor=bob, item_type=MESSAGE_ITEM, item_id=mail.pk, upload=SimpleUploadedFile("a.pdf", PDF))
    forward = email_compose(actor=bob, mailbox=bob_box, to="colleague@example.org", subject="Fwd", forward_of=mail)
    (copied,) = attachments_for_item(item_type=MESSAGE_ITEM, item_id=forward.pk)
    assert copied.name == "a.pdf"
    assert forward.thread_key == forward.message_id != mail.thread_key


def test_nobody_replies_to_a_message_they_may_not_see(bob, charlie, bob_box):
    mail = _inbound(bob_box)
    own = mailbox_save(actor=charlie, values={"kind": "personal", "name": "C", "address": "c@example.com"})
    for field in ("reply_to", "forward_of"):
        with pytest.raises(MailError) as caught:
            email_compose(actor=charlie, mailbox=own, to="x@example.org", subject="s", **{field: mail})
        assert caught.value.code == MailErrorCode.NOT_FOUND


def test_thread_key_follows_references_to_known_mail(bob, bob_box):
    root = _inbound(bob_box, subject="Root")
    assert thread_key_for(message_id="<new@x>", references=["<unknown@x>", root.message_id]) == root.thread_key
    assert thread_key_for(message_id="<new@x>", in_reply_to="<unknown@x>") == "<new@x>"


def test_the_fetch_job_runs_and_schedules_the_next(monkeypatch, alice, org_box):
    from crm.core.scheduling.services import due_jobs_run_batch

    seen = []
    monkeypatch.setattr(jobs, "mail_fetch_all", lambda: seen.append(1) or {})
    DueJob.objects.filter(kind=jobs.KIND).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    assert due_jobs_run_batch(worker_id="w") == 1
    assert seen == [1]
    pending = DueJob.objects.get(kind=jobs.KIND, status="pending")
    assert pending.due_at > timezone.now() + dt.timedelta(minutes=1)


def test_mailboxes_to_fetch_skip_those_without_imap(alice, org_box):
    assert jobs.mailboxes_to_fetch() == []
    mailbox_save(actor=alice, mailbox=org_box, values={"imap_host": "127.0.0.1"})
    assert jobs.mailboxes_to_fetch() == [org_box]


def test_personal_users_default_mailbox_comes_first(alice):
    user = make_user("dina")
    mailbox_save(actor=alice, values={"kind": "org", "name": "Org", "address": "org@example.com", "is_default": True})
    own = mailbox_save(actor=user, values={"kind": "personal", "name": "Mine", "address": "d@example.com"})
    assert mailbox_for_sending(actor=user, mailbox_id=None) == own
