"""Writes of CRM items. Each service checks access, validates, writes in one transaction,
audits, keeps the identity histories (core timeline) in step and queues notifications
through the outbox (core notifications) in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.activities.access import (
    MANAGE_CALENDARS,
    call_scope,
    can_change_task,
    can_write_meeting,
    forget_calendar_access,
    readable_calendar_ids,
    writable_calendar_ids,
)
from crm.activities.errors import ActivityError, ActivityErrorCode, clean_or_raise
from crm.activities.models import (
    MAX_MEETING_LENGTH,
    Calendar,
    CalendarAccess,
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
    TaskTypeStep,
    WorkReport,
    WorkReportLine,
)
from crm.activities.recurrence import occurrences
from crm.activities.selectors import TASK_STATUS, busy
from crm.core.audit.services import audit_record, soft_delete, tracked_create, tracked_update
from crm.core.customfields.services import custom_values_apply
from crm.core.dictionaries.models import DictionaryEntry
from crm.core.dictionaries.services import dictionary_entry_ensure_system
from crm.core.errors import PermissionDeniedError
from crm.core.i18n.formatting import format_datetime, list_separator
from crm.core.items.models import Attachment
from crm.core.items.services import attachment_add, attachment_new_version
from crm.core.notifications.registry import MessageKind, register_message_kind
from crm.core.notifications.services import notify
from crm.core.permissions.access import require_perm, require_window
from crm.core.richtext import sanitize_html
from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_handler, due_job_schedule
from crm.core.timeline.services import timeline_hide, timeline_record
from crm.identities.phones import normalize_phone
from crm.identities.selectors import identity_by_phone
from crm.org.selectors import users_holding_position, users_in_departments

MEETING = "activities.meeting"
TASK = "activities.task"
CALL = "activities.call"
NOTE = "activities.note"
DOCUMENT = "activities.document"
REPORT_LINE = "activities.workreportline"

register_message_kind(
    MessageKind(
        key="meeting.invited",
        label=_("Invitation to an appointment"),
        subject=_("Invitation: {{ subject }}"),
        body=_("{{ organiser }} invites you to “{{ subject }}” on {{ when }} at {{ place }}."),
        placeholders={"subject": _("subject"), "organiser": _("organiser"), "when": _("time"), "place": _("place")},
    )
)
register_message_kind(
    MessageKind(
        key="meeting.changed",
        label=_("Appointment changed or cancelled"),
        subject=_("Changed: {{ subject }}"),
        body=_("“{{ subject }}” is now {{ status }}, on {{ when }} at {{ place }}."),
        placeholders={"subject": _("subject"), "status": _("status"), "when": _("time"), "place": _("place")},
    )
)
register_message_kind(
    MessageKind(
        key="meeting.reminder",
        label=_("Appointment reminder"),
        subject=_("Soon: {{ subject }}"),
        body=_("“{{ subject }}” starts at {{ when }} at {{ place }}."),
        placeholders={"subject": _("subject"), "when": _("time"), "place": _("place")},
    )
)
register_message_kind(
    MessageKind(
        key="task.assigned",
        label=_("Task received"),
        subject=_("New task: {{ title }}"),
        body=_("{{ sender }} sent you the task “{{ title }}”. {{ note }}"),
        placeholders={"title": _("task title"), "sender": _("sender"), "note": _("note"), "due": _("due")},
    )
)
register_message_kind(
    MessageKind(
        key="task.closed",
        label=_("Task done"),
        subject=_("Done: {{ title }}"),
        body=_("{{ who }} finished the task “{{ title }}”."),
        placeholders={"title": _("task title"), "who": _("who finished it")},
    )
)

TASK_STATUSES = [
    ("open", {"en": "Open", "fa": "باز", "uk": "Відкрите"}),
    ("in_progress", {"en": "In progress", "fa": "در حال انجام", "uk": "У роботі"}),
    ("done", {"en": "Done", "fa": "انجام‌شده", "uk": "Виконано"}),
    ("cancelled", {"en": "Cancelled", "fa": "لغوشده", "uk": "Скасовано"}),
]
CLOSED_STATUSES = {"done", "cancelled"}


def _identity_ids(actor: Any, requested: Iterable[int], current: Iterable[int] = ()) -> list[int]:
    """The identities an item will link to: of those asked for, the ones the actor may see,
    plus links the actor cannot see, which an edit by them leaves alone."""
    from crm.identities.selectors import identity_base_for_user

    wanted = {int(i) for i in requested}
    existing = {int(i) for i in current}
    visible = set(identity_base_for_user(user=actor).filter(pk__in=wanted | existing).values_list("pk", flat=True))
    return sorted((wanted & visible) | (existing - visible))


def _custom_changed(obj: Any, custom: dict[str, Any]) -> dict[str, Any]:
    """The item's custom values with these changes, validated, leaving `obj` as it was so
    `tracked_update` sees (and audits, and saves) the difference."""
    before = dict(obj.custom or {})
    custom_values_apply(obj=obj, data=custom, partial=True)
    after = obj.custom
    obj.custom = before
    return after


def _who(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _when(at: dt.datetime) -> str:
    return format_datetime(at)


# --- calendars and rooms --------------------------------------------------------------


def calendar_personal(*, user: Any) -> Calendar:
    """The user's own calendar, made the first time it is needed."""
    calendar = Calendar.objects.filter(owner=user, kind=Calendar.Kind.PERSONAL).first()
    if calendar is None:
        calendar = Calendar.objects.create(
            owner=user, kind=Calendar.Kind.PERSONAL, name=_who(user), created_by=user, colour="#198754"
        )
        forget_calendar_access(user)
    return calendar


@transaction.atomic
def calendar_save(
    *,
    actor: Any,
    values: dict[str, Any],
    calendar: Calendar | None = None,
    grants: Iterable[tuple[str, int, str]] | None = None,
) -> Calendar:
    """Create or change a calendar; grants are (kind user|position|department, id, level)."""
    if calendar is None:
        require_perm(actor, MANAGE_CALENDARS)
        calendar = Calendar(created_by=actor, **values)
        clean_or_raise(calendar)
        tracked_create(obj=calendar, actor=actor)
    else:
        if not (actor.is_superuser or actor.has_perm(MANAGE_CALENDARS) or calendar.owner_id == actor.pk):
            raise PermissionDeniedError()
        tracked_update(obj=calendar, actor=actor, **values)
    forget_calendar_access(actor)
    if grants is not None:
        calendar.access.all().delete()
        rows = []
        for kind, pk, level in grants:
            if kind not in {"user", "position", "department"}:
                continue
            rows.append(CalendarAccess(calendar=calendar, level=level, **{f"{kind}_id": pk}))
        CalendarAccess.objects.bulk_create(rows)
        audit_record(
            actor=actor, target=calendar, action="calendar.access_changed", changes={"grants": list(map(list, grants))}
        )
    return calendar


@transaction.atomic
def room_save(*, actor: Any, values: dict[str, Any], room: Room | None = None) -> Room:
    require_perm(actor, MANAGE_CALENDARS)
    if room is None:
        room = Room(**values)
        clean_or_raise(room)
        return tracked_create(obj=room, actor=actor)  # type: ignore[return-value]
    tracked_update(obj=room, actor=actor, **values)
    return room


# --- appointments (AC-1) ---------------------------------------------------------------

MEETING_FIELDS = (
    "calendar",
    "subject",
    "description",
    "start",
    "end",
    "all_day",
    "place",
    "room",
    "status",
    "repeat",
    "repeat_interval",
    "repeat_until",
    "remind_minutes",
)


def _check_free(*, meeting: Meeting, user_ids: list[int], allow_busy_people: bool, actor: Any) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        return
    windows = list(occurrences(meeting, meeting.start, meeting.end + dt.timedelta(days=366)))[:50] or [
        (meeting.start, meeting.end)
    ]
    for start, end in windows:
        conflicts = busy(
            start=start, end=end, user_ids=user_ids, room_id=meeting.room_id, exclude_meeting_id=meeting.pk
        )
        rooms = [c for c in conflicts if c.kind == "room"]
        if rooms:
            c = rooms[0]
            visible = c.meeting.calendar_id in readable_calendar_ids(actor) or actor.is_superuser
            what = f"{c.meeting.subject if visible else _('busy')} ({_when(c.start)}–{_when(c.end)})"
            raise ActivityError(ActivityErrorCode.ROOM_BUSY, room=str(c.who), what=what)
        people = [c for c in conflicts if c.kind == "user"]
        if people and not allow_busy_people:
            names = sorted({f"{_who(c.who)} ({_when(c.start)}–{_when(c.end)})" for c in people})
            raise ActivityError(ActivityErrorCode.BUSY, who=list_separator().join(names))


def _validate_meeting(actor: Any, meeting: Meeting) -> None:
    if meeting.end <= meeting.start:
        raise ActivityError(
            ActivityErrorCode.ENDS_BEFORE_START,
            fields={"end": [ActivityError.messages[ActivityErrorCode.ENDS_BEFORE_START]]},
        )
    if meeting.end - meeting.start > MAX_MEETING_LENGTH:
        error = ActivityError(ActivityErrorCode.TOO_LONG, days=MAX_MEETING_LENGTH.days)
        raise ActivityError(ActivityErrorCode.TOO_LONG, days=MAX_MEETING_LENGTH.days, fields={"end": [str(error)]})
    if meeting.calendar_id not in writable_calendar_ids(actor):
        raise ActivityError(ActivityErrorCode.CALENDAR_READ_ONLY)
    if meeting.room_id and not Room.objects.filter(pk=meeting.room_id, active=True).exists():
        raise ActivityError(ActivityErrorCode.ROOM_INACTIVE)
    if not meeting.repeat:
        meeting.repeat_until = None


def _meeting_history(actor: Any, meeting: Meeting) -> None:
    identity_ids = list(meeting.identity_rows.values_list("identity_id", flat=True))
    timeline_record(
        identity_ids=identity_ids,
        item_type=MEETING,
        item_id=meeting.pk,
        occurred_at=meeting.start,
        summary=meeting.subject,
        actor=meeting.organiser,
        extra={"status": meeting.status},
    )


def _meeting_values(meeting: Meeting) -> dict[str, Any]:
    return {
        "subject": meeting.subject,
        "organiser": _who(meeting.organiser),
        "when": _when(meeting.start),
        "place": str(meeting.room) if meeting.room_id else (meeting.place or "—"),
        "status": meeting.get_status_display(),
    }


def _reminder_key(meeting: Meeting, start: dt.datetime) -> str:
    return f"meeting:{meeting.pk}:{start.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S')}"


def _schedule_reminder(meeting: Meeting) -> None:
    """One reminder job for the next occurrence; its handler schedules the one after."""
    if not meeting.remind_minutes or meeting.status == Meeting.Status.CANCELLED:
        return
    now = timezone.now()
    lead = dt.timedelta(minutes=meeting.remind_minutes)
    for start, _end in occurrences(meeting, now + lead, now + dt.timedelta(days=400)):
        due_job_schedule(
            kind="meeting.remind",
            due_at=start - lead,
            payload={"meeting": meeting.pk, "start": start.isoformat()},
            dedupe_key=_reminder_key(meeting, start),
        )
        return


def _cancel_reminders(meeting: Meeting) -> None:
    DueJob.objects.filter(
        kind="meeting.remind", status=DueJob.Status.PENDING, dedupe_key__startswith=f"meeting:{meeting.pk}:"
    ).update(status=DueJob.Status.CANCELLED, finished_at=timezone.now())


def _set_people(
    actor: Any, meeting: Meeting, attendee_ids: Iterable[int], identity_ids: Iterable[int], invited_ids: Iterable[int]
) -> list[int]:
    """Replace attendees and linked identities; returns the newly invited users' ids."""
    wanted = {int(u) for u in attendee_ids} - {meeting.organiser_id}
    current = set(meeting.attendee_rows.values_list("user_id", flat=True))
    meeting.attendee_rows.exclude(user_id__in=wanted).delete()
    MeetingAttendee.objects.bulk_create([MeetingAttendee(meeting=meeting, user_id=u) for u in wanted - current])
    current_rows = list(meeting.identity_rows.values_list("identity_id", "invited"))
    invited = set(_identity_ids(actor, invited_ids, [i for i, was_invited in current_rows if was_invited]))
    linked = set(_identity_ids(actor, identity_ids, [i for i, _was in current_rows])) | invited
    meeting.identity_rows.exclude(identity_id__in=linked).delete()
    existing = {row.identity_id: row for row in meeting.identity_rows.all()}
    for identity_id in linked:
        row = existing.get(identity_id)
        if row is None:
            MeetingIdentity.objects.create(meeting=meeting, identity_id=identity_id, invited=identity_id in invited)
        elif row.invited != (identity_id in invited):
            row.invited = identity_id in invited
            row.save(update_fields=["invited"])
    return sorted(wanted - current)


@transaction.atomic
def meeting_create(
    *,
    actor: Any,
    values: dict[str, Any],
    attendee_ids: Iterable[int] = (),
    identity_ids: Iterable[int] = (),
    invited_identity_ids: Iterable[int] = (),
    custom: dict[str, Any] | None = None,
    allow_busy_people: bool = False,
) -> Meeting:
    """Book an appointment: refused when the room is taken, and when a person is busy
    unless the organiser books anyway."""
    data = {k: v for k, v in values.items() if k in MEETING_FIELDS}
    meeting = Meeting(organiser=actor, created_by=actor, **data)
    _validate_meeting(actor, meeting)
    attendee_ids = [int(u) for u in attendee_ids]
    _check_free(meeting=meeting, user_ids=[actor.pk, *attendee_ids], allow_busy_people=allow_busy_people, actor=actor)
    if custom is not None:
        custom_values_apply(obj=meeting, data=custom)
    tracked_create(obj=meeting, actor=actor)
    invited = _set_people(actor, meeting, attendee_ids, identity_ids, invited_identity_ids)
    _meeting_history(actor, meeting)
    _schedule_reminder(meeting)
    if invited:
        from django.contrib.auth import get_user_model

        notify(
            users=get_user_model().objects.filter(pk__in=invited),
            kind="meeting.invited",
            values=lambda user: _meeting_values(meeting),
            dedupe_key=f"meeting-invite:{meeting.pk}",
            url=reverse("activities:meeting_detail", args=[meeting.pk]),
            item_type=MEETING,
            item_id=meeting.pk,
        )
    return meeting


@transaction.atomic
def meeting_update(
    *,
    actor: Any,
    meeting: Meeting,
    values: dict[str, Any],
    attendee_ids: Iterable[int] | None = None,
    identity_ids: Iterable[int] | None = None,
    invited_identity_ids: Iterable[int] | None = None,
    custom: dict[str, Any] | None = None,
    allow_busy_people: bool = False,
) -> Meeting:
    if not can_write_meeting(actor, meeting):
        raise ActivityError(ActivityErrorCode.CALENDAR_READ_ONLY)
    require_window(actor, "change", meeting)
    data = {k: v for k, v in values.items() if k in MEETING_FIELDS}
    before_when = (meeting.start, meeting.end, meeting.room_id, meeting.status)
    for key, value in data.items():
        setattr(meeting, key, value)
    _validate_meeting(actor, meeting)
    people = (
        [int(u) for u in attendee_ids]
        if attendee_ids is not None
        else list(meeting.attendee_rows.values_list("user_id", flat=True))
    )
    _check_free(
        meeting=meeting, user_ids=[meeting.organiser_id, *people], allow_busy_people=allow_busy_people, actor=actor
    )
    if custom is not None:
        custom_values_apply(obj=meeting, data=custom, partial=True)
        data["custom"] = meeting.custom
    fresh = Meeting.objects.get(pk=meeting.pk)
    tracked_update(obj=fresh, actor=actor, **data)
    meeting = fresh
    invited: list[int] = []
    if attendee_ids is not None or identity_ids is not None or invited_identity_ids is not None:
        current_identities = list(meeting.identity_rows.filter(invited=False).values_list("identity_id", flat=True))
        current_invited = list(meeting.identity_rows.filter(invited=True).values_list("identity_id", flat=True))
        invited = _set_people(
            actor,
            meeting,
            people,
            identity_ids if identity_ids is not None else current_identities,
            invited_identity_ids if invited_identity_ids is not None else current_invited,
        )
    _meeting_history(actor, meeting)
    _cancel_reminders(meeting)
    _schedule_reminder(meeting)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    url = reverse("activities:meeting_detail", args=[meeting.pk])
    if invited:
        notify(
            users=users.filter(pk__in=invited),
            kind="meeting.invited",
            values=lambda user: _meeting_values(meeting),
            dedupe_key=f"meeting-invite:{meeting.pk}:{timezone.now().timestamp()}",
            url=url,
            item_type=MEETING,
            item_id=meeting.pk,
        )
    if before_when != (meeting.start, meeting.end, meeting.room_id, meeting.status):
        others = set(meeting.attendee_rows.values_list("user_id", flat=True)) - set(invited) - {actor.pk}
        notify(
            users=users.filter(pk__in=others),
            kind="meeting.changed",
            values=lambda user: _meeting_values(meeting),
            dedupe_key=f"meeting-change:{meeting.pk}:{timezone.now().timestamp()}",
            url=url,
            item_type=MEETING,
            item_id=meeting.pk,
        )
    return meeting


def meeting_cancel(*, actor: Any, meeting: Meeting) -> Meeting:
    return meeting_update(actor=actor, meeting=meeting, values={"status": Meeting.Status.CANCELLED})


@transaction.atomic
def meeting_delete(*, actor: Any, meeting: Meeting) -> None:
    if not can_write_meeting(actor, meeting):
        raise ActivityError(ActivityErrorCode.CALENDAR_READ_ONLY)
    require_window(actor, "delete", meeting)
    soft_delete(obj=meeting, actor=actor)
    _cancel_reminders(meeting)
    timeline_hide(item_type=MEETING, item_id=meeting.pk)


@transaction.atomic
def meeting_respond(*, actor: Any, meeting: Meeting, response: str) -> MeetingAttendee:
    row = meeting.attendee_rows.filter(user=actor).first()
    if row is None or response not in MeetingAttendee.Response.values:
        raise ActivityError(ActivityErrorCode.NOT_ALLOWED)
    row.response = response
    row.save(update_fields=["response"])
    audit_record(actor=actor, target=meeting, action="meeting.responded", changes={"response": response})
    return row


@due_handler("meeting.remind")
def _meeting_remind(job: DueJob) -> None:
    meeting = Meeting.objects.select_related("organiser", "room").filter(pk=job.payload.get("meeting")).first()
    if meeting is None or meeting.status == Meeting.Status.CANCELLED or not meeting.remind_minutes:
        return
    start = dt.datetime.fromisoformat(job.payload["start"])

    def values(user: Any) -> dict[str, Any]:
        return {**_meeting_values(meeting), "when": _when(start)}

    from django.contrib.auth import get_user_model

    people = {meeting.organiser_id} | set(
        meeting.attendee_rows.exclude(response=MeetingAttendee.Response.DECLINED).values_list("user_id", flat=True)
    )
    notify(
        users=get_user_model().objects.filter(pk__in=people),
        kind="meeting.reminder",
        values=values,
        dedupe_key=job.dedupe_key or _reminder_key(meeting, start),
        url=reverse("activities:meeting_detail", args=[meeting.pk]),
        item_type=MEETING,
        item_id=meeting.pk,
    )
    if meeting.repeat:
        lead = dt.timedelta(minutes=meeting.remind_minutes)
        for following, _end in occurrences(meeting, start + dt.timedelta(seconds=1), start + dt.timedelta(days=400)):
            due_job_schedule(
                kind="meeting.remind",
                due_at=following - lead,
                payload={"meeting": meeting.pk, "start": following.isoformat()},
                dedupe_key=_reminder_key(meeting, following),
            )
            break


# --- tasks (AC-3, AC-12) ------------------------------------------------------------------


def task_statuses_ensure() -> None:
    for position, (code, labels) in enumerate(TASK_STATUSES):
        dictionary_entry_ensure_system(dictionary=TASK_STATUS, code=code, labels=labels, position=position)


def _status(code: str) -> DictionaryEntry:
    entry = DictionaryEntry.objects.filter(dictionary=TASK_STATUS, code=code).first()
    if entry is None:
        task_statuses_ensure()
        entry = DictionaryEntry.objects.get(dictionary=TASK_STATUS, code=code)
    return entry


def _task_history(task: Task, actor: Any) -> None:
    timeline_record(
        identity_ids=list(task.identities.values_list("pk", flat=True)),
        item_type=TASK,
        item_id=task.pk,
        occurred_at=task.created_at,
        summary=task.title,
        actor=task.created_by or actor,
        extra={"status": task.status.code},
    )


def _resolve_assignees(user_ids: Iterable[int], position_ids: Iterable[int]) -> list[tuple[Any, int | None]]:
    from django.contrib.auth import get_user_model

    people: dict[int, tuple[Any, int | None]] = {}
    for user in get_user_model().objects.filter(pk__in=[int(u) for u in user_ids], is_active=True):
        people[user.pk] = (user, None)
    from crm.org.models import Position

    for position in Position.objects.filter(pk__in=[int(p) for p in position_ids]):
        holders = list(users_holding_position(position.pk))
        if not holders:
            raise ActivityError(ActivityErrorCode.POSITION_EMPTY, position=str(position))
        for user in holders:
            people.setdefault(user.pk, (user, position.pk))
    return list(people.values())


def _tell_assigned(task: Task, users: list[Any], sender: Any, note: str = "", key: str = "") -> None:
    if not users:
        return
    notify(
        users=users,
        kind="task.assigned",
        values={
            "title": task.title,
            "sender": _who(sender),
            "note": note,
            "due": _when(task.due_at) if task.due_at else "",
        },
        dedupe_key=key or f"task-assigned:{task.pk}:{timezone.now().timestamp()}",
        url=reverse("activities:task_detail", args=[task.pk]),
        item_type=TASK,
        item_id=task.pk,
    )


TASK_FIELDS = ("title", "description", "priority", "due_at", "task_type", "status")


@transaction.atomic
def task_create(
    *,
    actor: Any,
    values: dict[str, Any],
    user_ids: Iterable[int] = (),
    position_ids: Iterable[int] = (),
    identity_ids: Iterable[int] = (),
    custom: dict[str, Any] | None = None,
) -> Task:
    """A task for oneself (nobody chosen), colleagues, a group or a position. With a task
    type that has steps, the steps decide the assignees: the first opens, the rest wait."""
    data = {k: v for k, v in values.items() if k in TASK_FIELDS}
    data.setdefault("status", _status("open"))
    task = Task(created_by=actor, **data)
    if custom is not None:
        custom_values_apply(obj=task, data=custom)
    clean_or_raise(task, exclude=["identities", "custom"])
    tracked_create(obj=task, actor=actor)
    task.identities.set(_identity_ids(actor, identity_ids))
    now = timezone.now()
    steps = list(task.task_type.steps.order_by("order")) if task.task_type_id else []
    rows: list[TaskAssignee] = []
    opened: list[Any] = []
    if steps:
        for index, step in enumerate(steps):
            people = _resolve_assignees(
                [step.user_id] if step.user_id else [], [step.position_id] if step.position_id else []
            )
            for user, position_id in people:
                state = TaskAssignee.State.OPEN if index == 0 else TaskAssignee.State.WAITING
                rows.append(_assignee_row(task, user, position_id, state, step=step.order, now=now))
                if index == 0:
                    opened.append(user)
    else:
        people = _resolve_assignees(user_ids, position_ids) or [(actor, None)]
        for user, position_id in people:
            rows.append(_assignee_row(task, user, position_id, TaskAssignee.State.OPEN, now=now))
            opened.append(user)
    TaskAssignee.objects.bulk_create(rows)
    _task_history(task, actor)
    _tell_assigned(task, [u for u in opened if u.pk != actor.pk], actor, key=f"task-assigned:{task.pk}")
    return task


def _assignee_row(
    task: Task, user: Any, position_id: int | None, state: str, *, now: dt.datetime, step: int | None = None
) -> TaskAssignee:
    return TaskAssignee(
        task=task,
        user=user,
        position_id=position_id,
        state=state,
        step=step,
        received_at=now if state == TaskAssignee.State.OPEN else None,
        due_at=task.due_at,
        priority=task.priority,
    )


@transaction.atomic
def task_update(
    *,
    actor: Any,
    task: Task,
    values: dict[str, Any],
    identity_ids: Iterable[int] | None = None,
    custom: dict[str, Any] | None = None,
) -> Task:
    if not can_change_task(actor, task):
        raise ActivityError(ActivityErrorCode.NOT_ALLOWED)
    require_window(actor, "change", task)
    data = {k: v for k, v in values.items() if k in TASK_FIELDS and k != "task_type"}
    if custom is not None:
        data["custom"] = _custom_changed(task, custom)
    tracked_update(obj=task, actor=actor, **data)
    if identity_ids is not None:
        task.identities.set(_identity_ids(actor, identity_ids, task.identities.values_list("pk", flat=True)))
    if "due_at" in data or "priority" in data:
        task.assignees.update(due_at=task.due_at, priority=task.priority)
    if "status" in data and task.status.code in CLOSED_STATUSES and task.closed_at is None:
        _close(task, actor, cancelled=task.status.code == "cancelled")
    elif "status" in data and task.status.code not in CLOSED_STATUSES and task.closed_at is not None:
        _reopen(task, actor)
    _task_history(task, actor)
    return task


def _close(task: Task, actor: Any, *, cancelled: bool = False) -> None:
    now = timezone.now()
    task.closed_at = now
    task.save(update_fields=["closed_at"])
    open_rows = task.assignees.filter(state__in=[TaskAssignee.State.OPEN, TaskAssignee.State.WAITING])
    if cancelled:
        open_rows.update(state=TaskAssignee.State.CANCELLED)
    else:
        open_rows.update(state=TaskAssignee.State.DONE, done_at=now)


def _reopen(task: Task, actor: Any) -> None:
    """A closed task set back to an open status: whoever it was closed for has it again."""
    closed_at = task.closed_at
    assert closed_at is not None
    closing = Q(state=TaskAssignee.State.CANCELLED) | Q(
        state=TaskAssignee.State.DONE, done_at__gte=closed_at - dt.timedelta(seconds=1)
    )
    task.assignees.filter(closing).update(state=TaskAssignee.State.OPEN, received_at=timezone.now(), done_at=None)
    task.closed_at = None
    task.save(update_fields=["closed_at"])
    audit_record(actor=actor, target=task, action="task.reopened")


def _open_row(task: Task, actor: Any) -> TaskAssignee:
    # from the table, not `task.assignees`: a prefetched relation carries its joins along
    row = (
        TaskAssignee.objects.select_for_update()
        .filter(task=task, user=actor, state=TaskAssignee.State.OPEN)
        .order_by("id")
        .first()
    )
    if row is None:
        raise ActivityError(ActivityErrorCode.NOT_ASSIGNED)
    return row


@transaction.atomic
def task_refer(*, actor: Any, task: Task, to_user: Any, note: str = "") -> TaskAssignee:
    """Hand one's share of a task to someone else; the chain keeps every hand-over."""
    if task.closed_at:
        raise ActivityError(ActivityErrorCode.ALREADY_CLOSED)
    if to_user.pk == actor.pk:
        raise ActivityError(ActivityErrorCode.REFER_TO_SELF)
    if not to_user.is_active:
        raise ActivityError(ActivityErrorCode.NOT_ALLOWED)
    row = _open_row(task, actor)
    now = timezone.now()
    row.state = TaskAssignee.State.REFERRED
    row.done_at = now
    row.save(update_fields=["state", "done_at"])
    TaskReferral.objects.create(task=task, from_user=actor, to_user=to_user, note=note.strip()[:500])
    existing = task.assignees.filter(user=to_user).exclude(state=TaskAssignee.State.OPEN).first()
    if existing is not None and existing.state != TaskAssignee.State.WAITING:
        existing.state, existing.received_at, existing.done_at = TaskAssignee.State.OPEN, now, None
        existing.save(update_fields=["state", "received_at", "done_at"])
        new_row = existing
    elif task.assignees.filter(user=to_user, state=TaskAssignee.State.OPEN).exists():
        new_row = task.assignees.get(user=to_user, state=TaskAssignee.State.OPEN)
    else:
        new_row = TaskAssignee.objects.create(
            task=task,
            user=to_user,
            state=TaskAssignee.State.OPEN,
            step=row.step,
            received_at=now,
            due_at=task.due_at,
            priority=task.priority,
        )
    audit_record(actor=actor, target=task, action="task.referred", changes={"to": to_user.get_username(), "note": note})
    _tell_assigned(task, [to_user], actor, note=note)
    return new_row


@transaction.atomic
def task_done(*, actor: Any, task: Task, note: str = "") -> Task:
    """Mark one's share done. In a workflow the next step opens; when nobody has anything
    left to do, the task closes and its creator hears of it."""
    if task.closed_at:
        raise ActivityError(ActivityErrorCode.ALREADY_CLOSED)
    row = _open_row(task, actor)
    now = timezone.now()
    row.state, row.done_at = TaskAssignee.State.DONE, now
    row.save(update_fields=["state", "done_at"])
    audit_record(actor=actor, target=task, action="task.done", changes={"note": note} if note else {})
    remaining = task.assignees.filter(state=TaskAssignee.State.OPEN)
    if row.step is not None and not remaining.filter(step=row.step).exists():
        waiting = task.assignees.filter(state=TaskAssignee.State.WAITING, step__gt=row.step).order_by("step")
        following = waiting.first()
        if following is not None:
            next_rows = list(waiting.filter(step=following.step).select_related("user"))
            task.assignees.filter(pk__in=[r.pk for r in next_rows]).update(
                state=TaskAssignee.State.OPEN, received_at=now
            )
            _tell_assigned(
                task, [r.user for r in next_rows], actor, note=note, key=f"task-step:{task.pk}:{following.step}"
            )
            return task
    if not remaining.exists() and not task.assignees.filter(state=TaskAssignee.State.WAITING).exists():
        task.status = _status("done")
        task.closed_at = now
        task.save(update_fields=["status", "closed_at"])
        _task_history(task, actor)
        if task.created_by_id and task.created_by_id != actor.pk and task.created_by:
            notify(
                users=[task.created_by],
                kind="task.closed",
                values={"title": task.title, "who": _who(actor)},
                dedupe_key=f"task-closed:{task.pk}",
                url=reverse("activities:task_detail", args=[task.pk]),
                item_type=TASK,
                item_id=task.pk,
            )
    elif task.status.code == "open":
        task.status = _status("in_progress")
        task.save(update_fields=["status"])
    return task


@transaction.atomic
def task_delete(*, actor: Any, task: Task) -> None:
    if not (actor.is_superuser or task.created_by_id == actor.pk or actor.has_perm("activities.delete_all_task")):
        raise ActivityError(ActivityErrorCode.NOT_ALLOWED)
    require_window(actor, "delete", task)
    soft_delete(obj=task, actor=actor)
    # out of every cartable (the counts read the cartable rows without joining the task)
    task.assignees.filter(state__in=[TaskAssignee.State.OPEN, TaskAssignee.State.WAITING]).update(
        state=TaskAssignee.State.CANCELLED
    )
    timeline_hide(item_type=TASK, item_id=task.pk)


@transaction.atomic
def announcement_send(
    *,
    actor: Any,
    title: str,
    description: str = "",
    department_ids: Iterable[int] = (),
    due_at: dt.datetime | None = None,
) -> Task:
    """An announcement to all staff or to departments, delivered as a task in each
    cartable (AC-3)."""
    require_perm(actor, "activities.announce")
    from django.contrib.auth import get_user_model

    departments = [int(d) for d in department_ids]
    people = [
        user
        for user in (
            users_in_departments(departments) if departments else get_user_model().objects.filter(is_active=True)
        )
        if user.pk != actor.pk
    ]
    if not people:
        raise ActivityError(ActivityErrorCode.NO_ASSIGNEE)
    task = Task(
        created_by=actor,
        title=title,
        description=description,
        due_at=due_at,
        status=_status("open"),
        is_announcement=True,
    )
    clean_or_raise(task, exclude=["identities", "custom"])
    tracked_create(obj=task, actor=actor)
    now = timezone.now()
    TaskAssignee.objects.bulk_create(
        [_assignee_row(task, user, None, TaskAssignee.State.OPEN, now=now) for user in people if user.pk != actor.pk]
    )
    _task_history(task, actor)
    _tell_assigned(task, [u for u in people if u.pk != actor.pk], actor, key=f"task-assigned:{task.pk}")
    return task


@transaction.atomic
def task_type_save(
    *, actor: Any, name: str, steps: list[dict[str, Any]], task_type: TaskType | None = None, active: bool = True
) -> TaskType:
    """A task type and its assignee sequence: [{title, user_id | position_id}, …]."""
    require_perm(actor, "activities.add_tasktype")
    if task_type is None:
        task_type = TaskType.objects.create(name=name, active=active)
        audit_record(actor=actor, target=task_type, action="tasktype.created", changes={"name": name})
    else:
        tracked_update(obj=task_type, actor=actor, name=name, active=active)
        task_type.steps.all().delete()
    TaskTypeStep.objects.bulk_create(
        [
            TaskTypeStep(
                task_type=task_type,
                order=index + 1,
                title=step.get("title") or str(index + 1),
                user_id=step.get("user_id"),
                position_id=step.get("position_id"),
            )
            for index, step in enumerate(steps)
            if step.get("user_id") or step.get("position_id")
        ]
    )
    return task_type


# --- calls, notes, files (AC-4 … AC-6) ------------------------------------------------------

CALL_FIELDS = (
    "direction",
    "identity",
    "their_number",
    "our_number",
    "started_at",
    "duration_seconds",
    "user",
    "subject",
    "description",
)


def _call_history(call: Call, actor: Any) -> None:
    timeline_record(
        identity_ids=[call.identity_id] if call.identity_id else [],
        item_type=CALL,
        item_id=call.pk,
        occurred_at=call.started_at,
        summary=call.subject or call.their_number or str(call.get_direction_display()),
        actor=call.user or actor,
        extra={"direction": call.direction, "duration": call.duration_seconds},
    )


def _normalize_call(data: dict[str, Any]) -> None:
    number = (data.get("their_number") or "").strip()
    if number:
        normalized = normalize_phone(number)
        if not normalized:
            raise ActivityError(
                ActivityErrorCode.NUMBER_INVALID,
                number=number,
                fields={"their_number": [str(_("Not a phone number."))]},
            )
        data["their_number"] = normalized
        if not data.get("identity"):
            data["identity"] = identity_by_phone(number=normalized)


@transaction.atomic
def call_log(
    *, actor: Any, values: dict[str, Any], custom: dict[str, Any] | None = None, external_id: str | None = None
) -> Call:
    """Record a call; the identity is found from the number when not given. With an
    external id (telephony's call id) logging the same call twice returns the first."""
    if external_id:
        existing = Call.all_objects.filter(external_id=external_id).first()
        if existing:
            # the same call logged again; someone else's call is not revealed
            if existing.deleted_at is None and call_scope(actor, Call.objects.filter(pk=existing.pk)).exists():
                return existing
            raise ActivityError(ActivityErrorCode.EXTERNAL_ID_TAKEN)
    data = {k: v for k, v in values.items() if k in CALL_FIELDS}
    data.setdefault("user", actor)
    data.setdefault("started_at", timezone.now())
    _normalize_call(data)
    identity = data.get("identity")
    if identity is not None and not _identity_ids(actor, [identity.pk]):
        data["identity"] = None  # a number's owner the actor may not see stays unnamed
    call = Call(created_by=actor, external_id=external_id, **data)
    if custom is not None:
        custom_values_apply(obj=call, data=custom)
    clean_or_raise(call, exclude=["custom"])
    try:
        with transaction.atomic():
            tracked_create(obj=call, actor=actor)
    except IntegrityError as exc:
        raise ActivityError(ActivityErrorCode.EXTERNAL_ID_TAKEN) from exc
    _call_history(call, actor)
    return call


def _require_owner(actor: Any, obj: Any, all_perm: str) -> None:
    if not (actor.is_superuser or obj.created_by_id == actor.pk or actor.has_perm(all_perm)):
        raise ActivityError(ActivityErrorCode.NOT_ALLOWED)


@transaction.atomic
def call_update(*, actor: Any, call: Call, values: dict[str, Any], custom: dict[str, Any] | None = None) -> Call:
    if not (actor.is_superuser or actor.pk in (call.created_by_id, call.user_id)):
        raise ActivityError(ActivityErrorCode.NOT_ALLOWED)
    require_window(actor, "change", call)
    data = {k: v for k, v in values.items() if k in CALL_FIELDS}
    if "their_number" in data:
        _normalize_call(data)
    if custom is not None:
        data["custom"] = _custom_changed(call, custom)
    tracked_update(obj=call, actor=actor, **data)
    _call_history(call, actor)
    return call


@transaction.atomic
def call_attach_recording(*, actor: Any, call: Call, upload: UploadedFile) -> Attachment:
    attachment = attachment_add(actor=actor, item_type=CALL, item_id=call.pk, upload=upload)
    call.recording = attachment
    call.save(update_fields=["recording"])
    return attachment


@transaction.atomic
def call_delete(*, actor: Any, call: Call) -> None:
    _require_owner(actor, call, "activities.delete_call")
    require_window(actor, "delete", call)
    soft_delete(obj=call, actor=actor)
    timeline_hide(item_type=CALL, item_id=call.pk)


def _linked_history(item_type: str, obj: Any, actor: Any, summary: str) -> None:
    timeline_record(
        identity_ids=list(obj.identities.values_list("pk", flat=True)),
        item_type=item_type,
        item_id=obj.pk,
        occurred_at=obj.created_at,
        summary=summary,
        actor=obj.created_by or actor,
    )


@transaction.atomic
def note_create(
    *, actor: Any, title: str, body: str = "", identity_ids: Iterable[int] = (), custom: dict[str, Any] | None = None
) -> Note:
    note = Note(created_by=actor, title=title.strip(), body=sanitize_html(body))
    if custom is not None:
        custom_values_apply(obj=note, data=custom)
    clean_or_raise(note, exclude=["custom"])
    tracked_create(obj=note, actor=actor)
    note.identities.set(_identity_ids(actor, identity_ids))
    _linked_history(NOTE, note, actor, note.title)
    return note


@transaction.atomic
def note_update(
    *,
    actor: Any,
    note: Note,
    title: str,
    body: str,
    identity_ids: Iterable[int] | None = None,
    custom: dict[str, Any] | None = None,
) -> Note:
    _require_owner(actor, note, "activities.change_note")
    require_window(actor, "change", note)
    data: dict[str, Any] = {"title": title.strip(), "body": sanitize_html(body)}
    if custom is not None:
        data["custom"] = _custom_changed(note, custom)
    tracked_update(obj=note, actor=actor, **data)
    if identity_ids is not None:
        note.identities.set(_identity_ids(actor, identity_ids, note.identities.values_list("pk", flat=True)))
    _linked_history(NOTE, note, actor, note.title)
    return note


@transaction.atomic
def note_delete(*, actor: Any, note: Note) -> None:
    _require_owner(actor, note, "activities.delete_note")
    require_window(actor, "delete", note)
    soft_delete(obj=note, actor=actor)
    timeline_hide(item_type=NOTE, item_id=note.pk)


@transaction.atomic
def document_create(
    *,
    actor: Any,
    title: str,
    upload: UploadedFile | None,
    description: str = "",
    identity_ids: Iterable[int] = (),
    custom: dict[str, Any] | None = None,
) -> Document:
    """A file as a CRM item: the upload is checked (type, size) and kept as version 1."""
    if upload is None:
        raise ActivityError(
            ActivityErrorCode.NO_FILE, fields={"upload": [str(ActivityError.messages[ActivityErrorCode.NO_FILE])]}
        )
    document = Document(created_by=actor, title=(title or upload.name or "").strip()[:250], description=description)
    if custom is not None:
        custom_values_apply(obj=document, data=custom)
    clean_or_raise(document, exclude=["custom"])
    tracked_create(obj=document, actor=actor)
    document.identities.set(_identity_ids(actor, identity_ids))
    _linked_history(DOCUMENT, document, actor, document.title)
    attachment_add(actor=actor, item_type=DOCUMENT, item_id=document.pk, upload=upload, name=document.title)
    return document


@transaction.atomic
def document_update(
    *,
    actor: Any,
    document: Document,
    title: str,
    description: str = "",
    identity_ids: Iterable[int] | None = None,
    custom: dict[str, Any] | None = None,
) -> Document:
    _require_owner(actor, document, "activities.change_document")
    require_window(actor, "change", document)
    data: dict[str, Any] = {"title": title.strip()[:250], "description": description}
    if custom is not None:
        data["custom"] = _custom_changed(document, custom)
    tracked_update(obj=document, actor=actor, **data)
    if identity_ids is not None:
        document.identities.set(_identity_ids(actor, identity_ids, document.identities.values_list("pk", flat=True)))
    _linked_history(DOCUMENT, document, actor, document.title)
    return document


def document_file(document: Document) -> Attachment | None:
    return (
        Attachment.objects.filter(item_type=DOCUMENT, item_id=str(document.pk), deleted_at__isnull=True)
        .order_by("id")
        .first()
    )


@transaction.atomic
def document_new_version(*, actor: Any, document: Document, upload: UploadedFile) -> Attachment:
    _require_owner(actor, document, "activities.change_document")
    attachment = document_file(document)
    if attachment is None:
        return attachment_add(actor=actor, item_type=DOCUMENT, item_id=document.pk, upload=upload, name=document.title)
    attachment_new_version(actor=actor, attachment=attachment, upload=upload)
    return attachment


@transaction.atomic
def document_delete(*, actor: Any, document: Document) -> None:
    _require_owner(actor, document, "activities.delete_document")
    require_window(actor, "delete", document)
    soft_delete(obj=document, actor=actor)
    timeline_hide(item_type=DOCUMENT, item_id=document.pk)


# --- work reports (AC-11) ----------------------------------------------------------------------


@transaction.atomic
def work_report_save(
    *,
    actor: Any,
    values: dict[str, Any],
    lines: list[dict[str, Any]],
    report: WorkReport | None = None,
    submit: bool = False,
) -> WorkReport:
    """Write or rewrite one's report; lines about an identity land in its history."""
    if report is None:
        report = WorkReport(user=actor, created_by=actor, **values)
    else:
        if report.user_id != actor.pk:
            raise ActivityError(ActivityErrorCode.NOT_ALLOWED)
        if report.submitted_at:
            raise ActivityError(ActivityErrorCode.REPORT_SUBMITTED)
        for key, value in values.items():
            setattr(report, key, value)
    if report.period == WorkReport.Period.DAILY and report.date_from and not report.date_to:
        report.date_to = report.date_from
    if report.date_from and report.date_to and report.date_to < report.date_from:
        raise ActivityError(
            ActivityErrorCode.INVALID, fields={"date_to": [str(_("The end must not be before the start."))]}
        )
    clean_or_raise(report, exclude=["user"])
    clash = WorkReport.objects.filter(user=report.user_id, period=report.period, date_from=report.date_from)
    if clash.exclude(pk=report.pk).exists():
        raise ActivityError(
            ActivityErrorCode.REPORT_EXISTS,
            fields={"date_from": [str(_("You already have a report for this period."))]},
        )
    if report.pk is None:
        tracked_create(obj=report, actor=actor)
    else:
        fresh = WorkReport.objects.get(pk=report.pk)
        tracked_update(obj=fresh, actor=actor, **{**values, "date_to": report.date_to})
        report = fresh
    old_ids = list(report.lines.values_list("pk", flat=True))
    for pk in old_ids:
        timeline_hide(item_type=REPORT_LINE, item_id=pk)
    report.lines.all().delete()
    at = timezone.make_aware(dt.datetime.combine(report.date_to, dt.time(18, 0)))
    for line in lines:
        text = (line.get("text") or "").strip()
        if not text:
            continue
        row = WorkReportLine.objects.create(
            report=report,
            identity_id=line.get("identity_id") or None,
            text=text[:500],
            minutes=line.get("minutes") or None,
        )
        if row.identity_id:
            timeline_record(
                identity_ids=[row.identity_id],
                item_type=REPORT_LINE,
                item_id=row.pk,
                occurred_at=at,
                summary=row.text,
                actor=actor,
            )
    if submit:
        report.submitted_at = timezone.now()
        report.save(update_fields=["submitted_at"])
        audit_record(actor=actor, target=report, action="workreport.submitted")
    return report


def calendar_feed_token(*, user: Any, regenerate: bool = False) -> str:
    """The user's secret feed token; regenerating it cuts off every old subscription."""
    import secrets

    from crm.activities.models import CalendarFeed

    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        feed = CalendarFeed.objects.create(user=user, token=secrets.token_urlsafe(32))
    elif regenerate:
        feed.token = secrets.token_urlsafe(32)
        feed.save(update_fields=["token"])
        audit_record(actor=user, target=feed, action="calendarfeed.regenerated")
    return feed.token


@transaction.atomic
def work_report_submit(*, actor: Any, report: WorkReport) -> WorkReport:
    """Hand in a report as it stands; afterwards it no longer changes."""
    if report.user_id != actor.pk:
        raise ActivityError(ActivityErrorCode.NOT_ALLOWED)
    if report.submitted_at:
        raise ActivityError(ActivityErrorCode.REPORT_SUBMITTED)
    report.submitted_at = timezone.now()
    report.save(update_fields=["submitted_at"])
    audit_record(actor=actor, target=report, action="workreport.submitted")
    return report
