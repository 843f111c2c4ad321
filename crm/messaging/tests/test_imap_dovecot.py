"""IMAP fetch against a real Dovecot on loopback (started by scripts/mail.sh, once per session)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from crm.core.items.selectors import attachments_for_item
from crm.core.timeline.models import TimelineEntry
from crm.identities.models import Identity
from crm.identities.services import identity_create
from crm.messaging.mail.imap import mailbox_fetch
from crm.messaging.mail.selectors import mail_inbox_for_user
from crm.messaging.mail.servers import connection_check
from crm.messaging.mail.services import email_compose, mailbox_save
from crm.messaging.mail.testing import dovecot_available, dovecot_running
from crm.messaging.models import Mailbox, Message
from crm.messaging.sending import MESSAGE_ITEM

pytestmark = pytest.mark.skipif(not dovecot_available(), reason="Dovecot is not installed")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture(scope="session")
def dovecot():
    with dovecot_running() as server:
        yield server


@pytest.fixture
def account(dovecot):
    """A fresh IMAP user per test: (name, password)."""
    return dovecot.next_account()


def _mailbox(actor, dovecot, account, **values) -> Mailbox:
    name, password = account
    return mailbox_save(
        actor=actor,
        values={
            "kind": "personal",
            "name": "Mine",
            "address": f"{name}@example.com",
            "imap_host": "127.0.0.1",
            "imap_port": dovecot.port,
            "imap_security": "none",
            "imap_username": name,
            "imap_password": password,
            **values,
        },
    )


def _mail(
    subject: str, *, sender: str = "Reza Karimi <reza@example.org>", html: str = "", pdf: bool = False, **headers
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "me@example.com"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{subject.replace(' ', '.')}@example.org>"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(f"Text of {subject}")
    if html:
        mail.add_alternative(html, subtype="html")
    if pdf:
        mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="قرارداد.pdf")
        mail.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="run.exe")
    return mail.as_bytes()


def test_fetch_imports_each_mail_once(bob, dovecot, account):
    mailbox = _mailbox(bob, dovecot, account)
    dovecot.append(*account, _mail("first one"))
    dovecot.append(*account, _mail("second one"))

    result = mailbox_fetch(mailbox=mailbox)
    assert (result.new, result.error) == (2, "")
    again = mailbox_fetch(mailbox=mailbox)
    assert (again.new, again.seen) == (0, 0)
    assert Message.objects.filter(direction="in", mailbox=mailbox).count() == 2

    dovecot.append(*account, _mail("third one"))
    assert mailbox_fetch(mailbox=mailbox).new == 1
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 3 and mailbox.imap_uidvalidity and mailbox.imap_error == ""
    # forgetting the UIDs (another server, a rebuilt folder) imports nothing twice either
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_uidvalidity=1, imap_last_uid=0)
    mailbox.refresh_from_db()
    assert mailbox_fetch(mailbox=mailbox).new == 0
    assert Message.objects.filter(direction="in", mailbox=mailbox).count() == 3
    assert [m.subject for m in mail_inbox_for_user(user=bob)] == ["third one", "second one", "first one"]


def test_html_is_sanitised_and_files_are_stored(bob, dovecot, account):
    mailbox = _mailbox(bob, dovecot, account)
    html = '<p onclick="x()">Hi <b>you</b></p><script>alert("x")</script><a href="javascript:evil()">link</a>'
    dovecot.append(*account, _mail("with html", html=html, pdf=True))
    mailbox_fetch(mailbox=mailbox)
    message = Message.objects.get(subject="with html")
    assert "<b>you</b>" in message.html
    assert "script" not in message.html and "onclick" not in message.html and "javascript" not in message.html
    assert message.body.startswith("Text of with html")
    (stored,) = attachments_for_item(item_type=MESSAGE_ITEM, item_id=message.pk)
    assert stored.name == "قرارداد.pdf"
    version = stored.versions.get()
    assert version.content_type == "application/pdf" and version.file.read() == PDF
    assert message.meta["files_refused"] == ["run.exe"]
    assert message.user == bob and message.meta["from_name"] == "Reza Karimi"


def test_mail_is_matched_to_its_sender_and_shown_in_the_history(alice, bob, dovecot, account):
    sara = identity_create(actor=alice, first_name="Sara", last_name="A", emails=[{"address": "sara@example.com"}])
    mailbox = _mailbox(bob, dovecot, account)
    dovecot.append(*account, _mail("from sara", sender="Sara <sara@example.com>"))
    dovecot.append(*account, _mail("from a stranger", sender="new.person@example.net"))
    mailbox_fetch(mailbox=mailbox)
    known = Message.objects.get(subject="from sara")
    assert known.identity_id == sara.pk
    assert TimelineEntry.objects.filter(identity_id=sara.pk, item_type=MESSAGE_ITEM, item_id=str(known.pk)).exists()
    stranger = Message.objects.get(subject="from a stranger")
    unknown = Identity.objects.get(pk=stranger.identity_id)
    assert unknown.is_unknown


def test_a_reply_from_a_customer_joins_our_thread(alice, bob, dovecot, account):
    mailbox = _mailbox(bob, dovecot, account)
    ours = email_compose(actor=bob, mailbox=mailbox, to="reza@example.org", subject="Offer", body="x")
    dovecot.append(*account, _mail("Re Offer", In_Reply_To=ours.message_id, References=ours.message_id))
    dovecot.append(*account, _mail("Re Re Offer", References=f"{ours.message_id} <unknown@example.org>"))
    mailbox_fetch(mailbox=mailbox)
    assert set(Message.objects.filter(subject__startswith="Re").values_list("thread_key", flat=True)) == {
        ours.thread_key
    }


def test_a_wrong_password_is_recorded_on_the_mailbox(bob, dovecot, account):
    mailbox = _mailbox(bob, dovecot, account, imap_password="wrong")
    result = mailbox_fetch(mailbox=mailbox)
    mailbox.refresh_from_db()
    assert result.error and mailbox.imap_error == result.error and mailbox.imap_checked_at
    assert not Message.objects.exists()


def test_test_connection_reports_each_server(bob, dovecot, account):
    mailbox = _mailbox(bob, dovecot, account)
    results = {kind: ok for kind, ok, _detail in connection_check(mailbox)}
    assert results == {"SMTP": False, "IMAP": True}  # no SMTP server set anywhere
