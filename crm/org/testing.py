"""The shared test world (STYLE §10): alice (admin), bob (a limited position), charlie
(signed in, no position, so no access to the records under test)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from crm.org.models import Appointment, Department, Position, User

PASSWORD = "correct horse battery staple"  # noqa: S105 - test users only


def perms(*names: str) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def make_position(title: str, permissions: Iterable[str] = (), department: Department | None = None) -> Position:
    department = department or Department.objects.create(name=f"Dept of {title}", path="")
    if not department.path:
        department.path = f"{department.pk:06d}."
        department.save(update_fields=["path"])
    position = Position.objects.create(title=title, department=department)
    position.permissions.set(perms(*permissions))
    return position


def appoint(user: User, position: Position, start: dt.date | None = None, end: dt.date | None = None) -> Appointment:
    return Appointment.objects.create(
        user=user, position=position, start_date=start or timezone.localdate() - dt.timedelta(days=30), end_date=end
    )


def make_user(username: str, **extra: Any) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    return user


def fresh(user: User) -> User:
    """The same user without cached permissions (rights are computed once per object)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def alice(db: Any) -> User:
    return make_user("alice", is_superuser=True, is_staff=True, first_name="Alice")


@pytest.fixture
def bob_position(db: Any) -> Position:
    return make_position(
        "Sales expert",
        [
            "org.view_department",
            "org.view_employeecard",
            "org.add_employeecard",
            "org.change_employeecard",
            "org.delete_employeecard",
        ],
    )


@pytest.fixture
def bob(db: Any, bob_position: Position) -> User:
    user = make_user("bob", first_name="Bob")
    appoint(user, bob_position)
    return fresh(user)


@pytest.fixture
def charlie(db: Any) -> User:
    return make_user("charlie", first_name="Charlie")
