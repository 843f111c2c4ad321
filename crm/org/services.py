"""Writes of the organisation context: departments, positions, appointments, substitutes,
employee cards, user preferences, mail settings. Every write is audited."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q

from crm.core.audit.services import audit_record, audit_snapshot, soft_delete, tracked_create, tracked_update
from crm.core.customfields.services import custom_values_apply, custom_values_audit
from crm.core.permissions.access import hidden_fields, require, require_fields_writable, require_perm
from crm.core.tree import tree_move, tree_place
from crm.org.errors import OrgError, OrgErrorCode
from crm.org.models import Appointment, Department, EmployeeCard, MailServerSettings, Position, Substitution, User


@transaction.atomic
def department_create(*, actor: Any, name: str, parent: Department | None = None, code: str = "") -> Department:
    require_perm(actor, "org.add_department")
    department = Department.objects.create(name=name.strip(), parent=parent, code=code.strip())
    tree_place(department)
    audit_record(
        actor=actor,
        target=department,
        action="department.created",
        changes={"name": [None, department.name], "parent": [None, parent.pk if parent else None]},
    )
    return department


@transaction.atomic
def department_update(
    *, actor: Any, department: Department, name: str, parent: Department | None, code: str = "", active: bool = True
) -> Department:
    require_perm(actor, "org.change_department")
    department = Department.objects.select_for_update().get(pk=department.pk)
    if parent is not None and parent.path.startswith(department.path):
        raise OrgError(OrgErrorCode.DEPARTMENT_CYCLE)
    old_path = department.path
    tracked_update(obj=department, actor=actor, name=name.strip(), parent=parent, code=code.strip(), active=active)
    tree_move(department, old_path)
    return department


@transaction.atomic
def department_delete(*, actor: Any, department: Department) -> None:
    require_perm(actor, "org.delete_department")
    if department.children.exists() or department.positions.exists():
        raise OrgError(OrgErrorCode.DEPARTMENT_IN_USE)
    audit_record(actor=actor, target=department, action="department.deleted", changes={"name": [department.name, None]})
    department.delete()


@transaction.atomic
def position_save(
    *,
    actor: Any,
    position: Position | None = None,
    title: str,
    department: Department,
    reports_to: Position | None = None,
    is_manager: bool = False,
    active: bool = True,
    permissions: list[Permission] | None = None,
) -> Position:
    """Create or update a position; its permission set is replaced when given (audited)."""
    require_perm(actor, "org.change_position" if position else "org.add_position")
    values = {
        "title": title.strip(),
        "department": department,
        "reports_to": reports_to,
        "is_manager": is_manager,
        "active": active,
    }
    if position is None:
        position = tracked_create(obj=Position(**values), actor=actor)  # type: ignore[assignment]
    else:
        tracked_update(obj=position, actor=actor, **values)
    if permissions is not None:
        before = set(position.permissions.values_list("content_type__app_label", "codename"))
        position.permissions.set(permissions)
        after = {(p.content_type.app_label, p.codename) for p in permissions}
        if before != after:
            audit_record(
                actor=actor,
                target=position,
                action="position.permissions_changed",
                changes={
                    "added": sorted(f"{a}.{c}" for a, c in after - before),
                    "removed": sorted(f"{a}.{c}" for a, c in before - after),
                },
            )
    return position


def _overlap(qs: Any, start: dt.date, end: dt.date | None) -> Any:
    qs = qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
    return qs.filter(start_date__lte=end) if end else qs


@transaction.atomic
def appointment_create(
    *,
    actor: Any,
    user: User,
    position: Position,
    start_date: dt.date,
    end_date: dt.date | None = None,
    decree_number: str = "",
    note: str = "",
) -> Appointment:
    """Appoint a user to a position. Their rights follow the position from `start_date`."""
    require_perm(actor, "org.add_appointment")
    if end_date and end_date < start_date:
        raise OrgError(OrgErrorCode.DATES_ORDER)
    if not position.active:
        raise OrgError(OrgErrorCode.INACTIVE_POSITION)
    Position.objects.select_for_update().get(pk=position.pk)  # serialise appointments to one post
    if _overlap(Appointment.objects.filter(user=user, position=position), start_date, end_date).exists():
        raise OrgError(OrgErrorCode.APPOINTMENT_OVERLAP, user=str(user))
    appointment = Appointment(
        user=user,
        position=position,
        start_date=start_date,
        end_date=end_date,
        decree_number=decree_number,
        note=note,
        created_by=actor,
    )
    return tracked_create(obj=appointment, actor=actor)  # type: ignore[return-value]


@transaction.atomic
def appointment_end(*, actor: Any, appointment: Appointment, end_date: dt.date) -> Appointment:
    """End a decree (the person leaves or moves to another post): rights stop after end_date."""
    require_perm(actor, "org.change_appointment")
    if end_date < appointment.start_date:
        raise OrgError(OrgErrorCode.DATES_ORDER)
    tracked_update(obj=appointment, actor=actor, action="appointment.ended", end_date=end_date)
    return appointment


@transaction.atomic
def appointment_move(
    *, actor: Any, user: User, from_position: Position, to_position: Position, on: dt.date, decree_number: str = ""
) -> Appointment:
    """Move a person to a new post: the old appointment ends the day before `on`."""
    current = Appointment.objects.active_on(on).filter(user=user, position=from_position).first()
    if current is not None:
        appointment_end(actor=actor, appointment=current, end_date=on - dt.timedelta(days=1))
    return appointment_create(actor=actor, user=user, position=to_position, start_date=on, decree_number=decree_number)


@transaction.atomic
def substitution_create(
    *, actor: Any, position: Position, substitute: User, start_date: dt.date, end_date: dt.date, reason: str = ""
) -> Substitution:
    require_perm(actor, "org.add_substitution")
    if end_date < start_date:
        raise OrgError(OrgErrorCode.DATES_ORDER)
    if Appointment.objects.active_on(start_date).filter(user=substitute, position=position).exists():
        raise OrgError(OrgErrorCode.SUBSTITUTE_IS_HOLDER)
    substitution = Substitution(
        position=position,
        substitute=substitute,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
        created_by=actor,
    )
    return tracked_create(obj=substitution, actor=actor)  # type: ignore[return-value]


@transaction.atomic
def substitution_delete(*, actor: Any, substitution: Substitution) -> None:
    require_perm(actor, "org.delete_substitution")
    audit_record(actor=actor, target=substitution, action="substitution.deleted", changes=audit_snapshot(substitution))
    substitution.delete()


EMPLOYEE_FIELDS = [
    "user",
    "personnel_number",
    "first_name",
    "last_name",
    "national_id",
    "mobile",
    "email",
    "birth_date",
    "hire_date",
    "notes",
]


@transaction.atomic
def employee_card_create(*, actor: Any, custom: dict[str, Any] | None = None, **values: Any) -> EmployeeCard:
    require_perm(actor, "org.add_employeecard")
    require_fields_writable(actor, EmployeeCard, set(values) | {f"custom.{k}" for k in (custom or {})})
    card = EmployeeCard(created_by=actor, **values)
    custom_values_apply(obj=card, data=custom or {})
    card.full_clean(exclude=["custom"])
    return tracked_create(obj=card, actor=actor)  # type: ignore[return-value]


@transaction.atomic
def employee_card_update(
    *, actor: Any, card: EmployeeCard, custom: dict[str, Any] | None = None, **values: Any
) -> EmployeeCard:
    card = EmployeeCard.objects.select_for_update().get(pk=card.pk)
    require(actor, "change", card)
    changed = {k for k, v in values.items() if getattr(card, k) != v}
    changed_custom = {f"custom.{k}" for k, v in (custom or {}).items() if card.custom.get(k) != v}
    require_fields_writable(actor, EmployeeCard, changed | changed_custom)
    before = dict(card.custom)
    if custom:
        custom_values_apply(obj=card, data=custom, partial=True)
    candidate = copy.copy(card)  # validate on a copy: tracked_update must see the old values to diff and save
    for name, value in values.items():
        setattr(candidate, name, value)
    candidate.full_clean(exclude=["custom"])
    tracked_update(obj=card, actor=actor, **values)
    if card.custom != before:
        card.save(update_fields=["custom", "updated_at"])
        custom_values_audit(actor=actor, obj=card, before=before, after=card.custom)
    return card


def employee_card_delete(*, actor: Any, card: EmployeeCard) -> None:
    require(actor, "delete", card)
    soft_delete(obj=card, actor=actor)


@transaction.atomic
def user_preferences_set(
    *, actor: User, language: str, calendar: str, notify_by_email: bool, notify_by_sms: bool | None = None
) -> User:
    tracked_update(
        obj=actor,
        actor=actor,
        action="user.preferences_changed",
        language=language,
        calendar=calendar,
        notify_by_email=notify_by_email,
        notify_by_sms=actor.notify_by_sms if notify_by_sms is None else notify_by_sms,
    )
    return actor


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    language: str = "",
    calendar: str = "",
) -> User:
    require_perm(actor, "org.add_user")
    user = User(
        username=username.strip(),
        first_name=first_name,
        last_name=last_name,
        email=email,
        language=language,
        calendar=calendar,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(actor=actor, target=user, action="user.created", changes={"username": [None, user.username]})
    return user


@transaction.atomic
def user_set_active(*, actor: Any, user: User, active: bool) -> User:
    require_perm(actor, "org.change_user")
    tracked_update(obj=user, actor=actor, is_active=active)
    return user


@transaction.atomic
def mail_settings_save(*, actor: Any, values: dict[str, Any]) -> MailServerSettings:
    """Save the organisation mail server; an empty password field keeps the stored one.

    Secrets never reach the audit trail: encrypted fields are audited as fingerprints.
    """
    require_perm(actor, "org.change_mailserversettings")
    current = MailServerSettings.objects.select_for_update().first()
    values = {k: v for k, v in values.items() if not (k.endswith("_password") and not v)}
    if current is None:
        return tracked_create(obj=MailServerSettings(**values), actor=actor, action="mailsettings.created")  # type: ignore[return-value]
    tracked_update(obj=current, actor=actor, action="mailsettings.updated", **values)
    return current


def employee_card_hidden_fields(*, actor: Any) -> set[str]:
    return hidden_fields(actor, EmployeeCard)
