"""The office's daily items (AC-1 … AC-12): appointments in calendars, meeting rooms,
tasks with their referral chain and simple workflows, phone calls, notes, files and work
reports. Follow-ups, comments, attachments and the identity histories come from
`crm.core` (items and timeline); these tables hold only what is particular to each."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.base_models import OwnedModel, SoftDeleteModel, TimeStampedModel
from crm.core.customfields.models import HasCustomFields

USER = settings.AUTH_USER_MODEL
# one occurrence of an appointment lasts at most this long: calendars and free/busy then
# look for one-off appointments only among those starting within this much before a window
MAX_MEETING_LENGTH = dt.timedelta(days=31)


class Room(TimeStampedModel):
    """A meeting room: booked by appointments, checked for free/busy like a person."""

    name = models.CharField(_("name"), max_length=150)
    location = models.CharField(_("location"), max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("meeting room")
        verbose_name_plural = _("meeting rooms")

    def __str__(self) -> str:
        return self.name


class Calendar(TimeStampedModel, OwnedModel):
    """A calendar (AC-2): managers', staff, occasions or someone's own. Read and write
    access is given per calendar to users, positions or whole departments."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Personal")
        MANAGERS = "managers", _("Managers")
        STAFF = "staff", _("Staff")
        OCCASIONS = "occasions", _("Occasions")
        SHARED = "shared", _("Shared")

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.SHARED)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.CASCADE, related_name="calendars", verbose_name=_("owner")
    )
    colour = models.CharField(_("colour"), max_length=7, default="#0d6efd")
    public_to_staff = models.BooleanField(_("every staff member may read it"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")
        permissions = [("manage_calendars", _("Can manage all calendars and rooms"))]

    def __str__(self) -> str:
        return self.name


class CalendarAccess(models.Model):
    class Level(models.TextChoices):
        READ = "read", _("read")
        WRITE = "write", _("read and write")

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="access")
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    position = models.ForeignKey("org.Position", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("access"), max_length=5, choices=Level.choices, default=Level.READ)

    class Meta:
        verbose_name = _("calendar access")
        verbose_name_plural = _("calendar access")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, position__isnull=True, department__isnull=True)
                    | Q(user__isnull=True, position__isnull=False, department__isnull=True)
                    | Q(user__isnull=True, position__isnull=True, department__isnull=False)
                ),
                name="calendar_access_one_grantee",
            )
        ]
        indexes = [models.Index(fields=["user"], name="calendar_access_user_idx")]

    def __str__(self) -> str:
        return f"{self.calendar_id}:{self.level}"


class Meeting(TimeStampedModel, SoftDeleteModel, OwnedModel, HasCustomFields):
    """An appointment in a calendar (AC-1). Called Meeting in code so it is not confused
    with the org context's appointment of a user to a position."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        DONE = "done", pgettext_lazy("meeting", "held")
        CANCELLED = "cancelled", pgettext_lazy("meeting", "cancelled")

    class Repeat(models.TextChoices):
        NONE = "", _("does not repeat")
        DAILY = "DAILY", _("every day")
        WEEKLY = "WEEKLY", _("every week")
        MONTHLY = "MONTHLY", _("every month")
        YEARLY = "YEARLY", _("every year")

    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("calendar")
    )
    subject = models.CharField(_("subject"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    start = models.DateTimeField(_("starts"))
    end = models.DateTimeField(_("ends"))
    all_day = models.BooleanField(_("all day"), default=False)
    place = models.CharField(_("place"), max_length=250, blank=True)
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("meeting room")
    )
    organiser = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("organiser"))
    attendees = models.ManyToManyField(
        USER, through="MeetingAttendee", related_name="meetings", blank=True, verbose_name=_("attendees")
    )
    identities = models.ManyToManyField(
        "identities.Identity", through="MeetingIdentity", related_name="meetings", blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    repeat = models.CharField(_("repeats"), max_length=8, choices=Repeat.choices, blank=True, default="")
    repeat_interval = models.PositiveSmallIntegerField(_("every"), default=1)
    repeat_until = models.DateField(_("repeat until"), null=True, blank=True)
    remind_minutes = models.PositiveIntegerField(_("remind attendees (minutes before)"), null=True, blank=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = pgettext_lazy("meeting", "appointment")
        verbose_name_plural = pgettext_lazy("meeting", "appointments")
        indexes = [
            models.Index(fields=["calendar", "start"], name="meeting_calendar_start_idx"),
            models.Index(fields=["room", "start"], name="meeting_room_start_idx"),
            models.Index(fields=["organiser", "start"], name="meeting_organiser_idx"),
            models.Index(fields=["start"], name="meeting_start_idx"),
            models.Index(fields=["start"], condition=~Q(repeat=""), name="meeting_repeating_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="meeting_ends_after_start")]

    def __str__(self) -> str:
        return self.subject

    @property
    def recurring(self) -> bool:
        return bool(self.repeat)


class MeetingAttendee(models.Model):
    class Response(models.TextChoices):
        INVITED = "invited", _("invited")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        TENTATIVE = "tentative", _("maybe")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendee_rows")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="meeting_invitations")
    response = models.CharField(_("response"), max_length=10, choices=Response.choices, default=Response.INVITED)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="meeting_attendee_unique")]
        indexes = [models.Index(fields=["user", "meeting"], name="meeting_attendee_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.meeting_id}"


class MeetingIdentity(models.Model):
    """An identity linked to the appointment; `invited` ones are attendees (a customer)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="identity_rows")
    identity = models.ForeignKey("identities.Identity", on_delete=models.CASCADE, related_name="+")
    invited = models.BooleanField(_("invited"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "identity"], name="meeting_identity_unique")]

    def __str__(self) -> str:
        return f"{self.identity_id}@{self.meeting_id}"


class TaskType(TimeStampedModel):
    """A kind of task; with steps, a simple workflow (AC-12): done by one assignee, it
    opens for the next."""

    name = models.CharField(_("name"), max_length=150)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("task type")
        verbose_name_plural = _("task types")

    def __str__(self) -> str:
        return self.name


class TaskTypeStep(models.Model):
    task_type = models.ForeignKey(TaskType, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("step"), max_length=150)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    position = models.ForeignKey("org.Position", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["task_type", "order"]
        constraints = [
            models.UniqueConstraint(fields=["task_type", "order"], name="task_type_step_unique"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(position__isnull=False), name="task_type_step_assignee"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Task(TimeStampedModel, SoftDeleteModel, OwnedModel, HasCustomFields):
    class Priority(models.IntegerChoices):
        LOW = 1, _("low")
        NORMAL = 2, _("normal")
        HIGH = 3, _("high")
        URGENT = 4, _("urgent")

    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    task_type = models.ForeignKey(
        TaskType, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("task type")
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    # from the "task_status" list: system entries open/in_progress/done/cancelled, more by admins
    status = models.ForeignKey(
        "core.DictionaryEntry", on_delete=models.PROTECT, related_name="+", verbose_name=_("status")
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    identities = models.ManyToManyField("identities.Identity", related_name="crm_tasks", blank=True)
    is_announcement = models.BooleanField(_("announcement"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        permissions = [
            ("view_all_task", _("Can view tasks of others")),
            ("change_all_task", _("Can change tasks of others")),
            ("delete_all_task", _("Can delete tasks of others")),
            ("announce", _("Can send announcements to staff")),
        ]
        indexes = [models.Index(fields=["due_at"], name="task_due_idx")]

    def __str__(self) -> str:
        return self.title


class TaskAssignee(models.Model):
    """One person's share of a task: their cartable row. `position` says through which
    post it came to them (a task sent to a position reaches whoever holds it)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting for an earlier step")
        OPEN = "open", _("to do")
        REFERRED = "referred", _("referred on")
        DONE = "done", _("done")
        CANCELLED = "cancelled", pgettext_lazy("task", "cancelled")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignees")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="task_rows")
    position = models.ForeignKey("org.Position", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # the open row carries the task's due time and priority so a cartable page is one index scan
    due_at = models.DateTimeField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=2)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["user", "state", "-received_at", "-id"], name="task_cartable_idx"),
            models.Index(fields=["user", "state", "due_at"], name="task_overdue_idx"),
            models.Index(fields=["task", "step"], name="task_assignee_step_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}→{self.user_id}"


class TaskReferral(models.Model):
    """One link of the referral chain: who handed the task to whom, when, with what note."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="referrals")
    from_user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["from_user", "-at"], name="task_referral_from_idx")]

    def __str__(self) -> str:
        return f"{self.from_user_id}→{self.to_user_id}"


class Call(TimeStampedModel, SoftDeleteModel, OwnedModel, HasCustomFields):
    """A phone call record (AC-4); telephony fills the same rows later."""

    class Direction(models.TextChoices):
        INCOMING = "in", _("incoming")
        OUTGOING = "out", _("outgoing")

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    identity = models.ForeignKey(
        "identities.Identity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_calls",
        verbose_name=_("identity"),
    )
    their_number = models.CharField(_("their number"), max_length=20, blank=True)
    our_number = models.CharField(_("our number / extension"), max_length=20, blank=True)
    started_at = models.DateTimeField(_("time"))
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("handled by")
    )
    subject = models.CharField(_("subject"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    # the recording, when telephony provides one: an attachment on this call
    recording = models.ForeignKey("core.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("phone call")
        verbose_name_plural = _("phone calls")
        permissions = [("view_all_call", _("Can view calls of others"))]
        indexes = [models.Index(fields=["user", "-started_at"], name="call_user_idx")]

    def __str__(self) -> str:
        return self.subject or self.their_number


class Note(TimeStampedModel, SoftDeleteModel, OwnedModel, HasCustomFields):
    title = models.CharField(_("title"), max_length=250)
    body = models.TextField(_("text"), blank=True)  # sanitised HTML (nh3)
    identities = models.ManyToManyField("identities.Identity", related_name="crm_notes", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        permissions = [("view_all_note", _("Can view notes of others"))]

    def __str__(self) -> str:
        return self.title


class Document(TimeStampedModel, SoftDeleteModel, OwnedModel, HasCustomFields):
    """A file as a CRM item (AC-6): its versions are the core attachment's versions."""

    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    identities = models.ManyToManyField("identities.Identity", related_name="crm_documents", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("file")
        verbose_name_plural = _("files")
        permissions = [("view_all_document", _("Can view files of others"))]

    def __str__(self) -> str:
        return self.title


class WorkReport(TimeStampedModel, OwnedModel):
    class Period(models.TextChoices):
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")

    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="work_reports", verbose_name=_("staff"))
    period = models.CharField(_("period"), max_length=6, choices=Period.choices, default=Period.DAILY)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("until"))
    summary = models.TextField(_("summary"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["-date_from", "-id"]
        verbose_name = _("work report")
        verbose_name_plural = _("work reports")
        permissions = [("view_department_workreport", _("Can view the work reports of one's departments"))]
        constraints = [
            models.UniqueConstraint(fields=["user", "period", "date_from"], name="work_report_unique"),
            models.CheckConstraint(condition=Q(date_to__gte=F("date_from")), name="work_report_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date_from}"


class WorkReportLine(models.Model):
    report = models.ForeignKey(WorkReport, on_delete=models.CASCADE, related_name="lines")
    identity = models.ForeignKey(
        "identities.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(_("what was done"), max_length=500)
    minutes = models.PositiveIntegerField(_("minutes"), null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:60]


class CalendarFeed(models.Model):
    """The secret address of a user's iCalendar feed (calendar programs subscribe to it)."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"feed of {self.user_id}"
