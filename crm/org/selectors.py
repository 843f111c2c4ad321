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


def department_ids_for(user: Any) -> set[int]:
    """Departments of the posts the user holds or stands in for today."""
    return set(Position.objects.filter(pk__in=active_position_ids_for(user)).values_list("department_id", flat=True))


def managed_department_ids(user: Any) -> set[int]:
    """Departments (with their sub-departments) where the user holds a manager's post today."""
    heads = Department.objects.filter(
        positions__pk__in=active_position_ids_for(user), positions__is_manager=True
    ).values_list("path", flat=True)
    ids: set[int] = set()
    for path in set(heads):
        ids |= set(Department.objects.filter(path__startswith=path).values_list("pk", flat=True))
    return ids


def users_in_departments(department_ids: set[int] | list[int]) -> QuerySet[User]:
    """Active users appointed today to a post in one of these departments."""
    holders = Appointment.objects.active_on(timezone.localdate()).filter(position__department_id__in=department_ids)
    return User.objects.filter(is_active=True, pk__in=holders.values("user_id"))


def users_holding_position(position_id: int) -> QuerySet[User]:
    """Who holds a post today: appointees and substitutes standing in for it."""
    today = timezone.localdate()
    appointed = Appointment.objects.active_on(today).filter(position_id=position_id).values("user_id")
    standing_in = Substitution.objects.active_on(today).filter(position_id=position_id).values("substitute_id")
    return User.objects.filter(is_active=True).filter(Q(pk__in=appointed) | Q(pk__in=standing_in))


# --- choice lists: whom a staff member may pick (tasks, attendees, calendar grants) ---------


def colleague_choices(*, also: Any = ()) -> QuerySet[User]:
    """Active colleagues anyone may pick, plus any already chosen (someone who left is not
    dropped from an existing record)."""
    return User.objects.filter(Q(is_active=True) | Q(pk__in=list(also))).order_by("first_name", "last_name", "username")


def position_choices(*, active_only: bool = False) -> QuerySet[Position]:
    qs = Position.objects.select_related("department")
    return (qs.filter(active=True) if active_only else qs).order_by("department__name", "title")


def department_choices() -> QuerySet[Department]:
    return Department.objects.order_by("path")
