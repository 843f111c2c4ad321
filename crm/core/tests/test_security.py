"""Security baseline: sign-in throttling, CSP with a per-request nonce, Argon2 first,
and production settings that refuse the demo password or a weak secret key."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from crm.core.checks import demo_password_check

PASSWORD = "a-long-and-good-password-42"


@pytest.fixture
def dana(db):
    return get_user_model().objects.create_user(username="dana", password=PASSWORD)


@pytest.fixture
def empty_cache():
    """Failure counters live in the cache: start and end every test with none."""
    cache.clear()
    yield
    cache.clear()


def sign_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- sign-in throttling --------------------------------------------------------------------------


@pytest.mark.usefixtures("empty_cache")
class TestLoginThrottling:
    @pytest.fixture(autouse=True)
    def _three_tries(self, settings):
        settings.CRM_LOGIN_MAX_FAILURES = 3

    def test_the_right_password_works_before_any_failure(self, client, dana):
        response = sign_in(client, "dana", PASSWORD)
        assert response.status_code == 302
        assert signed_in(client)

    def test_after_max_failures_even_the_right_password_is_refused_until_the_lock_ends(self, client, dana):
        # given three wrong passwords
        for _ in range(3):
            response = sign_in(client, "dana", "wrong")
            assert response.status_code == 200
            assert not signed_in(client)

        # when the right password is tried
        response = sign_in(client, "dana", PASSWORD)

        # then it is refused with 429, and nobody is signed in
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.content.decode()
        assert not signed_in(client)

        # when the lock runs out (the counters expire from the cache)
        cache.clear()

        # then the right password works again
        assert sign_in(client, "dana", PASSWORD).status_code == 302
        assert signed_in(client)

    def test_the_account_is_locked_from_every_address_whatever_the_case(self, client, dana):
        # given three wrong passwords for dana from one address
        for _ in range(3):
            sign_in(client, "dana", "wrong")

        # then the account cannot be tried from another address either, in any case
        elsewhere = Client(REMOTE_ADDR="10.9.8.7")
        assert sign_in(elsewhere, "DANA", PASSWORD).status_code == 429
        assert not signed_in(elsewhere)

    def test_one_persons_typos_do_not_lock_their_office(self, client, dana):
        # given three wrong passwords for another account from this (shared, NAT) address
        for _ in range(3):
            sign_in(client, "nobody", "guess")

        # then dana, behind the same address, can still sign in
        assert sign_in(client, "dana", PASSWORD).status_code == 302

    def test_the_address_is_locked_after_many_guesses_at_many_names(self, client, dana):
        # given someone guessed ten times the account limit at many names from this address
        for i in range(30):
            sign_in(client, f"nobody{i}", "guess")

        # then no account can be tried from that address for now
        assert sign_in(client, "dana", PASSWORD).status_code == 429
        # while the same account from another address is still open
        other = Client(REMOTE_ADDR="10.9.8.7")
        assert sign_in(other, "dana", PASSWORD).status_code == 302


# --- content security policy -------------------------------------------------------------------------


def _nonce(response) -> str:
    policy = response["Content-Security-Policy"]
    match = re.search(r"script-src [^;]*'nonce-([^']+)'", policy)
    assert match, policy
    return match.group(1)


@pytest.mark.django_db
def test_pages_carry_a_csp_with_a_fresh_nonce_used_by_their_scripts(client, dana):
    # when the sign-in page and the dashboard are fetched
    first = client.get(reverse("login"))
    client.force_login(dana)
    second = client.get(reverse("dashboard"))

    # then each has a strict policy, with a nonce its own script tag carries
    for response in (first, second):
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "object-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert f'nonce="{_nonce(response)}"' in response.content.decode()
    # and the nonce differs per request
    assert _nonce(first) != _nonce(second)


@pytest.mark.django_db
def test_pages_refuse_framing_and_sniffing(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- password hashing and production settings -----------------------------------------------------


def test_argon2_is_the_first_password_hasher_of_the_real_settings():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def import_production(**env: str) -> subprocess.CompletedProcess[str]:
    """Import config.settings.production in a fresh interpreter with the given environment."""
    code = "import config.settings.production as p; print(p.PASSWORD_HASHERS[0], p.SESSION_COOKIE_SECURE)"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


GOOD_KEY = secrets.token_urlsafe(60)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CRM_SECRET_KEY": GOOD_KEY, "CRM_ADMIN_PASSWORD": "admin"}, "demo admin password"),
        ({"CRM_SECRET_KEY": GOOD_KEY}, "demo admin password"),  # unset means the demo default
        ({"CRM_ADMIN_PASSWORD": "Str0ng-and-unique"}, "CRM_SECRET_KEY"),  # the insecure dev key
        ({"CRM_SECRET_KEY": "short", "CRM_ADMIN_PASSWORD": "Str0ng-and-unique"}, "CRM_SECRET_KEY"),
    ],
)
def test_production_settings_refuse_demo_credentials(env, message):
    result = import_production(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_settings_load_with_real_secrets():
    result = import_production(CRM_SECRET_KEY=GOOD_KEY, CRM_ADMIN_PASSWORD="Str0ng-and-unique")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.contrib.auth.hashers.Argon2PasswordHasher", "True"]


def test_deploy_check_flags_the_demo_password(settings):
    settings.DEBUG = False
    settings.CRM_DEMO_ADMIN_PASSWORD = "admin"
    assert [error.id for error in demo_password_check(None)] == ["crm.E001"]

    settings.CRM_DEMO_ADMIN_PASSWORD = "Str0ng-and-unique"
    assert demo_password_check(None) == []
