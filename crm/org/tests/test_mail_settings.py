"""Mail server settings (PL-11): passwords are encrypted at rest, read back in clear by
the code, kept when the form leaves them empty, and never written to the audit trail."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse

from crm.core.audit.models import AuditEntry
from crm.org.models import MailServerSettings
from crm.org.services import mail_settings_save

pytestmark = pytest.mark.django_db

SMTP_SECRET = "smtp-Pa55word!"
IMAP_SECRET = "imap-Pa55word!"


def raw_passwords() -> tuple[str, str]:
    table = MailServerSettings._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT smtp_password, imap_password FROM {table}")
        return cursor.fetchone()


def raw_audit_text() -> str:
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT changes FROM {table}")
        return json.dumps([row[0] for row in cursor.fetchall()], ensure_ascii=False)


@pytest.fixture
def saved(alice):
    return mail_settings_save(
        actor=alice,
        values={
            "smtp_host": "mail.example.com",
            "smtp_username": "crm",
            "smtp_password": SMTP_SECRET,
            "imap_host": "imap.example.com",
            "imap_password": IMAP_SECRET,
        },
    )


def test_passwords_are_encrypted_in_the_database_and_plain_in_the_model(saved):
    smtp, imap = raw_passwords()

    assert smtp.startswith("fernet:")
    assert imap.startswith("fernet:")
    assert SMTP_SECRET not in smtp
    assert IMAP_SECRET not in imap
    current = MailServerSettings.objects.get()
    assert (current.smtp_password, current.imap_password) == (SMTP_SECRET, IMAP_SECRET)


def test_the_audit_trail_holds_fingerprints_not_passwords(alice, saved):
    created = AuditEntry.objects.get(action="mailsettings.created")
    assert created.changes["smtp_host"] == [None, "mail.example.com"]
    assert created.changes["smtp_password"][1].startswith("secret:")

    # when the password is changed
    mail_settings_save(actor=alice, values={"smtp_password": "a-new-Secret-1"})

    # then the change is visible as two different fingerprints, never as text
    updated = AuditEntry.objects.get(action="mailsettings.updated")
    old, new = updated.changes["smtp_password"]
    assert old.startswith("secret:") and new.startswith("secret:") and old != new
    text = raw_audit_text()
    for secret in (SMTP_SECRET, IMAP_SECRET, "a-new-Secret-1"):
        assert secret not in text


def test_an_empty_password_keeps_the_stored_one(alice, saved):
    mail_settings_save(actor=alice, values={"smtp_host": "smtp.example.org", "smtp_password": "", "imap_password": ""})

    current = MailServerSettings.objects.get()
    assert (current.smtp_host, current.smtp_password, current.imap_password) == (
        "smtp.example.org",
        SMTP_SECRET,
        IMAP_SECRET,
    )
    assert set(AuditEntry.objects.get(action="mailsettings.updated").changes) == {"smtp_host"}


def test_there_is_only_ever_one_settings_row(alice, saved):
    mail_settings_save(actor=alice, values={"smtp_port": 465})
    assert MailServerSettings.objects.count() == 1


def test_the_page_never_shows_the_password(client, alice, saved):
    client.force_login(alice)
    page = client.get(reverse("mail_settings")).content.decode()
    assert "mail.example.com" in page
    assert SMTP_SECRET not in page
    assert IMAP_SECRET not in page
    assert "fernet:" not in page


def test_charlie_cannot_open_or_post_the_page(client, charlie, saved):
    client.force_login(charlie)
    assert client.get(reverse("mail_settings")).status_code == 403
    response = client.post(reverse("mail_settings"), {"smtp_host": "evil.example", "smtp_port": 25})
    assert response.status_code == 403
    assert MailServerSettings.objects.get().smtp_host == "mail.example.com"
