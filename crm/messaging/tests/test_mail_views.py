"""Pages of "My email", any message's page and the mailbox settings, with their denials."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.core.items.selectors import attachments_for_item
from crm.identities.services import identity_create
from crm.messaging.mail.services import email_compose, mailbox_access_set, mailbox_save
from crm.messaging.models import AccountAccess, Mailbox, Message
from crm.messaging.sending import MESSAGE_ITEM
from crm.org.testing import PASSWORD


@pytest.fixture
def org_box(alice) -> Mailbox:
    return mailbox_save(actor=alice, values={"kind": "org", "name": "Sales", "address": "sales@example.com"})


@pytest.fixture
def bob_box(bob) -> Mailbox:
    return mailbox_save(
        actor=bob,
        values={"kind": "personal", "name": "Bob", "address": "bob@example.com", "imap_password": "hidden-pw"},
    )


def _login(client, name: str):
    assert client.login(username=name, password=PASSWORD)
    return client


def _inbound(mailbox: Mailbox, subject: str = "Question") -> Message:
    return Message.objects.create(
        channel="email",
        direction="in",
        status="received",
        mailbox=mailbox,
        user=mailbox.owner,
        from_address="customer@example.org",
        to_address=mailbox.address,
        cc="other@example.org, bob@example.com",
        subject=subject,
        body="line one\nline two",
        html="<p>line <b>one</b></p>",
        dedupe_key=f"in:test:{subject}",
        message_id=f"<{subject}@example.org>",
        thread_key=f"<{subject}@example.org>",
    )


def test_pages_need_a_login(client):
    for name in ("messaging:mail_inbox", "messaging:mail_sent", "messaging:mail_compose", "messaging:mailbox_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_inbox_detail_thread_and_unread(client, bob, bob_box):
    mail = _inbound(bob_box)
    _login(client, "bob")
    inbox = client.get(reverse("messaging:mail_inbox"))
    assert inbox.status_code == 200 and b"Question" in inbox.content and b'data-testid="mail-unread"' in inbox.content
    detail = client.get(reverse("messaging:message_detail", args=[mail.pk]))
    assert detail.status_code == 200
    assert b"line <b>one</b>" in detail.content and b'data-testid="item-panel"' in detail.content
    mail.refresh_from_db()
    assert mail.read_at is not None
    client.post(reverse("messaging:message_read", args=[mail.pk]), {"read": "0"})
    mail.refresh_from_db()
    assert mail.read_at is None
    thread = client.get(reverse("messaging:mail_thread", args=[mail.pk]))
    assert thread.status_code == 200 and b"thread-message" in thread.content
    filtered = client.get(reverse("messaging:mail_inbox"), {"q": "nothing like this"})
    assert b"Question" not in filtered.content


def test_charlie_gets_404_for_bobs_mail(client, bob_box, charlie):
    mail = _inbound(bob_box)
    _login(client, "charlie")
    for name in ("messaging:message_detail", "messaging:mail_thread"):
        assert client.get(reverse(name, args=[mail.pk])).status_code == 404
    assert client.post(reverse("messaging:message_read", args=[mail.pk]), {"read": "0"}).status_code == 404
    assert client.get(reverse("messaging:mail_compose"), {"reply": mail.pk}).status_code == 404
    assert client.get(reverse("messaging:mail_compose"), {"forward": mail.pk}).status_code == 404
    assert b"Question" not in client.get(reverse("messaging:mail_inbox")).content


def test_compose_prefills_from_an_identity_and_sends(client, alice, org_box):
    sara = identity_create(actor=alice, first_name="Sara", last_name="Ahmadi", emails=[{"address": "sara@example.com"}])
    _login(client, "alice")
    page = client.get(reverse("messaging:mail_compose"), {"identity": sara.pk})
    assert page.status_code == 200 and b"Sara" in page.content
    key = page.context["form"].initial["compose_key"]
    data = {
        "mailbox": org_box.pk,
        "identities": [sara.pk],
        "to": "",
        "cc": "",
        "subject": "Offer",
        "format": "html",
        "body": "<p>Hi <script>x</script></p>",
        "add_signature": "on",
        "compose_key": key,
        "files": [SimpleUploadedFile("terms.txt", b"terms")],
    }
    response = client.post(reverse("messaging:mail_compose"), data)
    message = Message.objects.get(subject="Offer")
    assert response.status_code == 302 and response["Location"] == reverse(
        "messaging:message_detail", args=[message.pk]
    )
    assert message.to_address == "sara@example.com" and message.identity_id == sara.pk
    assert "script" not in message.html
    assert [a.name for a in attachments_for_item(item_type=MESSAGE_ITEM, item_id=message.pk)] == ["terms.txt"]
    # the same form sent twice is one mail
    data["files"] = []
    client.post(reverse("messaging:mail_compose"), data)
    assert Message.objects.filter(subject="Offer").count() == 1
    sent = client.get(reverse("messaging:mail_sent"))
    assert b"Offer" in sent.content


def test_compose_shows_errors_and_refuses_bad_files(client, alice, org_box):
    _login(client, "alice")
    page = client.get(reverse("messaging:mail_compose"))
    key = page.context["form"].initial["compose_key"]
    base = {"mailbox": org_box.pk, "format": "text", "subject": "s", "body": "b", "compose_key": key}
    bad = client.post(reverse("messaging:mail_compose"), {**base, "to": "not-an-address"})
    assert bad.status_code == 200 and "not-an-address" in bad.context["form"].errors["to"][0]
    bad = client.post(
        reverse("messaging:mail_compose"),
        {**base, "to": "a@example.org", "files": [SimpleUploadedFile("x.exe", b"MZ")]},
    )
    assert bad.status_code == 200 and "files" in bad.context["form"].errors
    assert not Message.objects.exists()


def test_reply_prefills_the_sender_and_reply_all_the_others(client, bob, bob_box):
    mail = _inbound(bob_box)
    _login(client, "bob")
    page = client.get(reverse("messaging:mail_compose"), {"reply": mail.pk, "all": "1"})
    initial = page.context["form"].initial
    assert initial["to"] == "customer@example.org"
    assert initial["cc"] == "other@example.org"  # not our own address
    assert initial["subject"] == "Re: Question" and initial["mailbox"] == bob_box.pk
    assert "> line one" in initial["body"]
    forward = client.get(reverse("messaging:mail_compose"), {"forward": mail.pk}).context["form"].initial
    assert forward["subject"] == "Fwd: Question" and "line two" in forward["body"]


def test_charlie_may_not_send_from_a_granted_mailbox(client, alice, bob, charlie, org_box):
    mailbox_access_set(actor=alice, mailbox=org_box, grants={bob.pk: True})
    _login(client, "charlie")
    page = client.get(reverse("messaging:mail_compose"))
    assert org_box not in page.context["form"].fields["mailbox"].queryset
    response = client.post(
        reverse("messaging:mail_compose"),
        {"mailbox": org_box.pk, "to": "x@example.org", "format": "text", "subject": "s", "compose_key": "k"},
    )
    assert response.status_code == 200 and "mailbox" in response.context["form"].errors
    assert not Message.objects.exists()


def test_mailbox_pages_for_the_owner(client, bob, bob_box):
    _login(client, "bob")
    listing = client.get(reverse("messaging:mailbox_list"))
    assert b"bob@example.com" in listing.content and b"mailbox-add-org" not in listing.content
    edit = client.get(reverse("messaging:mailbox_edit", args=[bob_box.pk]))
    assert edit.status_code == 200 and b"hidden-pw" not in edit.content and b"A password is stored" in edit.content
    response = client.post(
        reverse("messaging:mailbox_edit", args=[bob_box.pk]),
        {
            "kind": "personal",
            "name": "Bob's mail",
            "address": "bob@example.com",
            "smtp_port": 587,
            "smtp_security": "starttls",
            "imap_port": 993,
            "imap_security": "ssl",
            "imap_folder": "INBOX",
            "active": "on",
        },
    )
    assert response.status_code == 302
    bob_box.refresh_from_db()
    assert bob_box.name == "Bob's mail" and bob_box.imap_password == "hidden-pw"
    result = client.post(reverse("messaging:mailbox_test", args=[bob_box.pk]), headers={"HX-Request": "true"})
    assert result.status_code == 200 and b"mailbox-test-result" in result.content
    assert client.get(reverse("messaging:mailbox_create"), {"kind": "org"}).context["form"].fields["kind"].choices == [
        ("personal", "Personal mailbox")
    ]


def test_mailbox_pages_deny_others(client, alice, bob_box, charlie, org_box):
    _login(client, "charlie")
    assert client.get(reverse("messaging:mailbox_edit", args=[bob_box.pk])).status_code == 404
    assert client.post(reverse("messaging:mailbox_test", args=[bob_box.pk])).status_code == 404
    assert client.get(reverse("messaging:mailbox_edit", args=[org_box.pk])).status_code == 404
    assert client.get(reverse("messaging:mailbox_access", args=[org_box.pk])).status_code == 404
    # a forged "org" kind still makes a personal mailbox for someone without the right
    client.post(
        reverse("messaging:mailbox_create"),
        {
            "kind": "org",
            "name": "Fake",
            "address": "fake@example.com",
            "smtp_port": 25,
            "smtp_security": "none",
            "imap_port": 143,
            "imap_security": "none",
            "imap_folder": "INBOX",
            "active": "on",
        },
    )
    assert not Mailbox.objects.filter(kind="org", name="Fake").exists()


def test_the_admin_sets_access(client, alice, bob, org_box):
    _login(client, "alice")
    page = client.get(reverse("messaging:mailbox_access", args=[org_box.pk]))
    assert page.status_code == 200
    client.post(reverse("messaging:mailbox_access", args=[org_box.pk]), {f"read_{bob.pk}": "1", f"send_{bob.pk}": "1"})
    assert list(AccountAccess.objects.filter(mailbox=org_box).values_list("user_id", "can_send")) == [(bob.pk, True)]
    created = client.post(
        reverse("messaging:mailbox_create"),
        {
            "kind": "org",
            "name": "Support",
            "address": "support@example.com",
            "smtp_port": 25,
            "smtp_security": "none",
            "imap_port": 143,
            "imap_security": "none",
            "imap_folder": "INBOX",
            "active": "on",
        },
    )
    assert created.status_code == 302 and Mailbox.objects.filter(kind="org", name="Support").exists()


def test_message_detail_serves_any_channel(client, alice):
    sms = Message.objects.create(channel="sms", to_address="+989121234567", body="سلام", dedupe_key="t:sms", user=alice)
    _login(client, "alice")
    page = client.get(reverse("messaging:message_detail", args=[sms.pk]))
    assert page.status_code == 200 and "سلام" in page.content.decode()


def test_fetch_now_without_imap_says_nothing_new(client, bob, bob_box):
    _login(client, "bob")
    response = client.post(reverse("messaging:mail_fetch_now"))
    assert response.status_code == 302
    email_compose(actor=bob, mailbox=bob_box, to="x@example.org", subject="s")
