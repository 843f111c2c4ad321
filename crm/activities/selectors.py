"""Reads of CRM items, always through the access rules in `access.py`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from crm.activities.access import (
    call_scope,
    document_scope,
    meeting_scope,
    note_scope,
    readable_calendar_ids,
    task_scope,
    work_report_scope,
    writable_calendar_ids,
)
from crm.activities.models import (
    MAX_MEETING_LENGTH,
    Calendar,
    Call,
    Document,
    Meeting,
    MeetingAttendee,
    MeetingIdentity,
    Note,
    Room,
    Task,
    TaskAssignee,
    TaskReferral,
    TaskType,
    WorkReport,
)
from crm.activities.recurrence import occurrences
from crm.core.dictionaries.models import DictionaryEntry
from crm.org.selectors import managed_department_ids, users_in_departments

TASK_STATUS = "task_status"

# --- calendars and appointments -----------------------------------------------------


def calendar_list_for_user(*, user: Any, writable: bool = False) -> QuerySet[Calendar]:
    ids = writable_calendar_ids(user) if writable else readable_calendar_ids(user)
    return Calendar.objects.filter(pk__in=ids, active=True)


def calendar_list_for_admin(*, user: Any) -> QuerySet[Calendar]:
    """Every calendar the user may see, inactive ones included (the settings page)."""
    return Calendar.objects.filter(pk__in=readable_calendar_ids(user)).select_related("owner")


def calendar_get_for_user(*, user: Any, pk: int) -> Calendar | None:
    return calendar_list_for_user(user=user).filter(pk=pk).first()


def room_list(*, active_only: bool = True) -> QuerySet[Room]:
    qs = Room.objects.all()
    return qs.filter(active=True) if active_only else qs


def meeting_base_for_user(*, user: Any) -> QuerySet[Meeting]:
    return meeting_scope(user, Meeting.objects.all())


def meeting_get_for_user(*, user: Any, pk: int) -> Meeting | None:
    return (
        meeting_base_for_user(user=user)
        .select_related("calendar", "room", "organiser")
        .prefetch_related(
            Prefetch("attendee_rows", queryset=MeetingAttendee.objects.select_related("user")),
            Prefetch("identity_rows", queryset=MeetingIdentity.objects.select_related("identity")),
        )
        .filter(pk=pk)
        .first()
    )


@dataclass
class Occurrence:
    meeting: Meeting
    start: dt.datetime
    end: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.meeting.pk}:{self.start.isoformat()}"


def _overlapping(qs: QuerySet[Meeting], since: dt.datetime, until: dt.datetime) -> QuerySet[Meeting]:
    """Rows that may have an occurrence in the window: one-offs overlapping it, repeating
    ones started before its end and not finished before its start."""
    single = Q(repeat="", start__lt=until, start__gte=since - MAX_MEETING_LENGTH, end__gt=since)
    repeating = ~Q(repeat="") & Q(start__lt=until) & (Q(repeat_until__isnull=True) | Q(repeat_until__gte=since.date()))
    return qs.filter(single | repeating)


def work_calendar(
    *,
    user: Any,
    since: dt.datetime,
    until: dt.datetime,
    calendar_ids: list[int] | None = None,
    user_ids: list[int] | None = None,
    room_ids: list[int] | None = None,
    place: str = "",
    include_cancelled: bool = False,
) -> list[Occurrence]:
    """ "My work calendar" (AC-2): every appointment the user may see in the window, from
    every calendar they may read, filtered by calendar, person, room or place."""
    qs = meeting_base_for_user(user=user)
    if calendar_ids:
        qs = qs.filter(calendar_id__in=calendar_ids)
    if user_ids:
        attending = MeetingAttendee.objects.filter(meeting=OuterRef("pk"), user_id__in=user_ids)
        qs = qs.filter(Q(organiser_id__in=user_ids) | Exists(attending))
    if room_ids:
        qs = qs.filter(room_id__in=room_ids)
    if place:
        qs = qs.filter(Q(place__icontains=place) | Q(room__name__icontains=place))
    if not include_cancelled:
        qs = qs.exclude(status=Meeting.Status.CANCELLED)
    rows = _overlapping(qs, since, until).select_related("calendar", "room", "organiser")
    found = [Occurrence(m, start, end) for m in rows for start, end in occurrences(m, since, until)]
    return sorted(found, key=lambda o: (o.start, o.meeting.pk))


@dataclass
class Conflict:
    kind: str  # "user" or "room"
    who: Any  # the user or the room
    meeting: Meeting
    start: dt.datetime
    end: dt.datetime


def busy(
    *,
    start: dt.datetime,
    end: dt.datetime,
    user_ids: list[int] | None = None,
    room_id: int | None = None,
    exclude_meeting_id: int | None = None,
) -> list[Conflict]:
    """Free/busy: what already holds these people or this room between start and end.

    Read across all calendars (a person is busy whatever calendar holds the meeting); the
    caller shows only who and when, not private details, to users who may not see it.
    """
    user_ids = [u for u in (user_ids or []) if u]
    conflicts: list[Conflict] = []
    base = Meeting.objects.exclude(status=Meeting.Status.CANCELLED)
    if exclude_meeting_id:
        base = base.exclude(pk=exclude_meeting_id)
    if user_ids:
        attending = MeetingAttendee.objects.filter(meeting=OuterRef("pk"), user_id__in=user_ids).exclude(
            response=MeetingAttendee.Response.DECLINED
        )
        people = _overlapping(base.filter(Q(organiser_id__in=user_ids) | Exists(attending)), start, end)
        people = people.select_related("room", "organiser").prefetch_related(
            Prefetch("attendee_rows", queryset=MeetingAttendee.objects.select_related("user"))
        )
        for meeting in people:
            slots = list(occurrences(meeting, start, end))
            if not slots:
                continue
            involved = {meeting.organiser_id: meeting.organiser}
            for row in meeting.attendee_rows.all():
                if row.response != MeetingAttendee.Response.DECLINED:
                    involved[row.user_id] = row.user
            for uid in user_ids:
                if uid in involved:
                    for s, e in slots:
                        conflicts.append(Conflict("user", involved[uid], meeting, s, e))
    if room_id:
        for meeting in _overlapping(base.filter(room_id=room_id), start, end).select_related("room"):
            for s, e in occurrences(meeting, start, end):
                conflicts.append(Conflict("room", meeting.room, meeting, s, e))
    return conflicts


def meetings_today(*, user: Any) -> list[Occurrence]:
    """Today's appointments the user organises or attends (the dashboard widget)."""
    today = timezone.localdate()
    since = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return work_calendar(user=user, since=since, until=since + dt.timedelta(days=1), user_ids=[user.pk])


def meeting_cartable(*, user: Any, box: str = "upcoming") -> QuerySet[Meeting]:
    """The appointment cartable: upcoming / past appointments the user takes part in,
    invitations waiting for an answer, and those they organise."""
    now = timezone.now()
    mine = Meeting.objects.filter(Q(organiser=user) | Q(attendee_rows__user=user)).distinct()
    qs = mine.select_related("calendar", "room", "organiser")
    if box == "invitations":
        return qs.filter(
            attendee_rows__user=user, attendee_rows__response=MeetingAttendee.Response.INVITED, end__gt=now
        ).exclude(status=Meeting.Status.CANCELLED)
    if box == "organised":
        return qs.filter(organiser=user).order_by("-start")
    if box == "past":
        return qs.filter(end__lte=now).order_by("-start")
    return qs.filter(Q(end__gt=now) | ~Q(repeat="")).exclude(status=Meeting.Status.CANCELLED).order_by("start")


def with_next_occurrence(meetings: list[Meeting], *, after: dt.datetime | None = None) -> list[Meeting]:
    """Set `.shown_start` on each: the next occurrence of a repeating appointment (or its
    last one when none is left), the start of a one-off — what a cartable row should show."""
    after = after or timezone.now()
    for meeting in meetings:
        meeting.shown_start = meeting.start  # type: ignore[attr-defined]
        if meeting.repeat and meeting.start < after:
            upcoming = next(occurrences(meeting, after, after + dt.timedelta(days=800)), None)
            if upcoming is not None:
                meeting.shown_start = upcoming[0]  # type: ignore[attr-defined]
    return meetings


def ical_meetings(*, user: Any, days_back: int = 60, days_ahead: int = 365) -> list[Occurrence]:
    now = timezone.now()
    return work_calendar(
        user=user,
        since=now - dt.timedelta(days=days_back),
        until=now + dt.timedelta(days=days_ahead),
        user_ids=[user.pk],
    )


# --- tasks ---------------------------------------------------------------------------


def task_statuses(*, active_only: bool = True) -> QuerySet[DictionaryEntry]:
    qs = DictionaryEntry.objects.filter(dictionary=TASK_STATUS)
    return qs.filter(active=True) if active_only else qs


def task_base_for_user(*, user: Any, include_deleted: bool = False) -> QuerySet[Task]:
    base = Task.all_objects.all() if include_deleted else Task.objects.all()
    return task_scope(user, base)


def task_get_for_user(*, user: Any, pk: int) -> Task | None:
    return (
        task_base_for_user(user=user)
        .select_related("status", "task_type", "created_by")
        .prefetch_related(
            Prefetch(
                "assignees", queryset=TaskAssignee.objects.select_related("user", "position").order_by("step", "id")
            ),
            Prefetch("referrals", queryset=TaskReferral.objects.select_related("from_user", "to_user")),
            "identities",
        )
        .filter(pk=pk)
        .first()
    )


CARTABLE_BOXES = ("received", "referred", "done", "overdue", "created")


def task_cartable(*, user: Any, box: str = "received") -> QuerySet[TaskAssignee] | QuerySet[Task]:
    """The task cartable (AC-3). Received / done / overdue are the user's own rows (one
    index scan on (user, state, time)); referred are tasks the user handed on; created,
    the tasks they gave out."""
    rows = TaskAssignee.objects.filter(user=user, task__deleted_at__isnull=True).select_related(
        "task", "task__status", "task__created_by"
    )
    if box == "done":
        return rows.filter(state=TaskAssignee.State.DONE).order_by("-done_at", "-id")
    if box == "overdue":
        return rows.filter(state=TaskAssignee.State.OPEN, due_at__lt=timezone.now()).order_by("due_at", "id")
    if box == "referred":
        return rows.filter(state=TaskAssignee.State.REFERRED).order_by("-received_at", "-id")
    if box == "created":
        return (
            Task.objects.filter(created_by=user)
            .select_related("status")
            .annotate(open_rows=Count("assignees", filter=Q(assignees__state=TaskAssignee.State.OPEN)))
            .order_by("-created_at", "-id")
        )
    return rows.filter(state=TaskAssignee.State.OPEN).order_by("-received_at", "-id")


def task_cartable_counts(*, user: Any) -> dict[str, int]:
    """Counts read from the cartable index alone: open rows of deleted tasks are cancelled
    when the task is deleted, so no join to the task is needed."""
    mine = TaskAssignee.objects.filter(user=user, state=TaskAssignee.State.OPEN)
    return {"received": mine.count(), "overdue": mine.filter(due_at__lt=timezone.now()).count()}


def task_types(*, active_only: bool = True) -> QuerySet[TaskType]:
    qs = TaskType.objects.prefetch_related("steps")
    return qs.filter(active=True) if active_only else qs


# --- calls, notes, files, work reports ------------------------------------------------


def call_list_for_user(*, user: Any, identity_id: int | None = None) -> QuerySet[Call]:
    qs = call_scope(user, Call.objects.all()).select_related("identity", "user")
    return qs.filter(identity_id=identity_id) if identity_id else qs


def call_get_for_user(*, user: Any, pk: int) -> Call | None:
    return call_list_for_user(user=user).filter(pk=pk).first()


def note_list_for_user(*, user: Any) -> QuerySet[Note]:
    return note_scope(user, Note.objects.all()).select_related("created_by")


def note_get_for_user(*, user: Any, pk: int) -> Note | None:
    return note_list_for_user(user=user).prefetch_related("identities").filter(pk=pk).first()


def document_list_for_user(*, user: Any) -> QuerySet[Document]:
    return document_scope(user, Document.objects.all()).select_related("created_by")


def document_get_for_user(*, user: Any, pk: int) -> Document | None:
    return document_list_for_user(user=user).prefetch_related("identities").filter(pk=pk).first()


def work_report_list_for_user(*, user: Any, staff_id: int | None = None) -> QuerySet[WorkReport]:
    qs = work_report_scope(user, WorkReport.objects.all()).select_related("user")
    return qs.filter(user_id=staff_id) if staff_id else qs


def work_report_get_for_user(*, user: Any, pk: int) -> WorkReport | None:
    return work_report_list_for_user(user=user).prefetch_related("lines__identity").filter(pk=pk).first()


def performance_staff(*, user: Any) -> list[Any]:
    """Whose figures a user may read: their own; with view_department_workreport, the
    staff of the departments they manage; everyone's for a superuser."""
    users = get_user_model().objects.filter(is_active=True)
    if user.is_superuser:
        return list(users.order_by("first_name", "last_name", "username"))
    ids = {user.pk}
    if user.has_perm("activities.view_department_workreport"):
        ids |= set(users_in_departments(managed_department_ids(user)).values_list("pk", flat=True))
    return list(users.filter(pk__in=ids).order_by("first_name", "last_name", "username"))


def performance(*, user: Any, since: dt.date, until: dt.date) -> list[dict[str, Any]]:
    """Simple figures per person (AC-11): tasks done, calls, appointments in a period, for
    the staff whose work reports the user may read (themselves, or their departments)."""
    people = performance_staff(user=user)
    staff_ids = [p.pk for p in people]
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    done = dict(
        TaskAssignee.objects.filter(
            user_id__in=staff_ids, state=TaskAssignee.State.DONE, done_at__gte=start, done_at__lt=end
        )
        .values_list("user_id")
        .annotate(n=Count("id"))
    )
    calls = dict(
        Call.objects.filter(user_id__in=staff_ids, started_at__gte=start, started_at__lt=end)
        .values_list("user_id")
        .annotate(n=Count("id"))
    )
    organised = Meeting.objects.filter(start__gte=start, start__lt=end).exclude(status=Meeting.Status.CANCELLED)
    meetings = dict(organised.filter(organiser_id__in=staff_ids).values_list("organiser_id").annotate(n=Count("id")))
    attended = dict(
        MeetingAttendee.objects.filter(meeting__in=organised, user_id__in=staff_ids)
        .values_list("user_id")
        .annotate(n=Count("id"))
    )
    reports = dict(
        WorkReport.objects.filter(user_id__in=staff_ids, date_from__gte=since, date_from__lte=until)
        .values_list("user_id")
        .annotate(n=Count("id"))
    )
    return [
        {
            "user": person,
            "tasks_done": done.get(person.pk, 0),
            "calls": calls.get(person.pk, 0),
            "meetings": meetings.get(person.pk, 0) + attended.get(person.pk, 0),
            "reports": reports.get(person.pk, 0),
        }
        for person in people
    ]


def feed_user(*, token: str) -> Any:
    """The active user a feed token belongs to, or None."""
    from crm.activities.models import CalendarFeed

    if not token or len(token) > 64:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    return feed.user if feed and feed.user.is_active else None
