"""Every page of the organisation and platform settings renders for the admin, and
the pages that need rights refuse charlie (signed in, no position)."""

import pytest
from django.urls import reverse

from crm.core.demo.registry import demo_loaders

ADMIN_PAGES = [
    "dashboard",
    "org_chart",
    "position_list",
    "appointment_list",
    "user_list",
    "employee_list",
    "employee_create",
    "mail_settings",
    "preferences",
    "custom_fields",
    "custom_field_create",
    "numbering",
    "sequence_create",
    "document_numbering_create",
    "dictionaries",
    "access_rules",
    "audit_log",
    "department_create",
    "appointment_create",
    "substitution_create",
    "user_create",
    "position_create",
]
RESTRICTED = [
    "position_list",
    "appointment_list",
    "user_list",
    "employee_list",
    "employee_create",
    "mail_settings",
    "custom_fields",
    "numbering",
    "dictionaries",
    "access_rules",
    "audit_log",
    "department_create",
    "appointment_create",
    "substitution_create",
    "user_create",
    "position_create",
]


@pytest.fixture
def demo(db):
    for loader in demo_loaders():
        if loader.key in ("platform", "org"):  # the identities pages have their own tests
            loader.load(__import__("random").Random(1))


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_sees_every_page(client, alice, demo, name):
    client.force_login(alice)
    response = client.get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("name", RESTRICTED)
def test_charlie_is_refused(client, charlie, demo, name):
    client.force_login(charlie)
    response = client.get(reverse(name))
    assert response.status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
