"""Fixtures every test may use: the shared world lives in crm.org.testing."""

import os

import pytest

from crm.org.testing import alice, bob, bob_position, charlie  # noqa: F401

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + live_server
os.environ.setdefault("CRM_DEMO_IDENTITIES", "40")  # demo data loads in tests stay quick


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read messages in English unless they switch on purpose."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
