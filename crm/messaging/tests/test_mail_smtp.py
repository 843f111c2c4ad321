"""The "msg.email" transport against a real SMTP server (aiosmtpd on loopback, in a thread)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.core.notifications.models import OutboxMessage
from crm.core.notifications.services import outbox_dispatch_batch
from crm.messaging.mail.services import email_compose
from crm.messaging.mail.testing import smtp_sink
from crm.messaging.models import Mailbox, Message, MessageEvent
from crm.org.models import MailServerSettings

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def sink():
    with smtp_sink() as server:
        yield server


def _mailbox(port: int, **extra) -> Mailbox:
    return Mailbox.objects.create(
        name="Sales",
        address="sales@example.com",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=Mailbox.Security.NONE,
        **extra,
    )


def _dispatch() -> int:
    return outbox_dispatch_batch(worker_id="test-worker", limit=100)


def test_a_composed_mail_reaches_the_smtp_server_once_with_our_message_id(alice, sink):
    mailbox = _mailbox(sink.port, signature="Alice, Sales")
    message = email_compose(
        actor=alice,
        mailbox=mailbox,
        to="reza@example.org, Mina <mina@example.org>",
        cc="boss@example.org",
        subject="سلام  Offer",
        body="<p>Hello <b>there</b></p><script>alert(1)</script>",
        is_html=True,
        files=[SimpleUploadedFile("offer.pdf", PDF, "application/pdf")],
        compose_key="k1",
    )
    assert message.status == Message.Status.QUEUED
    assert message.message_id.startswith("<") and message.message_id.endswith("@example.com>")
    assert "<script" not in message.html and "<b>there</b>" in message.html

    assert _dispatch() == 1
    (got,) = sink.wait_for(1)
    mail = got.message
    assert got.mail_from == "sales@example.com"
    assert sorted(got.rcpt_tos) == ["boss@example.org", "mina@example.org", "reza@example.org"]
    assert mail["Message-ID"] == message.message_id
    assert mail["Subject"] == "سلام Offer"
    assert "Sales" in mail["From"] and "sales@example.com" in mail["From"]
    html = mail.get_body(preferencelist=("html",)).get_content()
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "<b>there</b>" in html and "script" not in html
    assert "Hello there" in text and "Alice, Sales" in text
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "offer.pdf"
    assert attachment.get_content() == PDF

    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.provider_ref == message.message_id
    assert MessageEvent.objects.filter(message=message, kind=MessageEvent.Kind.ACCEPTED).count() == 1
    assert OutboxMessage.objects.get(pk=message.outbox_id).status == OutboxMessage.Status.SENT

    # nothing is due any more: no second copy
    assert _dispatch() == 0
    assert len(sink.received) == 1


def test_one_connection_per_mailbox_per_batch(alice, sink):
    mailbox = _mailbox(sink.port)
    for n in range(3):
        email_compose(
            actor=alice, mailbox=mailbox, to=f"c{n}@example.org", subject=f"n{n}", body="hi", compose_key=f"b{n}"
        )
    sink.clear()
    assert _dispatch() == 3
    assert len(sink.wait_for(3)) == 3
    assert sink.connections == 1


def test_a_row_taken_over_after_a_crash_is_not_sent_again_once_sent(alice, sink):
    """A worker died after the SMTP hand-off but before marking its outbox row: the next
    worker sees the message already sent and does not send a second copy."""
    mailbox = _mailbox(sink.port)
    message = email_compose(actor=alice, mailbox=mailbox, to="x@example.org", subject="once", body="b", compose_key="c")
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT, provider_ref=message.message_id)
    assert _dispatch() == 1
    assert sink.received == []
    assert OutboxMessage.objects.get(pk=message.outbox_id).status == OutboxMessage.Status.SENT


def test_a_refused_recipient_fails_the_message_for_good(alice, sink):
    sink.refuse.add("nobody@example.org")
    mailbox = _mailbox(sink.port)
    message = email_compose(
        actor=alice, mailbox=mailbox, to="nobody@example.org", subject="s", body="b", compose_key="r"
    )
    _dispatch()
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and "550" in message.error
    assert OutboxMessage.objects.get(pk=message.outbox_id).status == OutboxMessage.Status.FAILED
    assert sink.received == []


def test_a_server_that_is_down_means_retry_later(alice):
    mailbox = _mailbox(1)  # nothing listens on port 1
    message = email_compose(actor=alice, mailbox=mailbox, to="x@example.org", subject="s", body="b", compose_key="d")
    _dispatch()
    row = OutboxMessage.objects.get(pk=message.outbox_id)
    assert row.status == OutboxMessage.Status.PENDING and row.attempts == 1
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED


def test_the_organisation_server_is_the_fallback(alice, sink):
    MailServerSettings.objects.create(smtp_host="127.0.0.1", smtp_port=sink.port, smtp_security="none")
    mailbox = Mailbox.objects.create(name="Support", address="support@example.com")
    email_compose(actor=alice, mailbox=mailbox, to="x@example.org", subject="fallback", body="b", compose_key="f")
    _dispatch()
    (got,) = sink.wait_for(1)
    assert got.message["Subject"] == "fallback"


def test_a_reply_carries_the_thread_headers(alice, sink):
    mailbox = _mailbox(sink.port)
    first = email_compose(actor=alice, mailbox=mailbox, to="x@example.org", subject="Q", body="?", compose_key="t1")
    reply = email_compose(
        actor=alice, mailbox=mailbox, to="x@example.org", subject="Re: Q", body="!", reply_to=first, compose_key="t2"
    )
    _dispatch()
    mails = {m.message["Subject"]: m.message for m in sink.wait_for(2)}
    assert mails["Re: Q"]["In-Reply-To"] == first.message_id
    assert first.message_id in mails["Re: Q"]["References"]
    assert reply.thread_key == first.thread_key == first.message_id
