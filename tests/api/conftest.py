"""API test helpers: token clients and a small organisation to read and write.

alice (admin), bob (Sales expert: employee cards he created, departments) and charlie
(no position) come from crm.org.testing via the root conftest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.services import custom_field_define
from crm.core.lists.models import SavedFilter
from crm.core.permissions.models import FieldAccessRule
from crm.org import services
from crm.org.models import Department, EmployeeCard, Position, Substitution, User
from crm.org.testing import appoint, make_position, make_user

Kind = CustomFieldDefinition.Kind


def token_client(user: User) -> APIClient:
    """A client that signs in the way integrations do: `Authorization: Token <key>`."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def alice_api(alice: User) -> APIClient:
    return token_client(alice)


@pytest.fixture
def bob_api(bob: User) -> APIClient:
    return token_client(bob)


@pytest.fixture
def charlie_api(charlie: User) -> APIClient:
    return token_client(charlie)


def define_employee_fields(actor: User) -> list[CustomFieldDefinition]:
    """Custom fields on employee cards, one per kind the API has to validate."""
    specs: list[dict[str, Any]] = [
        {"key": "shoe_size", "kind": Kind.NUMBER, "labels": {"en": "Shoe size"}},
        {"key": "team", "kind": Kind.CHOICE, "labels": {"en": "Team"},
         "choices": [{"value": "red", "labels": {"en": "Red"}}, {"value": "blue", "labels": {"en": "Blue"}}]},
        {"key": "badge", "kind": Kind.TEXT, "labels": {"en": "Badge"}},
        {"key": "joined", "kind": Kind.DATE, "labels": {"en": "Joined"}},
        {"key": "remote", "kind": Kind.CHECKBOX, "labels": {"en": "Works remotely"}},
        {"key": "mentor", "kind": Kind.LINK_USER, "labels": {"en": "Mentor"}},
    ]
    return [custom_field_define(actor=actor, model=EmployeeCard, position=i, **spec) for i, spec in enumerate(specs)]


def hide_from_users_without(permission: str, *field_names: str) -> None:
    """FieldAccessRule: these employee card fields are hidden without `permission`."""
    app_label, codename = permission.split(".")
    perm = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    content_type = ContentType.objects.get_for_model(EmployeeCard)
    for name in field_names:
        FieldAccessRule.objects.create(content_type=content_type, field_name=name, view_permission=perm)


def make_card(actor: User, first_name: str, last_name: str, **values: Any) -> EmployeeCard:
    return services.employee_card_create(actor=actor, first_name=first_name, last_name=last_name, **values)


@dataclass
class World:
    departments: list[Department] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    cards: list[EmployeeCard] = field(default_factory=list)
    substitutions: list[Substitution] = field(default_factory=list)


@pytest.fixture
def org_world(alice: User, bob: User, charlie: User) -> World:
    """A small organisation: a department tree, positions, decrees, a deputy, cards, filters."""
    world = World()
    head = services.department_create(actor=alice, name="Head office", code="HQ")
    sales = services.department_create(actor=alice, name="Sales", parent=head)
    support = services.department_create(actor=alice, name="Support", parent=head)
    empty = services.department_create(actor=alice, name="Archive")
    world.departments = [head, sales, support, empty]
    manager = make_position("Manager", ["org.view_all_employeecard"], department=head)
    agent = make_position("Support agent", ["org.view_department"], department=support)
    world.positions = [manager, agent]
    dave, erin = make_user("dave", first_name="Dave"), make_user("erin", first_name="Erin")
    world.users = [dave, erin]
    appoint(dave, agent)
    appoint(erin, manager, end=timezone.localdate() - dt.timedelta(days=1))
    today = timezone.localdate()
    world.substitutions = [
        services.substitution_create(actor=alice, position=manager, substitute=dave, start_date=today,
                                     end_date=today + dt.timedelta(days=7), reason="Holiday")
    ]
    define_employee_fields(alice)
    world.cards = [
        make_card(alice, "Sara", "Ahmadi", personnel_number="P-1", national_id="0012345678",
                  custom={"shoe_size": 38, "team": "red", "badge": "B-1"}),
        make_card(alice, "Nazanin", "Karimi", user=dave, birth_date=dt.date(1990, 3, 21)),
        make_card(bob, "Olena", "Shevchenko", email="olena@example.com", custom={"remote": True}),
        make_card(bob, "James", "Smith", hire_date=dt.date(2020, 1, 6)),
    ]
    gone = make_card(alice, "Old", "Timer")
    services.employee_card_delete(actor=alice, card=gone)
    SavedFilter.objects.create(owner=alice, list_key="employees", name="Sales people", query="q=sales", shared=True)
    SavedFilter.objects.create(owner=bob, list_key="employees", name="Mine", query="q=bob")
    return world
