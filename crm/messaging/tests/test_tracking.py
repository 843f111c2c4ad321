"""Tracking: open pixel, click-tracked links, unsubscribe; the HTML rewriting for email."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from crm.messaging import bulk, tracking
from crm.messaging.models import BulkSend, Message, MessageEvent, Suppression
from crm.messaging.tests.bulk_world import build_bulk_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def bulk_world(alice):
    return build_bulk_world(alice)


HTML = (
    '<html><body><p>Hi {{ identity.first_name }}</p><a href="https://shop.example.com/?a=1&amp;b=2">Shop</a> '
    '<a href="http://blog.example.com/post">Blog</a> <a href="mailto:x@example.com">Mail</a></body></html>'
)


@pytest.fixture
def newsletter(alice, bulk_world):
    send = bulk.bulk_send_create(
        actor=alice,
        name="News",
        channel="email",
        is_html=True,
        subject="News",
        body=HTML,
        source=BulkSend.Source.NUMBERS,
        source_params={"lines": ["p0@example.com", "p1@example.com"]},
    )
    bulk.bulk_send_start(actor=alice, send=send)
    send.refresh_from_db()
    return send


def _message(send):
    return Message.objects.filter(bulk_send=send).order_by("id").first()


def test_links_pixel_and_unsubscribe_are_added(newsletter):
    message = _message(newsletter)
    assert newsletter.links == ["https://shop.example.com/?a=1&b=2", "http://blog.example.com/post"]
    html = tracking.rewrite_html(message, message.html)
    assert f"/m/c/{message.token}/0/" in html and f"/m/c/{message.token}/1/" in html
    assert "shop.example.com" not in html and "mailto:x@example.com" in html
    assert f"/m/o/{message.token}/" in html and f"/m/u/{message.token}/" in html
    text, _html, headers = tracking.email_parts(message)
    assert tracking.unsubscribe_url(message) in text
    assert headers["List-Unsubscribe"] == f"<{tracking.unsubscribe_url(message)}>"


def test_other_messages_are_left_alone(newsletter):
    message = _message(newsletter)
    message.bulk_send_id = None
    assert tracking.rewrite_html(message, "<a href='https://x.example'>x</a>") == "<a href='https://x.example'>x</a>"
    assert tracking.list_unsubscribe_headers(message) == {}


def test_open_is_counted_once(client, newsletter):
    message = _message(newsletter)
    url = reverse("messaging_public:open", args=[message.token])
    first = client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "image/gif"
    client.get(url)
    message.refresh_from_db()
    assert message.opened_at is not None
    assert MessageEvent.objects.filter(message=message, kind=MessageEvent.Kind.OPENED).count() == 1
    assert bulk.bulk_send_stats(newsletter)["opened"] == 1


def test_bad_tokens_are_404(client, newsletter):
    token = uuid.uuid4()
    assert client.get(reverse("messaging_public:open", args=[token])).status_code == 404
    assert client.get(reverse("messaging_public:click", args=[token, 0])).status_code == 404
    assert client.get(reverse("messaging_public:unsubscribe", args=[token])).status_code == 404


def test_click_redirects_only_to_stored_links(client, newsletter):
    message = _message(newsletter)
    response = client.get(reverse("messaging_public:click", args=[message.token, 1]))
    assert response.status_code == 302 and response["Location"] == "http://blog.example.com/post"
    assert client.get(reverse("messaging_public:click", args=[message.token, 2])).status_code == 404
    assert client.get(f"/m/c/{message.token}/0/?next=https://evil.example/").url == "https://shop.example.com/?a=1&b=2"
    message.refresh_from_db()
    assert message.clicked_at and message.opened_at  # a click is an open too
    clicks = MessageEvent.objects.filter(message=message, kind=MessageEvent.Kind.CLICKED)
    assert sorted(e.data["n"] for e in clicks) == [0, 1]


def test_a_message_outside_any_send_has_no_links(client, newsletter):
    message = _message(newsletter)
    Message.objects.filter(pk=message.pk).update(bulk_send=None)
    assert client.get(reverse("messaging_public:click", args=[message.token, 0])).status_code == 404


def test_unsubscribe_asks_then_opts_out(client, newsletter):
    message = _message(newsletter)
    url = reverse("messaging_public:unsubscribe", args=[message.token])
    page = client.get(url)
    assert page.status_code == 200 and b"unsubscribe-confirm" in page.content
    assert not Suppression.objects.exists()
    done = client.post(url)  # no CSRF token: one-click unsubscribe from mail clients
    assert done.status_code == 200 and b"unsubscribed" in done.content
    client.post(url)
    suppression = Suppression.objects.get()
    assert (suppression.channel, suppression.address, suppression.reason) == ("email", "p0@example.com", "optout")
    assert MessageEvent.objects.filter(message=message, kind=MessageEvent.Kind.UNSUBSCRIBED).count() == 1


def test_an_opted_out_address_is_left_out_of_the_next_send(alice, newsletter):
    tracking.tracking_unsubscribe(message=_message(newsletter))
    again = bulk.bulk_send_resend(actor=alice, send=newsletter, statuses=["queued"], start=True)
    statuses = dict(Message.objects.filter(bulk_send=again).values_list("to_address", "status"))
    assert statuses == {"p0@example.com": "suppressed", "p1@example.com": "queued"}
