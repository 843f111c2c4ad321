"""Fax: the provider interface, the email-to-fax adapter through a real SMTP sink, denials,
received faxes from the gateway's mailbox, and the fax pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.core.notifications.models import OutboxMessage
from crm.core.notifications.services import outbox_dispatch_batch
from crm.messaging import fax
from crm.messaging.mail.errors import MailError, MailErrorCode
from crm.messaging.mail.imap import mail_store
from crm.messaging.mail.testing import smtp_sink
from crm.messaging.models import AccountAccess, FaxLine, Mailbox, Message
from crm.org.testing import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _pdf(name: str = "order.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


@pytest.fixture
def sink():
    with smtp_sink() as server:
        yield server


@pytest.fixture
def line(db, sink) -> FaxLine:
    mailbox = Mailbox.objects.create(
        name="Fax out",
        address="fax@example.com",
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_security=Mailbox.Security.NONE,
    )
    return FaxLine.objects.create(
        name="Office fax",
        number="+982188776655",
        provider="email2fax",
        config={"address_pattern": "{number}@fax.example.net", "mailbox": mailbox.pk, "inbound_mailbox": mailbox.pk},
    )


def test_a_fax_goes_out_as_an_email_with_the_pdf(alice, line, sink):
    message = fax.fax_send(
        actor=alice, line=line, to_number="021 2222 3333", document=_pdf(), subject="Order", cover_text="Please sign"
    )
    assert message.channel == "fax" and message.to_address == "+982122223333" and message.fax_line == line
    outbox_dispatch_batch(worker_id="w")
    (got,) = sink.wait_for(1)
    assert got.rcpt_tos == ["982122223333@fax.example.net"]
    mail = got.message
    assert mail["Subject"] == "Order"
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content() == PDF
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.provider_ref == mail["Message-ID"]


def test_fax_refuses_what_is_not_a_pdf_and_bad_numbers(alice, line):
    with pytest.raises(MailError) as caught:
        fax.fax_send(actor=alice, line=line, to_number="02122223333", document=SimpleUploadedFile("a.pdf", b"nope"))
    assert caught.value.code == MailErrorCode.FAX_DOCUMENT
    with pytest.raises(MailError) as caught:
        fax.fax_send(actor=alice, line=line, to_number="abc", document=_pdf())
    assert caught.value.code == MailErrorCode.BAD_ADDRESS
    assert not Message.objects.exists()


def test_only_grantees_send_from_a_granted_line(alice, bob, charlie, line):
    AccountAccess.objects.create(user=bob, fax_line=line)
    with pytest.raises(MailError) as caught:
        fax.fax_send(actor=charlie, line=line, to_number="02122223333", document=_pdf())
    assert caught.value.code == MailErrorCode.FAX_LINE_NOT_ALLOWED
    assert fax.fax_send(actor=bob, line=line, to_number="02122223333", document=_pdf()).fax_line == line


class _Recorder:
    sent: list[tuple[int, bytes]] = []

    def send(self, line, message, document_bytes):
        self.sent.append((message.pk, document_bytes))
        return "REF-1"


def test_other_providers_plug_in_behind_the_interface(alice, line):
    fax.register_fax_provider("recorder", _Recorder)
    line.provider = "recorder"
    line.save()
    message = fax.fax_send(actor=alice, line=line, to_number="02122223333", document=_pdf())
    outbox_dispatch_batch(worker_id="w")
    assert _Recorder.sent == [(message.pk, PDF)]
    message.refresh_from_db()
    assert (message.status, message.provider_ref) == (Message.Status.SENT, "REF-1")


def test_an_unknown_provider_fails_the_fax(alice, line):
    line.provider = "nowhere"
    line.save()
    message = fax.fax_send(actor=alice, line=line, to_number="02122223333", document=_pdf())
    outbox_dispatch_batch(worker_id="w")
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert OutboxMessage.objects.get(pk=message.outbox_id).status == OutboxMessage.Status.FAILED


def test_a_fax_received_by_the_gateway_mailbox_is_a_received_fax(alice, line):
    from email.message import EmailMessage

    mailbox = Mailbox.objects.get(pk=line.config["inbound_mailbox"])
    mail = EmailMessage()
    mail["From"] = "982155554444@fax.example.net"
    mail["To"] = "fax@example.com"
    mail["Subject"] = "Fax from 982155554444"
    mail["Message-ID"] = "<fax-in-1@fax.example.net>"
    mail.set_content("1 page")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="fax.pdf")
    message, created = mail_store(mailbox=mailbox, raw=mail.as_bytes(), uidvalidity=1, uid=1)
    assert created and message.channel == "fax" and message.direction == "in" and message.fax_line == line
    assert message.from_address == "+982155554444"
    assert mail_store(mailbox=mailbox, raw=mail.as_bytes(), uidvalidity=1, uid=1)[1] is False


def test_fax_pages(client, alice, charlie, line):
    client.login(username="alice", password=PASSWORD)
    response = client.get(reverse("messaging:fax_send"))
    assert response.status_code == 200 and b"fax-form" in response.content
    response = client.post(
        reverse("messaging:fax_send"),
        {"line": line.pk, "to": "02122223333", "subject": "Hi", "document": _pdf(), "compose_key": "k"},
    )
    message = Message.objects.get(channel="fax")
    assert response.status_code == 302 and response["Location"] == reverse(
        "messaging:message_detail", args=[message.pk]
    )
    listing = client.get(reverse("messaging:fax_list") + "?direction=out")
    assert b"fax-row" in listing.content
    assert client.get(reverse("messaging:message_detail", args=[message.pk])).status_code == 200

    client.logout()
    client.login(username="charlie", password=PASSWORD)
    assert client.get(reverse("messaging:message_detail", args=[message.pk])).status_code == 404
    assert b"fax-row" not in client.get(reverse("messaging:fax_list")).content
    bad = client.post(reverse("messaging:fax_send"), {"line": line.pk, "to": "0212", "document": _pdf("x.txt")})
    assert bad.status_code == 200 and Message.objects.count() == 1
