"""Helpers for the API tests: token clients, the error-shape assertion, world builders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

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
from crm.org.models import Appointment, Department, EmployeeCard, Position, Substitution, User
from crm.org.testing import appoint, make_position, make_user

Kind = CustomFieldDefinition.Kind


def token_client(user: User) -> APIClient:
    """A client that signs in the way integrations do: `Authorization: Token <key>`."""
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: {"error": {"code", "message", "fields"}}. Returns `error`."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error


def define_employee_fields(actor: User) -> list[CustomFieldDefinition]:
    """Custom fields on employee cards, one per kind the API has to validate."""
    team_choices = [{"value": "red", "labels": {"en": "Red"}}, {"value": "blue", "labels": {"en": "Blue"}}]
    specs: list[dict[str, Any]] = [
        {"key": "shoe_size", "kind": Kind.NUMBER, "labels": {"en": "Shoe size"}},
        {"key": "team", "kind": Kind.CHOICE, "labels": {"en": "Team"}, "choices": team_choices},
        {"key": "badge", "kind": Kind.TEXT, "labels": {"en": "Badge"}},
        {"key": "joined", "kind": Kind.DATE, "labels": {"en": "Joined"}},
        {"key": "last_seen", "kind": Kind.DATETIME, "labels": {"en": "Last seen"}},
        {"key": "remote", "kind": Kind.CHECKBOX, "labels": {"en": "Works remotely"}},
        {"key": "mentor", "kind": Kind.LINK_USER, "labels": {"en": "Mentor"}},
    ]
    return [custom_field_define(actor=actor, model=EmployeeCard, position=i, **spec) for i, spec in enumerate(specs)]


def hide_from_users_without(permission: str, *field_names: str) -> None:
    """FieldAccessRule: these employee card fields are hidden from users without `permission`."""
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
    appointments: list[Appointment] = field(default_factory=list)
    substitutions: list[Substitution] = field(default_factory=list)
    cards: list[EmployeeCard] = field(default_factory=list)
    deleted_card: EmployeeCard | None = None
    filters: list[SavedFilter] = field(default_factory=list)


def build_world(alice: User, bob: User) -> World:
    """A small organisation: a department tree, positions, decrees, a deputy, cards, filters.

    Cards: Sara and Nazanin by alice, Olena and James by bob, one deleted card by alice.
    """
    world = World()
    head = services.department_create(actor=alice, name="Head office", code="HQ")
    sales = services.department_create(actor=alice, name="Sales", parent=head)
    support = services.department_create(actor=alice, name="Support", parent=head)
    archive = services.department_create(actor=alice, name="Archive")
    world.departments = [head, sales, support, archive]
    manager = make_position("Manager", ["org.view_all_employeecard"], department=head)
    agent = make_position("Support agent", ["org.view_department"], department=support)
    world.positions = [manager, agent]
    dave, erin = make_user("dave", first_name="Dave"), make_user("erin", first_name="Erin")
    world.users = [dave, erin]
    today = timezone.localdate()
    world.appointments = [appoint(dave, agent), appoint(erin, manager, end=today - dt.timedelta(days=1))]
    world.substitutions = [
        services.substitution_create(
            actor=alice,
            position=manager,
            substitute=dave,
            start_date=today,
            end_date=today + dt.timedelta(days=7),
            reason="Holiday",
        )
    ]
    define_employee_fields(alice)
    world.cards = [
        make_card(alice, "Sara", "Ahmadi", personnel_number="P-1", custom={"shoe_size": 38, "team": "red"}),
        make_card(alice, "Nazanin", "Karimi", user=dave, birth_date=dt.date(1990, 3, 21)),
        make_card(bob, "Olena", "Shevchenko", email="olena@example.com", custom={"remote": True}),
        make_card(bob, "James", "Smith", hire_date=dt.date(2020, 1, 6)),
    ]
    world.deleted_card = make_card(alice, "Old", "Timer")
    services.employee_card_delete(actor=alice, card=world.deleted_card)
    world.filters = [
        SavedFilter.objects.create(owner=alice, list_key="employees", name="Sales people", query="q=sa", shared=True),
        SavedFilter.objects.create(owner=bob, list_key="employees", name="Mine", query="q=bob"),
    ]
    return world
