"""Notifications (PL-7): the list, the bell, the polling fallback, mark read/seen; system
message templates; the top bar's quick-create menu."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.apps import apps
from django.template.loader import render_to_string
from django.urls import reverse

from crm.core.items.models import Mention
from crm.core.items.services import comment_add
from crm.core.notifications.models import MessageTemplate, Notification
from crm.core.notifications.services import message_render, notify
from crm.core.timeline import registry
from crm.core.timeline.registry import ItemType
from crm.core.web import navigation

HX = {"HTTP_HX_REQUEST": "true"}


def tell(user: Any, title: str = "Hello", *, url: str = "/history/", popup: bool = True) -> Notification:
    made = notify(
        users=[user],
        kind="test.note",
        values={"title": title, "text": f"{title} text"},
        dedupe_key=str(uuid.uuid4()),
        url=url,
        popup=popup,
    )
    return made[0]


# ---- list, bell, read --------------------------------------------------------------------


def test_list_shows_only_ones_own(client: Any, alice: Any, bob: Any) -> None:
    tell(alice, "For Alice")
    tell(bob, "For Bob")
    client.force_login(bob)
    html = client.get(reverse("notification_list")).content.decode()
    assert "For Bob" in html and "For Alice" not in html


def test_unread_filter_and_mark_read(client: Any, bob: Any) -> None:
    first, second = tell(bob, "First"), tell(bob, "Second")
    client.force_login(bob)
    response = client.post(reverse("notification_read"), {"id": first.pk, "next": "/notifications/?unread=1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?unread=1"
    first.refresh_from_db()
    assert first.read_at is not None
    html = client.get(reverse("notification_list") + "?unread=1").content.decode()
    assert "Second" in html and ">First<" not in html
    client.post(reverse("notification_read_all"))
    second.refresh_from_db()
    assert second.read_at is not None


def test_cannot_mark_or_open_someone_elses(client: Any, alice: Any, bob: Any) -> None:
    hers = tell(alice, "Hers")
    client.force_login(bob)
    client.post(reverse("notification_read"), {"id": hers.pk})
    client.post(reverse("notification_read_all"))
    hers.refresh_from_db()
    assert hers.read_at is None
    assert client.get(reverse("notification_open", args=[hers.pk])).status_code == 404


def test_open_marks_read_and_follows_only_local_links(client: Any, bob: Any) -> None:
    local = tell(bob, "Local", url="/history/?type=x")
    outside = tell(bob, "Outside", url="https://evil.example/")
    client.force_login(bob)
    response = client.get(reverse("notification_open", args=[local.pk]))
    assert response["Location"] == "/history/?type=x"
    local.refresh_from_db()
    assert local.read_at is not None
    assert client.get(reverse("notification_open", args=[outside.pk]))["Location"] == reverse("notification_list")


def test_bell_shows_the_unread_count_and_the_dropdown(client: Any, bob: Any) -> None:
    tell(bob, "One")
    tell(bob, "Two")
    client.force_login(bob)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="bell-count"' in page and 'data-count="2"' in page
    assert 'hx-trigger="show.bs.dropdown"' in page
    assert '<meta name="crm-notify-ws" content="/ws/notifications/">' in page
    assert f'<meta name="crm-notify-poll" content="{reverse("notification_poll")}">' in page
    menu = client.get(reverse("notification_dropdown"), **HX).content.decode()
    assert "One" in menu and "Two" in menu
    assert 'id="crm-bell-count"' in menu and 'hx-swap-oob="true"' in menu
    menu = client.post(reverse("notification_read_all"), {"from": "dropdown"}, **HX).content.decode()
    assert 'data-count="0"' in menu


def test_anonymous_pages_have_no_live_client(client: Any) -> None:
    html = client.get(reverse("login")).content.decode()
    assert "crm-notify-ws" not in html


def test_notification_pages_need_login(client: Any) -> None:
    for name in ("notification_list", "notification_dropdown", "notification_poll"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ---- the polling fallback ----------------------------------------------------------------


def test_poll_without_after_only_says_where_to_start(client: Any, bob: Any) -> None:
    old = tell(bob, "Old")
    client.force_login(bob)
    data = client.get(reverse("notification_poll")).json()
    assert data == {"notifications": [], "last_id": old.pk, "unread": 1}


def test_poll_after_returns_new_popups_of_the_user_only(client: Any, alice: Any, bob: Any) -> None:
    old = tell(bob, "Old")
    new = tell(bob, "New")
    tell(bob, "Quiet", popup=False)
    tell(alice, "Not yours")
    client.force_login(bob)
    response = client.get(reverse("notification_poll"), {"after": old.pk})
    data = response.json()
    assert [n["title"] for n in data["notifications"]] == ["New"]
    assert data["notifications"][0]["id"] == new.pk and data["notifications"][0]["url"] == "/history/"
    assert data["last_id"] == new.pk
    assert response["Cache-Control"] == "no-store"


# ---- mentions widget ---------------------------------------------------------------------


@pytest.fixture
def thing(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(
        registry._types,
        "test.thing",
        ItemType(
            key="test.thing",
            label="Thing",
            icon="bi-box",
            url=lambda item_id: f"/things/{item_id}/",
            visible_ids=lambda user, ids: set(ids) if user.username in {"alice", "bob"} else set(),
            titles=lambda ids: {i: f"Thing {i}" for i in ids},
        ),
    )
    return "7"


def test_mentions_widget_and_mark_seen(client: Any, alice: Any, bob: Any, thing: str) -> None:
    comment_add(actor=alice, item_type="test.thing", item_id="7", body="@bob look")
    comment_add(actor=alice, item_type="test.thing", item_id="7", body="@bob and again")
    first, second = Mention.objects.filter(user=bob).order_by("id")
    client.force_login(bob)
    client.post(reverse("dashboard_change"), {"action": "add", "key": "mentions"})
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="mentions-widget"' in page and "crm-unseen" in page
    assert '<span class="crm-mention" dir="auto">@bob</span>' in page
    response = client.post(reverse("mention_seen"), {"id": first.pk, "next": "/"})
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.seen_at is not None and second.seen_at is None
    client.post(reverse("mention_seen"))
    second.refresh_from_db()
    assert second.seen_at is not None


def test_mark_seen_touches_only_ones_own(client: Any, alice: Any, bob: Any, charlie: Any, thing: str) -> None:
    comment_add(actor=alice, item_type="test.thing", item_id="7", body="@bob look")
    mention = Mention.objects.get(user=bob)
    client.force_login(charlie)
    client.post(reverse("mention_seen"), {"id": mention.pk})
    mention.refresh_from_db()
    assert mention.seen_at is None


def test_followups_widget(client: Any, bob: Any, thing: str) -> None:
    import datetime as dt

    from django.utils import timezone

    from crm.core.items.services import followup_set

    followup = followup_set(
        actor=bob, item_type="test.thing", item_id="7", due_at=timezone.now() + dt.timedelta(days=1), note="ring"
    )
    client.force_login(bob)
    client.post(reverse("dashboard_change"), {"action": "add", "key": "my_followups"})
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="followups-widget"' in page and "Thing 7" in page and "ring" in page
    done_url = reverse("item_followup_done", args=["test.thing", "7", followup.pk])
    assert done_url in page
    assert client.post(done_url, {"done": "1", "next": "/"})["Location"].startswith("/")
    followup.refresh_from_db()
    assert followup.done_at is not None


# ---- system message templates ------------------------------------------------------------


def test_message_templates_are_for_admins_only(client: Any, bob: Any, charlie: Any) -> None:
    for user in (bob, charlie):
        client.force_login(user)
        assert client.get(reverse("message_template_list")).status_code == 403
        assert client.get(reverse("message_template_edit", args=["followup.due", "en"])).status_code == 403


def test_message_template_list_and_edit(client: Any, alice: Any) -> None:
    client.force_login(alice)
    html = client.get(reverse("message_template_list")).content.decode()
    assert reverse("message_template_edit", args=["followup.due", "fa"]) in html
    html = client.get(reverse("message_template_edit", args=["followup.due", "en"])).content.decode()
    assert "Reminder: {{ item }}" in html  # the default wording, prefilled
    assert "{{ note }}" in html  # the placeholders are listed

    url = reverse("message_template_edit", args=["followup.due", "en"])
    response = client.post(url, {"subject": "Ring about {{ item }}", "body": "{{ note }} at {{ due }}"})
    assert response.status_code == 302
    assert MessageTemplate.objects.get(kind="followup.due", language="en").subject == "Ring about {{ item }}"
    subject, body = message_render(kind="followup.due", language="en", values={"item": "X", "note": "n", "due": "d"})
    assert (subject, body) == ("Ring about X", "n at d")


def test_message_template_preview_unknown_placeholder_and_reset(client: Any, alice: Any) -> None:
    client.force_login(alice)
    url = reverse("message_template_edit", args=["followup.due", "en"])
    html = client.post(url, {"subject": "Hi {{ item }}", "body": "b", "action": "preview"}).content.decode()
    assert 'data-testid="preview-card"' in html and "Hi ‹the item›" in html
    assert not MessageTemplate.objects.exists()

    html = client.post(url, {"subject": "Hi {{ secret }}", "body": "b"}).content.decode()
    assert "Unknown placeholders" in html
    assert not MessageTemplate.objects.exists()

    client.post(url, {"subject": "Mine", "body": "b"})
    assert MessageTemplate.objects.count() == 1
    assert client.post(url, {"action": "reset"}).status_code == 302
    assert not MessageTemplate.objects.exists()


def test_message_template_unknown_kind_or_language(client: Any, alice: Any) -> None:
    client.force_login(alice)
    assert client.get(reverse("message_template_edit", args=["no.such", "en"])).status_code == 404
    assert client.get(reverse("message_template_edit", args=["followup.due", "de"])).status_code == 404


def test_message_templates_in_the_admin_menu(client: Any, alice: Any, bob: Any) -> None:
    client.force_login(alice)
    assert reverse("message_template_list") in client.get(reverse("dashboard")).content.decode()
    client.force_login(bob)
    assert reverse("message_template_list") not in client.get(reverse("dashboard")).content.decode()


# ---- quick create (AC-10) ----------------------------------------------------------------


def test_quick_create_menu(client: Any, bob: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        navigation._quick, "test", navigation.QuickCreate("test", "Test thing", "crm_history", "bi-box", None, 1)
    )
    client.force_login(bob)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'id="crm-quick-create-toggle"' in html and 'aria-keyshortcuts="Alt+N"' in html
    assert f'href="{reverse("crm_history")}" data-quick-create="test"' in html
    menu = render_to_string(
        "core/items/quick_create_menu.html",
        {"crm_quick_create": [{"key": "t", "label": "T", "url": "/t/new/", "icon": "bi-box"}], "qc_identity": 5},
    )
    assert 'href="/t/new/?identity=5"' in menu


def test_identity_profile_has_the_panel_and_prefilled_quick_create(client: Any, alice: Any) -> None:
    identity_model = apps.get_model("identities", "Identity")
    identity = identity_model.objects.create(
        kind="person", first_name="Sara", last_name="Ahmadi", display_name="Sara Ahmadi"
    )
    client.force_login(alice)
    html = client.get(reverse("identity_detail", args=[identity.pk])).content.decode()
    assert 'data-testid="item-panel"' in html
    assert f'id="item-panel-identitiesidentity-{identity.pk}"' in html
    for entry in navigation.quick_create_for(alice):
        assert f'href="{entry["url"]}?identity={identity.pk}"' in html
