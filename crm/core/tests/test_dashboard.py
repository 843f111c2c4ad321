"""Dashboard (PL-10): default widgets, per-user choice and order that persist, unknown
keys dropped, and widgets that need a right are neither shown nor offered without it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crm.core.dashboard import registry
from crm.core.dashboard.models import DashboardLayout
from crm.core.dashboard.registry import Widget, widgets_available
from crm.core.dashboard.services import (
    dashboard_add,
    dashboard_keys_for,
    dashboard_move,
    dashboard_remove,
    dashboard_set,
)

pytestmark = pytest.mark.django_db

SECRET = "test_salaries"


@pytest.fixture
def secret_widget(monkeypatch):
    """A widget only holders of org.view_sensitive_employeecard may have."""
    widget = Widget(
        key=SECRET,
        title="Salaries overview",
        template="core/widgets/recent_changes.html",
        context=lambda user: {"entries": []},
        permission="org.view_sensitive_employeecard",
        order=5,
    )
    monkeypatch.setitem(registry._widgets, SECRET, widget)
    return widget


def defaults_for(user) -> list[str]:
    return [w.key for w in widgets_available(user) if w.default]


def reload(user):
    """The same user from the database: nothing cached on the object."""
    return get_user_model().objects.get(pk=user.pk)


def test_a_new_user_gets_the_default_widgets_in_their_order(charlie):
    keys = dashboard_keys_for(charlie)

    assert keys == defaults_for(charlie)
    assert {"today", "recent_changes"} <= set(keys)
    assert keys.index("today") < keys.index("recent_changes")
    assert not DashboardLayout.objects.exists()  # reading creates nothing


def test_remove_add_and_move_persist_for_that_user_only(bob, charlie):
    start = dashboard_keys_for(bob)

    # when bob removes "today", it stays removed
    dashboard_remove(user=bob, key="today")
    assert "today" not in dashboard_keys_for(reload(bob))

    # when he adds it back, it comes last
    dashboard_add(user=bob, key="today")
    assert dashboard_keys_for(reload(bob))[-1] == "today"

    # when he moves it up by one, it swaps with its neighbour
    keys = dashboard_keys_for(bob)
    dashboard_move(user=bob, key="today", step=-1)
    assert dashboard_keys_for(reload(bob)) == [*keys[:-2], "today", keys[-2]]

    # moving past the top keeps it at the top
    for _ in range(10):
        dashboard_move(user=bob, key="today", step=-1)
    assert dashboard_keys_for(bob)[0] == "today"

    # and charlie's dashboard did not change
    assert dashboard_keys_for(charlie) == defaults_for(charlie)
    assert sorted(start) == sorted(dashboard_keys_for(bob))


def test_unknown_and_repeated_keys_are_dropped(bob):
    saved = dashboard_set(user=bob, keys=["recent_changes", "no_such_widget", "today", "recent_changes", ""])

    assert saved == ["recent_changes", "today"]
    assert DashboardLayout.objects.get(user=bob).widgets == ["recent_changes", "today"]


def test_an_empty_choice_is_kept_empty(bob):
    dashboard_set(user=bob, keys=[])
    assert dashboard_keys_for(bob) == []


def test_a_widget_needing_a_right_is_not_offered_without_it(secret_widget, alice, charlie):
    # charlie lacks the right: not offered, not default, cannot be added or ordered in
    assert SECRET not in [w.key for w in widgets_available(charlie)]
    assert SECRET not in dashboard_keys_for(charlie)
    assert SECRET not in dashboard_add(user=charlie, key=SECRET)
    assert SECRET not in dashboard_set(user=charlie, keys=[SECRET, "today"])

    # alice (admin) is offered it
    assert SECRET in [w.key for w in widgets_available(alice)]
    assert SECRET in dashboard_keys_for(alice)


def test_a_widget_stored_before_the_right_was_lost_is_not_shown(secret_widget, charlie):
    DashboardLayout.objects.create(user=charlie, widgets=[SECRET, "today"])
    assert dashboard_keys_for(charlie) == ["today"]


# --- the page ---------------------------------------------------------------------------------


def test_page_shows_and_offers_the_widget_to_alice_only(client, secret_widget, alice, charlie):
    client.force_login(charlie)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Salaries overview" not in page
    assert f'data-widget-key="{SECRET}"' not in page

    client.force_login(alice)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'data-widget-key="{SECRET}"' in page


def test_page_actions_change_the_layout(client, bob):
    client.force_login(bob)
    url = reverse("dashboard_change")

    response = client.post(url, {"action": "remove", "key": "today"})
    assert response.status_code == 302
    assert "today" not in dashboard_keys_for(bob)

    response = client.post(url, {"action": "order", "order": "today,recent_changes,bogus"})
    assert response.json() == {"widgets": ["today", "recent_changes"]}
    assert DashboardLayout.objects.get(user=bob).widgets == ["today", "recent_changes"]
    page = client.get(reverse("dashboard")).content.decode()
    assert page.index('data-widget-key="today"') < page.index('data-widget-key="recent_changes"')


def test_anonymous_cannot_change_a_layout(client):
    response = client.post(reverse("dashboard_change"), {"action": "order", "order": "today"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert not DashboardLayout.objects.exists()
