"""Reads of the organisation context, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from crm.core.i18n.search import normalize_search
from crm.core.permissions.access import visible_to
from crm.org.models import Appointment, Department, EmployeeCard, Position, Substitution, User


def department_list_for_user(*, user: Any) -> QuerySet[Department]:
    return visible_to(user, Department.objects.all()).select_related("parent")


def department_get_for_user(*, user: Any, pk: int) -> Department | None:
    return department_list_for_user(user=user).filter(pk=pk).first()


def position_list_for_user(*, user: Any, department: Department | None = None) -> QuerySet[Position]:
    today = timezone.localdate()
    qs = visible_to(user, Position.objects.all()).select_related("department", "reports_to")
    if department is not None:
        qs = qs.filter(department__path__startswith=department.path)
    return qs.prefetch_related(
        Prefetch(
            "appointments",
            queryset=Appointment.objects.active_on(today).select_related("user"),
            to_attr="current_appointments",
        )
    )


def position_get_for_user(*, user: Any, pk: int) -> Position | None:
    return visible_to(user, Position.objects.all()).select_related("department").filter(pk=pk).first()


def appointment_list_for_user(*, user: Any, active_only: bool = False) -> QuerySet[Appointment]:
    qs = visible_to(user, Appointment.objects.all()).select_related("user", "position__department")
    return qs.active_on() if active_only else qs


def appointment_get_for_user(*, user: Any, pk: int) -> Appointment | None:
    return appointment_list_for_user(user=user).filter(pk=pk).first()


def substitution_list_for_user(*, user: Any) -> QuerySet[Substitution]:
    return visible_to(user, Substitution.objects.all()).select_related("substitute", "position__department")


def substitution_get_for_user(*, user: Any, pk: int) -> Substitution | None:
    return substitution_list_for_user(user=user).filter(pk=pk).first()


def user_list_for_user(*, user: Any, search: str = "") -> QuerySet[User]:
    qs = visible_to(user, User.objects.all())
    if search:
        term = normalize_search(search)
        qs = qs.filter(Q(username__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term))
    return qs


def user_get_for_user(*, user: Any, pk: int) -> User | None:
    return user_list_for_user(user=user).filter(pk=pk).first()


def user_positions(*, user: Any) -> dict[str, list[Any]]:
    """What the user holds today: own appointments and substitutions (for the profile widget)."""
    today = timezone.localdate()
    return {
        "appointments": list(
            Appointment.objects.active_on(today).filter(user=user).select_related("position__department")
        ),
        "substitutions": list(
            Substitution.objects.active_on(today).filter(substitute=user).select_related("position__department")
        ),
    }


def employee_card_list_for_user(
    *, user: Any, search: str = "", include_deleted: bool = False
) -> QuerySet[EmployeeCard]:
    base = EmployeeCard.all_objects.all() if include_deleted else EmployeeCard.objects.all()
    qs = visible_to(user, base).select_related("user")
    if search:
        term = normalize_search(search)
        qs = qs.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(personnel_number__icontains=term)
            | Q(mobile__icontains=term)
            | Q(email__icontains=term)
        )
    return qs


def employee_card_get_for_user(*, user: Any, pk: int, include_deleted: bool = False) -> EmployeeCard | None:
    return employee_card_list_for_user(user=user, include_deleted=include_deleted).filter(pk=pk).first()


def active_position_ids_for(user: Any) -> set[int]:
    """Positions the user holds or stands in for today (rights and category access follow them)."""
    from crm.org.backends import active_position_ids

    return active_position_ids(user)
