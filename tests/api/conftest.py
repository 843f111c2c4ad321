"""API fixtures: token clients for the shared three people, and a small organisation.

alice (admin), bob (Sales expert: departments, and the employee cards he created) and
charlie (no position) come from crm.org.testing via the root conftest.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from crm.org.models import User
from tests.api.support import World, build_world, token_client


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
