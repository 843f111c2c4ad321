"""Other contexts add facts, actions and tabs to the profile through crm.identities.profile."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import format_html

from crm.identities import profile
from crm.identities.tests.test_web_support import make_identity

pytestmark = pytest.mark.django_db


@pytest.fixture
def extensions(monkeypatch):
    monkeypatch.setattr(profile, "_facts", {})
    monkeypatch.setattr(profile, "_actions", {})
    monkeypatch.setattr(profile, "_tabs", {})
    profile.register_profile_fact(
        profile.ProfileFact("balance", "Balance", lambda user, identity: format_html("<b>{}</b>", "42 debtor"))
    )
    profile.register_profile_fact(profile.ProfileFact("secret", "Secret", lambda user, identity: None))
    profile.register_profile_action(
        profile.ProfileAction("sms", "Send SMS", "bi-chat", lambda identity: f"/send?identity={identity.pk}")
    )
    profile.register_profile_action(
        profile.ProfileAction("admin-only", "Admin thing", "bi-gear", lambda identity: "/x", permission="auth.add_user")
    )
    profile.register_profile_tab(
        profile.ProfileTab(
            "statement", "Statement", lambda request, identity: format_html("<p>rows of {}</p>", identity.pk)
        )
    )


def test_facts_actions_and_tabs_show_on_the_profile(client, alice, extensions):
    person = make_identity(alice, first_name="Sara")
    client.force_login(alice)
    url = reverse("identity_detail", args=[person.pk])

    html = client.get(url).content.decode()
    assert 'data-fact="balance"' in html and "<b>42 debtor</b>" in html
    assert 'data-fact="secret"' not in html  # a fact may leave itself out
    assert f'href="/send?identity={person.pk}"' in html
    assert 'data-tab="statement"' in html

    tab = client.get(url, {"tab": "statement"}).content.decode()
    assert f"<p>rows of {person.pk}</p>" in tab


def test_actions_need_their_permission(client, alice, bob, extensions):
    person = make_identity(alice, first_name="Sara")
    client.force_login(alice)
    assert "Admin thing" in client.get(reverse("identity_detail", args=[person.pk])).content.decode()
    assert [a[0] for a in profile.profile_actions(bob, person)] == ["sms"]
