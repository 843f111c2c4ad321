"""API fixtures: token clients for the shared three people, and a small organisation.

alice (admin), bob (Sales expert: departments, and the employee cards he created) and
charlie (no position) come from crm.org.testing via the root conftest.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from crm.org.models import User
from tests.api.support import World, build_world, token_client


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """schemathesis 4.32 on pytest 9.2: every operation's item gets the bare function nodeid
    (pytest now builds it from `originalname`), so pytest-xdist runs one operation and drops
    the rest. Give each item its operation in the nodeid, as pytest's own parametrize does."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and item.nodeid.endswith("::" + item.originalname):
            item._id = item.parent.id.child(item.originalname).with_params(label)


@pytest.fixture
def alice_api(alice: User) -> APIClient:
    return token_client(alice)


@pytest.fixture
def bob_api(bob: User) -> APIClient:
    return token_client(bob)


@pytest.fixture
def charlie_api(charlie: User) -> APIClient:
    return token_client(charlie)


@pytest.fixture
def org_world(alice: User, bob: User, charlie: User) -> World:
    return build_world(alice, bob)
