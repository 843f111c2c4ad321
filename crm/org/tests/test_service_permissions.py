"""Every write service of the organisation checks rights itself: charlie (no position)
is refused, bob is refused what his post does not grant, and a refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from crm.core.audit.models import AuditEntry
from crm.core.errors import PermissionDeniedError
from crm.core.permissions.services import field_rule_save, record_rule_save
from crm.org import services
from crm.org.models import Appointment, Department, EmployeeCard, MailServerSettings, Position, Substitution, User
from crm.org.testing import make_position

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 21)


@pytest.fixture
def world(alice, bob, bob_position):
    """Rows the refused calls would touch."""
    department = bob_position.department
    card = services.employee_card_create(actor=bob, first_name="Sara", last_name="Ahmadi")
    substitution = Substitution.objects.create(
        position=bob_position, substitute=alice, start_date=TODAY, end_date=TODAY
    )
    return {
        "department": department,
        "position": bob_position,
        "card": card,
        "substitution": substitution,
        "appointment": Appointment.objects.get(position=bob_position),
        "bob": bob,
        "other": make_position("Other post", department=department),
        "empty": services.department_create(actor=alice, name="Empty", parent=department),
    }


CALLS: dict[str, Callable[[Any, dict], Any]] = {
    "department_create": lambda actor, w: services.department_create(actor=actor, name="New"),
    "department_update": lambda actor, w: services.department_update(
        actor=actor, department=w["department"], name="Renamed", parent=None
    ),
    "department_delete": lambda actor, w: services.department_delete(actor=actor, department=w["empty"]),
    "position_create": lambda actor, w: services.position_save(actor=actor, title="Boss", department=w["department"]),
    "position_update": lambda actor, w: services.position_save(
        actor=actor, position=w["position"], title="Renamed", department=w["department"]
    ),
    "appointment_create": lambda actor, w: services.appointment_create(
        actor=actor, user=w["bob"], position=w["other"], start_date=TODAY
    ),
    "appointment_end": lambda actor, w: services.appointment_end(
        actor=actor, appointment=w["appointment"], end_date=timezone.localdate()
    ),
    "appointment_move": lambda actor, w: services.appointment_move(
        actor=actor, user=w["bob"], from_position=w["position"], to_position=w["other"], on=timezone.localdate()
    ),
    "substitution_create": lambda actor, w: services.substitution_create(
        actor=actor, position=w["position"], substitute=actor, start_date=TODAY, end_date=TODAY
    ),
    "substitution_delete": lambda actor, w: services.substitution_delete(actor=actor, substitution=w["substitution"]),
    "employee_card_create": lambda actor, w: services.employee_card_create(actor=actor, first_name="X", last_name="Y"),
    "employee_card_update": lambda actor, w: services.employee_card_update(
        actor=actor, card=w["card"], first_name="Changed"
    ),
    "employee_card_delete": lambda actor, w: services.employee_card_delete(actor=actor, card=w["card"]),
    "user_create": lambda actor, w: services.user_create(actor=actor, username="mallory", password="pw-123456789"),
    "user_set_active": lambda actor, w: services.user_set_active(actor=actor, user=w["bob"], active=False),
    "mail_settings_save": lambda actor, w: services.mail_settings_save(
        actor=actor, values={"smtp_host": "evil.example", "smtp_password": "x"}
    ),
    "record_rule_save": lambda actor, w: record_rule_save(
        actor=actor, values={"content_type": ContentType.objects.get_for_model(EmployeeCard), "edit_window_hours": 1}
    ),
    "field_rule_save": lambda actor, w: field_rule_save(
        actor=actor,
        values={"content_type": ContentType.objects.get_for_model(EmployeeCard), "field_name": "national_id"},
    ),
}

# What bob's post (view departments, own employee cards) does not allow.
BOB_REFUSED = [name for name in CALLS if not name.startswith("employee_card")]


def snapshot() -> dict[str, Any]:
    return {
        "audit": AuditEntry.objects.count(),
        "departments": list(Department.objects.values_list("pk", "name", "path")),
        "positions": list(Position.objects.values_list("pk", "title")),
        "appointments": list(Appointment.objects.values_list("pk", "end_date")),
        "substitutions": Substitution.objects.count(),
        "cards": list(EmployeeCard.all_objects.values_list("pk", "first_name", "deleted_at")),
        "users": list(User.objects.values_list("pk", "is_active")),
        "mail": MailServerSettings.objects.count(),
    }


@pytest.mark.parametrize("call", CALLS)
def test_charlie_is_refused_and_nothing_changes(world, charlie, call):
    before = snapshot()

    with pytest.raises(PermissionDeniedError):
        CALLS[call](charlie, world)

    assert snapshot() == before


@pytest.mark.parametrize("call", BOB_REFUSED)
def test_bob_is_refused_what_his_post_does_not_grant(world, bob, call):
    before = snapshot()

    with pytest.raises(PermissionDeniedError):
        CALLS[call](bob, world)

    assert snapshot() == before


@pytest.mark.parametrize("call", list(CALLS))
def test_the_admin_may_do_each_of_them(world, alice, call):
    CALLS[call](alice, world)
    assert AuditEntry.objects.filter(actor=alice).exists()
