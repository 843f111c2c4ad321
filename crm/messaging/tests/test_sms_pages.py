"""SMS pages: the SMS list (own messages or granted lines), lines admin (secret never shown
back), blacklist/opt-outs (add, import, remove) — with denial cases."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.core.notifications.models import OutboxMessage
from crm.messaging.models import AccountAccess, Message, SmsLine, Suppression
from crm.messaging.sending import Outgoing, messages_queue
from crm.org.testing import PASSWORD

pytestmark = pytest.mark.django_db


def login(client: Any, user: Any) -> Any:
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def line() -> SmsLine:
    return SmsLine.objects.create(
        name="Main", number="+982100001000", provider="kannel", secret="s3cret-value", config={"username": "crm"}
    )


def queue(actor: Any, line: SmsLine, to: str, body: str) -> Message:
    [message] = messages_queue(
        actor=actor, channel="sms", items=[Outgoing(to_address=to, body=body)], dedupe_prefix=f"p{to}", sms_line=line
    )
    return message


def test_sms_list_shows_own_and_granted_only(client: Any, alice: Any, bob: Any, charlie: Any, line: SmsLine) -> None:
    queue(bob, line, "+989121110001", "bob's message")
    queue(alice, line, "+989121110002", "alice's message")
    page = login(client, bob).get(reverse("messaging:sms_list")).content.decode()
    assert "bob&#x27;s message" in page and "alice&#x27;s message" not in page
    page = login(client, charlie).get(reverse("messaging:sms_list")).content.decode()
    assert "message" not in page.split("sms-table")[1].split("</table>")[0].replace("No SMS", "")
    AccountAccess.objects.create(user=charlie, sms_line=line)
    page = client.get(reverse("messaging:sms_list")).content.decode()
    assert "bob&#x27;s message" in page and "alice&#x27;s message" in page
    page = login(client, alice).get(reverse("messaging:sms_list"), {"status": "queued", "q": "+98912111000"}).content
    assert page.decode().count('data-testid="sms-status"') == 2


def test_sms_list_needs_login(client: Any) -> None:
    response = client.get(reverse("messaging:sms_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_lines_admin_and_secret_never_shown(client: Any, alice: Any, line: SmsLine) -> None:
    login(client, alice)
    page = client.get(reverse("messaging:line_list")).content.decode()
    assert "Main" in page and "s3cret-value" not in page
    edit = client.get(reverse("messaging:sms_line_edit", args=[line.pk])).content.decode()
    assert "s3cret-value" not in edit
    data = {
        "name": "Main 2",
        "number": "+982100001000",
        "provider": "kannel",
        "url": "http://127.0.0.1:13013",
        "username": "crm",
        "secret": "",
        "rate_per_second": 30,
        "active": "on",
    }
    assert client.post(reverse("messaging:sms_line_edit", args=[line.pk]), data).status_code == 302
    line.refresh_from_db()
    assert (line.name, line.secret, line.config["url"]) == ("Main 2", "s3cret-value", "http://127.0.0.1:13013")
    data["secret"] = "new-one"
    client.post(reverse("messaging:sms_line_edit", args=[line.pk]), data)
    line.refresh_from_db()
    assert line.secret == "new-one"
    response = client.post(reverse("messaging:sms_line_create"), {**data, "name": "Second", "is_default": "on"})
    assert response.status_code == 302 and SmsLine.objects.get(name="Second").is_default
    fax = {
        "name": "Fax",
        "number": "+982100002000",
        "provider": "email2fax",
        "address_pattern": "{number}@fax.example.com",
        "active": "on",
    }
    assert client.post(reverse("messaging:fax_line_create"), fax).status_code == 302


def test_test_sms_is_queued(client: Any, alice: Any, line: SmsLine) -> None:
    login(client, alice)
    client.post(reverse("messaging:sms_line_test", args=[line.pk]), {"to": "09121234567", "text": "test"})
    message = Message.objects.get(to_address="+989121234567")
    assert message.sms_line_id == line.pk and OutboxMessage.objects.filter(pk=message.outbox_id).exists()


def test_lines_and_suppression_denied_without_rights(client: Any, bob: Any, charlie: Any, line: SmsLine) -> None:
    for user in (bob, charlie):
        login(client, user)
        assert client.get(reverse("messaging:line_list")).status_code == 403
        assert client.get(reverse("messaging:sms_line_edit", args=[line.pk])).status_code == 403
        assert (
            client.post(
                reverse("messaging:sms_line_test", args=[line.pk]), {"to": "09121234567", "text": "x"}
            ).status_code
            == 403
        )
        assert client.get(reverse("messaging:suppression_list")).status_code == 403
        assert client.post(reverse("messaging:suppression_import")).status_code == 403
    row = Suppression.objects.create(channel="sms", address="+989121234567", reason="blacklist")
    assert client.post(reverse("messaging:suppression_remove", args=[row.pk])).status_code == 403
    assert Suppression.objects.filter(pk=row.pk).exists()


def test_suppression_add_import_remove(client: Any, alice: Any) -> None:
    login(client, alice)
    url = reverse("messaging:suppression_list")
    add = {"add-channel": "sms", "add-address": "0912 123 4567", "add-reason": "optout", "add-note": "asked"}
    assert client.post(url, add).status_code == 302
    assert Suppression.objects.get().address == "+989121234567"
    assert "Already on the list" in client.post(url, add).content.decode()
    upload = SimpleUploadedFile("list.csv", b"09121234567\n09351112233;09351112244\nnot-a-number\n", "text/csv")
    response = client.post(
        reverse("messaging:suppression_import"), {"file": upload, "reason": "blacklist"}, follow=True
    )
    assert "2 added, 1 already on the list, 1 not usable" in response.content.decode()
    assert Suppression.objects.count() == 3
    page = client.get(url, {"q": "93511"}).content.decode()
    assert "+989351112233" in page and "+989121234567" not in page
    row = Suppression.objects.get(address="+989351112233")
    assert client.post(reverse("messaging:suppression_remove", args=[row.pk])).status_code == 302
    assert not Suppression.objects.filter(pk=row.pk).exists()
    [suppressed] = messages_queue(
        actor=alice, channel="sms", items=[Outgoing(to_address="+989121234567", body="x")], dedupe_prefix="s"
    )
    assert suppressed.status == "suppressed" and suppressed.outbox_id is None
