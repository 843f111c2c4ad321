"""Quick send (CM-1): to one identity, a selection, an identities list query or typed
numbers; the line must be usable; invisible identities are never messaged; no-address and
suppressed recipients are reported; a retried send sends nothing twice."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.core.notifications.models import OutboxMessage
from crm.identities.models import Identity
from crm.messaging.models import AccountAccess, Message, SmsLine, Suppression
from crm.messaging.quicksend import (
    QuickSendError,
    identity_ids_from_list_query,
    quick_send,
    quick_send_report,
)
from crm.messaging.template_services import template_save
from crm.messaging.tests.m3_world import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_send_to_one_identity_with_a_template(world):
    sara = world.identity("sara")
    template = template_save(
        actor=world.alice, template=None, name="T", channel="sms", body="Dear {{ identity.first_name }}"
    )
    [message] = quick_send(actor=world.alice, channel="sms", identity_ids=[sara.pk], template=template)
    assert message.body == "Dear Sara" and message.to_address == "+989121234567"
    assert message.sms_line == world.line and message.from_address == world.line.number
    assert message.template == template and message.user == world.alice
    assert OutboxMessage.objects.get(dedupe_key=message.dedupe_key).channel == "msg.sms"


def test_invisible_identities_are_skipped_never_messaged(world):
    sara, hidden = world.identity("sara"), world.identity("hidden")
    result = quick_send_report(actor=world.bob, channel="sms", identity_ids=[sara.pk, hidden.pk], body="Hi")
    assert [m.identity_id for m in result.messages] == [sara.pk]
    assert result.skipped_hidden == 1
    assert not Message.objects.filter(identity_id=hidden.pk).exists()


def test_no_usable_line_is_a_clear_error(world):
    AccountAccess.objects.create(user=world.alice, sms_line=world.line)  # now only alice may use it
    with pytest.raises(QuickSendError) as err:
        quick_send(actor=world.bob, channel="sms", identity_ids=[world.identity("sara").pk], body="Hi")
    assert "no line or mailbox" in err.value.message
    other = SmsLine.objects.create(name="Other", number="+982100002222")
    with pytest.raises(QuickSendError):  # asking for a line one may not use
        quick_send(
            actor=world.bob, channel="sms", identity_ids=[world.identity("sara").pk], body="Hi", account=world.line
        )
    assert quick_send(
        actor=world.bob, channel="sms", identity_ids=[world.identity("sara").pk], body="Hi", account=other
    )
    with pytest.raises(QuickSendError):  # a mailbox is not an SMS line
        quick_send(
            actor=world.alice, channel="sms", identity_ids=[world.identity("sara").pk], body="x", account=world.mailbox
        )


def test_no_address_suppressed_and_typed_addresses_are_reported(world):
    sara, niknam = world.identity("sara"), world.identity("niknam")  # niknam has no phone
    Suppression.objects.create(channel="sms", address="+989121234567", reason="optout")
    result = quick_send_report(
        actor=world.alice,
        channel="sms",
        identity_ids=[sara.pk, niknam.pk],
        addresses=["0935 111 2233", "not a number", "09127770000"],
        body="Hi {{ identity.first_name }}",
    )
    assert result.no_address == [niknam.pk]
    assert result.invalid == ["not a number"]
    assert result.suppressed == 1 and result.queued == 2
    by_to = {m.to_address: m for m in result.messages}
    assert by_to["+989121234567"].status == "suppressed"
    assert by_to["+989351112233"].identity_id is None
    assert by_to["+989127770000"].identity_id == world.identity("unknown").pk  # typed number of a known identity


def test_a_retried_send_sends_nothing_twice(world):
    ids = [world.identity("sara").pk]
    first = quick_send(actor=world.alice, channel="sms", identity_ids=ids, body="Hi", dedupe_prefix="quick:k1")
    again = quick_send(actor=world.alice, channel="sms", identity_ids=ids, body="Hi", dedupe_prefix="quick:k1")
    assert [m.pk for m in first] == [m.pk for m in again]
    assert Message.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_email_with_an_html_template_escapes_values(world):
    sara = world.identity("sara")
    Identity.objects.filter(pk=sara.pk).update(first_name="<Sara>")
    template = template_save(
        actor=world.alice,
        template=None,
        name="E",
        channel="email",
        subject="For {{ identity.first_name }}",
        body="<p>Hi {{ identity.first_name }}</p>",
        is_html=True,
    )
    [message] = quick_send(actor=world.alice, channel="email", identity_ids=[sara.pk], template=template)
    assert message.html == "<p>Hi &lt;Sara&gt;</p>"
    assert message.body == "Hi <Sara>" and message.subject == "For <Sara>"
    assert message.mailbox == world.mailbox and message.to_address == "sara@example.com"


def test_empty_or_nobody_is_refused(world):
    with pytest.raises(QuickSendError):
        quick_send(actor=world.alice, channel="sms", identity_ids=[world.identity("sara").pk], body=" ")
    with pytest.raises(QuickSendError):
        quick_send(actor=world.alice, channel="sms", identity_ids=[], body="x")


def test_list_queries_follow_the_identities_list(world):
    alice, bob = world.alice, world.bob
    assert identity_ids_from_list_query(alice, "q=Sara") == [world.identity("sara").pk]
    assert identity_ids_from_list_query(alice, "", "customers") == [world.identity("sara").pk]
    assert world.identity("hidden").pk in identity_ids_from_list_query(alice, "cf_segment=b2b")
    assert identity_ids_from_list_query(bob, "cf_segment=b2b") == []  # the VIP identity is not bob's to see
    assert identity_ids_from_list_query(alice, "city=Shiraz") == [world.identity("niknam").pk]


def test_quick_send_pages(client, world):
    sara = world.identity("sara")
    client.force_login(world.alice)
    page = client.get(reverse("messaging:quick_sms"), {"identity": sara.pk}).content.decode()
    assert 'data-testid="recipient-count"' in page and "Sara Ahmadi" in page
    response = client.post(
        reverse("messaging:quick_sms"),
        {
            "channel": "sms",
            "identity": sara.pk,
            "send_key": "abc",
            "account": world.line.pk,
            "body": "Hello {{ identity.first_name }}",
        },
    )
    assert response.status_code == 200
    assert 'data-testid="result-queued">1<' in response.content.decode()
    assert Message.objects.get().body == "Hello Sara"
    client.post(  # the same form sent again (double click, reload) adds nothing
        reverse("messaging:quick_sms"),
        {"channel": "sms", "identity": sara.pk, "send_key": "abc", "account": world.line.pk, "body": "Hello"},
    )
    assert Message.objects.count() == 1
    listed = client.get(reverse("messaging:quick_sms"), {"list_query": "q=Sara", "preset": "all"}).content.decode()
    assert "Sara Ahmadi" in listed
    preview = client.post(
        reverse("messaging:quick_send_preview"),
        {"channel": "sms", "ids": f"{sara.pk}", "body": "Yo {{ identity.first_name }}"},
    ).content.decode()
    assert "Yo Sara" in preview


def test_quick_send_page_for_someone_who_may_see_nobody(client, world):
    sara = world.identity("sara")
    client.force_login(world.charlie)
    page = client.get(reverse("messaging:quick_sms"), {"identity": sara.pk}).content.decode()
    assert "Sara" not in page
    response = client.post(
        reverse("messaging:quick_sms"),
        {"channel": "sms", "identity": sara.pk, "send_key": "c", "account": world.line.pk, "body": "Hi"},
    )
    assert 'data-testid="result-hidden">1<' in response.content.decode()
    assert not Message.objects.exists()
    AccountAccess.objects.create(user=world.alice, sms_line=world.line)
    page = client.get(reverse("messaging:quick_sms")).content.decode()
    assert 'data-testid="no-account"' in page


def test_profile_actions_and_messages_tab(client, world):
    sara = world.identity("sara")
    quick_send(actor=world.alice, channel="sms", identity_ids=[sara.pk], body="Profile hello")
    client.force_login(world.alice)
    url = reverse("identity_detail", args=[sara.pk])
    page = client.get(url).content.decode()
    assert f"{reverse('messaging:quick_sms')}?identity={sara.pk}" in page
    assert 'data-tab="messages"' in page
    tab = client.get(url, {"tab": "messages"}).content.decode()
    assert "Profile hello" in tab
    client.force_login(world.bob)  # bob sees sara but not alice's messages
    assert "Profile hello" not in client.get(url, {"tab": "messages"}).content.decode()


def test_identity_list_links_to_quick_send(client, world):
    client.force_login(world.alice)
    page = client.get(reverse("identity_list"), {"q": "Sara"}).content.decode()
    assert f"{reverse('messaging:quick_sms')}?list_query=q%3DSara&amp;preset=all" in page
