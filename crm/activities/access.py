"""Who sees which CRM items.

- Appointments follow their calendar: a calendar is readable by its owner, by everyone
  when it is open to staff, and by the users, positions and departments it is shared with
  (write access the same way); the organiser and attendees always see their appointment.
- Tasks, calls, notes and files are always visible to the people they belong to (creator,
  assignees and referrers of a task, the handler of a call); `view_all_<item>` widens that
  to everyone's. Superusers see everything.
- Work reports: one's own; with `view_department_workreport`, the reports of staff in the
  departments one manages (sub-departments included).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from crm.activities.models import (
    Calendar,
    CalendarAccess,
    Call,
    Document,
    Meeting,
    MeetingAttendee,
    Note,
    Task,
    TaskAssignee,
    TaskReferral,
    WorkReport,
)
from crm.core.permissions.access import AccessPolicy, register_policy
from crm.org.selectors import active_position_ids_for, department_ids_for, managed_department_ids, users_in_departments

MANAGE_CALENDARS = "activities.manage_calendars"


def _is_active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _grants(user: Any) -> Q:
    positions = active_position_ids_for(user)
    departments = department_ids_for(user)
    return Q(user=user) | Q(position_id__in=positions) | Q(department_id__in=departments)


def readable_calendar_ids(user: Any) -> set[int]:
    cached = getattr(user, "_crm_calendar_read", None)
    if cached is not None:
        return cached
    if not _is_active(user):
        ids: set[int] = set()
    elif user.is_superuser or user.has_perm(MANAGE_CALENDARS):
        ids = set(Calendar.objects.values_list("pk", flat=True))
    else:
        shared = CalendarAccess.objects.filter(_grants(user)).values("calendar_id")
        ids = set(
            Calendar.objects.filter(Q(owner=user) | Q(public_to_staff=True) | Q(pk__in=shared)).values_list(
                "pk", flat=True
            )
        )
    user._crm_calendar_read = ids
    return ids


def writable_calendar_ids(user: Any) -> set[int]:
    cached = getattr(user, "_crm_calendar_write", None)
    if cached is not None:
        return cached
    if not _is_active(user):
        ids: set[int] = set()
    elif user.is_superuser or user.has_perm(MANAGE_CALENDARS):
        ids = set(Calendar.objects.values_list("pk", flat=True))
    else:
        shared = CalendarAccess.objects.filter(_grants(user), level=CalendarAccess.Level.WRITE).values("calendar_id")
        ids = set(Calendar.objects.filter(Q(owner=user) | Q(pk__in=shared)).values_list("pk", flat=True))
    user._crm_calendar_write = ids
    return ids


def forget_calendar_access(user: Any) -> None:
    """Drop the per-request cache of a user's calendars after calendars or grants change."""
    for name in ("_crm_calendar_read", "_crm_calendar_write"):
        if hasattr(user, name):
            delattr(user, name)


def meeting_scope(user: Any, qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    if not _is_active(user):
        return qs.none()
    if user.is_superuser:
        return qs
    attending = MeetingAttendee.objects.filter(meeting=OuterRef("pk"), user=user)
    return qs.filter(Q(calendar_id__in=readable_calendar_ids(user)) | Q(organiser=user) | Exists(attending))


def can_write_meeting(user: Any, meeting: Meeting) -> bool:
    return _is_active(user) and (
        user.is_superuser or meeting.organiser_id == user.pk or meeting.calendar_id in writable_calendar_ids(user)
    )


def _own_or_all(user: Any, qs: QuerySet, perm: str, own: Q) -> QuerySet:
    if not _is_active(user):
        return qs.none()
    if user.is_superuser or user.has_perm(perm):
        return qs
    return qs.filter(own)


def task_own_q(user: Any) -> Q:
    return (
        Q(created_by=user)
        | Q(Exists(TaskAssignee.objects.filter(task=OuterRef("pk"), user=user)))
        | Q(Exists(TaskReferral.objects.filter(task=OuterRef("pk"), from_user=user)))
    )


def task_scope(user: Any, qs: QuerySet[Task]) -> QuerySet[Task]:
    return _own_or_all(user, qs, "activities.view_all_task", task_own_q(user))


def can_change_task(user: Any, task: Task) -> bool:
    """Creator, anyone it reached, or a holder of change_all_task."""
    if not _is_active(user):
        return False
    if user.is_superuser or user.has_perm("activities.change_all_task") or task.created_by_id == user.pk:
        return True
    return task.assignees.filter(user=user).exists()


def call_scope(user: Any, qs: QuerySet[Call]) -> QuerySet[Call]:
    return _own_or_all(user, qs, "activities.view_all_call", Q(created_by=user) | Q(user=user))


def note_scope(user: Any, qs: QuerySet[Note]) -> QuerySet[Note]:
    return _own_or_all(user, qs, "activities.view_all_note", Q(created_by=user))


def document_scope(user: Any, qs: QuerySet[Document]) -> QuerySet[Document]:
    return _own_or_all(user, qs, "activities.view_all_document", Q(created_by=user))


def work_report_scope(user: Any, qs: QuerySet[WorkReport]) -> QuerySet[WorkReport]:
    if not _is_active(user):
        return qs.none()
    if user.is_superuser:
        return qs
    own = Q(user=user)
    if user.has_perm("activities.view_department_workreport"):
        staff = users_in_departments(managed_department_ids(user)).values("pk")
        own |= Q(user_id__in=staff)
    return qs.filter(own)


# The generic edit/delete windows and field rules of core.permissions apply to these too
# (RecordRule rows an admin sets per model); the owner is the creator.
for _model in (Meeting, Task, Call, Note, Document, WorkReport):
    register_policy(_model, AccessPolicy(owner_field="created_by"))
