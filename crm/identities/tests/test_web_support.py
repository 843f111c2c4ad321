"""Shared helpers of the identities page tests (test_web_*.py): bob's identity rights, a
restricted category bob has no access to, identities made through the services, and the
management-form data of the identity form's nested rows. Test modules import the fixtures
by their function names (bob_identities_fixture, vip_fixture) and use them by name."""

from __future__ import annotations

from typing import Any

import pytest

from crm.identities import services
from crm.identities.models import Category, Identity
from crm.org.testing import fresh, make_position, perms

BOB_RIGHTS = [
    "identities.view_identity",
    "identities.view_all_identity",
    "identities.add_identity",
    "identities.change_identity",
    "identities.change_all_identity",
    "identities.delete_identity",
    "identities.export_identity",
    "identities.view_category",
]
NESTED = ("phones", "emails", "addresses", "websites", "special_dates")


def grant(user: Any, position: Any, *names: str) -> Any:
    position.permissions.add(*perms(*names))
    return fresh(user)


@pytest.fixture(name="bob_identities")
def bob_identities_fixture(bob: Any, bob_position: Any) -> Any:
    """bob with identity rights through his position."""
    return grant(bob, bob_position, *BOB_RIGHTS)


@pytest.fixture(name="vip")
def vip_fixture(alice: Any) -> Category:
    """A restricted category only the board may open (bob holds another position)."""
    board = make_position("Board member")
    return services.category_save(
        actor=alice, category=None, name="VIP", parent=None, restricted=True, positions=[board]
    )


def make_identity(actor: Any, **values: Any) -> Identity:
    values.setdefault("kind", Identity.Kind.PERSON)
    return services.identity_create(actor=actor, **values)


def form_data(**values: Any) -> dict[str, Any]:
    """POST data of the identity form: empty nested rows plus the given values."""
    data: dict[str, Any] = {"kind": "person", "colour": ""}
    for name in NESTED:
        data |= {
            f"{name}-TOTAL_FORMS": "1",
            f"{name}-INITIAL_FORMS": "0",
            f"{name}-MIN_NUM_FORMS": "0",
            f"{name}-MAX_NUM_FORMS": "30",
        }
    data["phones-0-kind"] = "mobile"
    return data | values
