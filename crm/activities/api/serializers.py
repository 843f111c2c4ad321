"""Input and output of the CRM items API. Inputs validate at the edge (ids must name rows
the caller may use, times are bounded, text is clean); the services keep the business
rules (free/busy, calendar write access, who may refer or close a task)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.activities import selectors
from crm.activities.models import (
    Calendar,
    Call,
    Document,
    Meeting,
    MeetingAttendee,
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
from crm.core.api.item_serializers import (
    AttachmentOutput,
    BoundedDateField,
    BoundedDateTimeField,
    CustomValuesField,
    CustomValuesJsonField,
    IdsField,
    UserBriefOutput,
    hide_fields,
    id_list,
    row_pk,
    text,
)
from crm.core.dictionaries.models import DictionaryEntry
from crm.identities.models import Identity
from crm.identities.selectors import identity_base_for_user
from crm.org.models import Position

MAX_WINDOW_DAYS = 400
_User = get_user_model()


def _active_users() -> Any:
    return get_user_model().objects.filter(is_active=True)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise serializers.ValidationError(_("This field may not be blank."))
    return value.strip()


class UserScopedInput(serializers.Serializer):
    """An input whose ids are checked against what the caller may use; `user` is None
    only for the schema generator."""

    identity_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user is None:
            return
        for name in self.identity_fields:  # a single id or a list: both take the queryset
            self.fields[name].queryset = identity_base_for_user(user=user)
        self.scope(user)

    def scope(self, user: Any) -> None:
        """Querysets of the other id fields."""


# --- shared outputs ----------------------------------------------------------------------


class IdentityRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class RoomRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def visible_identities(context: dict[str, Any], identities: Any) -> list[dict[str, Any]]:
    """Identities the caller may see (context `identity_ids`); others are left out."""
    allowed = context.get("identity_ids", set())
    return [{"id": i.pk, "display_name": i.display_name} for i in identities if i.pk in allowed]


class CustomOutputMixin(serializers.Serializer):
    """Leaves out fields and custom values a field access rule hides (context `hidden`)."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return hide_fields(super().to_representation(instance), self.context.get("hidden", set()))


# --- calendars, rooms, appointments -------------------------------------------------------


class CalendarOutput(serializers.ModelSerializer):
    can_write = serializers.SerializerMethodField(help_text="you may add appointments to it")

    class Meta:
        model = Calendar
        fields = ["id", "name", "kind", "owner", "colour", "public_to_staff", "active", "can_write"]

    def get_can_write(self, obj: Calendar) -> bool:
        return obj.pk in self.context.get("writable", set())


class CalendarQuery(serializers.Serializer):
    writable = serializers.BooleanField(required=False, default=False, help_text="true: only those you may write")


class RoomOutput(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "name", "location", "capacity", "active"]


class MeetingBriefOutput(serializers.ModelSerializer):
    room = RoomRefOutput(allow_null=True)
    organiser = UserBriefOutput()
    recurring = serializers.BooleanField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "calendar",
            "subject",
            "start",
            "end",
            "all_day",
            "place",
            "room",
            "organiser",
            "status",
            "recurring",
        ]


class OccurrenceOutput(serializers.Serializer):
    key = serializers.CharField(help_text="appointment id and this occurrence's start")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    meeting = MeetingBriefOutput(help_text="the appointment (for a repeating one, its first occurrence)")


class AttendeeOutput(serializers.ModelSerializer):
    user = UserBriefOutput()

    class Meta:
        model = MeetingAttendee
        fields = ["user", "response"]


class MeetingOutput(CustomOutputMixin, serializers.ModelSerializer):
    room = RoomRefOutput(allow_null=True)
    organiser = UserBriefOutput()
    attendees = AttendeeOutput(many=True, source="attendee_rows")
    identities = serializers.SerializerMethodField(help_text="linked identities you may see")
    invited_identities = serializers.SerializerMethodField(help_text="the linked identities invited (customers)")
    can_write = serializers.SerializerMethodField()
    custom = serializers.DictField(required=False)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "calendar",
            "subject",
            "description",
            "start",
            "end",
            "all_day",
            "place",
            "room",
            "organiser",
            "attendees",
            "identities",
            "invited_identities",
            "status",
            "repeat",
            "repeat_interval",
            "repeat_until",
            "remind_minutes",
            "custom",
            "can_write",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(IdentityRefOutput(many=True))
    def get_identities(self, obj: Meeting) -> list[dict[str, Any]]:
        return visible_identities(self.context, [row.identity for row in obj.identity_rows.all()])

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_invited_identities(self, obj: Meeting) -> list[int]:
        allowed = self.context.get("identity_ids", set())
        return [row.identity_id for row in obj.identity_rows.all() if row.invited and row.identity_id in allowed]

    def get_can_write(self, obj: Meeting) -> bool:
        return bool(self.context.get("can_write"))


class MeetingQuery(serializers.Serializer):
    since = BoundedDateTimeField(
        required=False, allow_null=True, default=None, help_text="window start; default: today 00:00"
    )
    until = BoundedDateTimeField(
        required=False, allow_null=True, default=None, help_text="window end; default: 7 days after the start"
    )
    calendar = id_list("calendar ids (repeat for several)")
    user = id_list("organiser or attendee user ids (repeat for several)")
    room = id_list("room ids (repeat for several)")
    place = text(100, default="", help_text="part of the place or the room's name")
    include_cancelled = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and until <= since:
            raise serializers.ValidationError({"until": [_("The end must be after the start.")]})
        if since and until and until - since > dt.timedelta(days=MAX_WINDOW_DAYS):
            raise serializers.ValidationError({"until": [_("Ask for at most 400 days at a time.")]})
        return attrs


class MeetingCartableQuery(serializers.Serializer):
    box = serializers.ChoiceField(
        choices=["upcoming", "invitations", "organised", "past"], required=False, default="upcoming"
    )


class MeetingInput(UserScopedInput):
    """POST (subject, start and end required), PUT (the same; other keys left out keep
    their value) and PATCH (any subset). Lists that are given replace the stored ones."""

    identity_fields = ("identities", "invited_identities")

    calendar = row_pk(Calendar, help_text="a calendar you may write; left out on creation: your own calendar")
    subject = serializers.CharField(max_length=250, validators=[_not_blank])
    description = text(10000)
    start = BoundedDateTimeField()
    end = BoundedDateTimeField()
    all_day = serializers.BooleanField(required=False)
    place = text(250)
    room = row_pk(Room, help_text="a meeting room in use; it must be free")
    status = serializers.ChoiceField(choices=Meeting.Status.choices, required=False)
    repeat = serializers.ChoiceField(choices=Meeting.Repeat.choices, required=False, allow_blank=True)
    repeat_interval = serializers.IntegerField(min_value=1, max_value=365, required=False)
    repeat_until = BoundedDateField(required=False, allow_null=True)
    remind_minutes = serializers.IntegerField(
        min_value=0, max_value=40320, required=False, allow_null=True, help_text="remind attendees this early"
    )
    attendees = IdsField(help_text="user ids of the attendees (the organiser is always in)")
    identities = IdsField(help_text="linked identities")
    invited_identities = IdsField(help_text="linked identities who attend (customers)")
    custom = CustomValuesField()
    allow_busy_people = serializers.BooleanField(
        required=False, default=False, help_text="book even when attendees are busy (a busy room always refuses)"
    )

    def scope(self, user: Any) -> None:
        self.fields["calendar"].queryset = selectors.calendar_list_for_user(user=user)
        self.fields["room"].queryset = selectors.room_list()
        self.fields["attendees"].queryset = _active_users()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.context.get("meeting")
        start = attrs.get("start", getattr(instance, "start", None))
        end = attrs.get("end", getattr(instance, "end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"end": [_("The end must be after the start.")]})
        return attrs

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        people = {
            "attendee_ids": data.pop("attendees", None),
            "identity_ids": data.pop("identities", None),
            "invited_identity_ids": data.pop("invited_identities", None),
        }
        extra = {"custom": data.pop("custom", None), "allow_busy_people": data.pop("allow_busy_people", False)}
        return {"values": data, **{k: v for k, v in people.items() if v is not None}, **extra}


class MeetingRespondInput(serializers.Serializer):
    response = serializers.ChoiceField(
        choices=[c for c in MeetingAttendee.Response.choices if c[0] != MeetingAttendee.Response.INVITED]
    )


class FreeBusyQuery(serializers.Serializer):
    start = BoundedDateTimeField()
    end = BoundedDateTimeField()
    users = id_list("user ids to check (repeat for several)")
    room = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True, default=None)
    exclude_meeting = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="an appointment being moved: its own time does not count",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end must be after the start.")]})
        if attrs["end"] - attrs["start"] > dt.timedelta(days=31):
            raise serializers.ValidationError({"end": [_("Ask for at most 31 days at a time.")]})
        if not attrs.get("users") and not attrs.get("room"):
            raise serializers.ValidationError({"users": [_("Name people or a room to check.")]})
        return attrs


class ConflictOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "room"])
    user = UserBriefOutput(allow_null=True, help_text="the busy person (kind user)")
    room = RoomRefOutput(allow_null=True, help_text="the booked room (kind room)")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    meeting = serializers.IntegerField(allow_null=True, help_text="the appointment, when you may see it")
    subject = serializers.CharField(allow_null=True, help_text="its subject, when you may see it")


class FreeBusyOutput(serializers.Serializer):
    free = serializers.BooleanField()
    conflicts = ConflictOutput(many=True)


# --- tasks ---------------------------------------------------------------------------------


class StatusRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()


class TaskStatusOutput(serializers.ModelSerializer):
    label = serializers.CharField()

    class Meta:
        model = DictionaryEntry
        fields = ["id", "code", "label", "labels", "is_system", "position", "active"]


class TaskTypeStepOutput(serializers.ModelSerializer):
    class Meta:
        model = TaskTypeStep
        fields = ["order", "title", "user", "position"]


class TaskTypeOutput(serializers.ModelSerializer):
    steps = TaskTypeStepOutput(many=True)

    class Meta:
        model = TaskType
        fields = ["id", "name", "active", "steps"]


class CartableRowOutput(serializers.ModelSerializer):
    class Meta:
        model = TaskAssignee
        fields = ["state", "position", "step", "received_at", "done_at"]


class TaskBriefOutput(CustomOutputMixin, serializers.ModelSerializer):
    status = StatusRefOutput()
    created_by = UserBriefOutput(allow_null=True)
    row = serializers.SerializerMethodField(help_text="your cartable row (boxes received, referred, done, overdue)")

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "priority",
            "status",
            "due_at",
            "closed_at",
            "task_type",
            "is_announcement",
            "created_by",
            "created_at",
            "row",
        ]

    @extend_schema_field(CartableRowOutput(allow_null=True))
    def get_row(self, obj: Task) -> dict[str, Any] | None:
        row = getattr(obj, "cartable_row", None)
        return CartableRowOutput(row).data if row is not None else None


class AssigneeOutput(serializers.ModelSerializer):
    user = UserBriefOutput()

    class Meta:
        model = TaskAssignee
        fields = ["user", "position", "state", "step", "received_at", "done_at"]


class ReferralOutput(serializers.ModelSerializer):
    from_user = UserBriefOutput()
    to_user = UserBriefOutput()

    class Meta:
        model = TaskReferral
        fields = ["from_user", "to_user", "note", "at"]


class TaskOutput(TaskBriefOutput):
    identities = serializers.SerializerMethodField(help_text="linked identities you may see")
    assignees = AssigneeOutput(many=True, help_text="everyone the task reached, by step")
    referrals = ReferralOutput(many=True, help_text="the referral chain, oldest first")
    custom = serializers.DictField(required=False)

    class Meta(TaskBriefOutput.Meta):
        fields = [
            *[f for f in TaskBriefOutput.Meta.fields if f != "row"],
            "description",
            "identities",
            "assignees",
            "referrals",
            "custom",
            "updated_at",
        ]

    @extend_schema_field(IdentityRefOutput(many=True))
    def get_identities(self, obj: Task) -> list[dict[str, Any]]:
        return visible_identities(self.context, obj.identities.all())


class TaskQuery(serializers.Serializer):
    box = serializers.ChoiceField(
        choices=["", *selectors.CARTABLE_BOXES],
        required=False,
        default="",
        help_text="a cartable box; left out: every task you may see, newest first",
    )


class TaskInput(UserScopedInput):
    identity_fields = ("identity_ids",)

    title = serializers.CharField(max_length=250, validators=[_not_blank])
    description = text(10000)
    priority = serializers.ChoiceField(choices=Task.Priority.choices, required=False)
    status = row_pk(DictionaryEntry, help_text="a task status id; default: open")
    due_at = BoundedDateTimeField(required=False, allow_null=True)
    task_type = row_pk(TaskType, help_text="a task type: its steps decide the assignees")
    user_ids = IdsField(help_text="users to give it to; none and no position: yourself")
    position_ids = IdsField(help_text="positions: whoever holds them today gets it")
    identity_ids = IdsField(help_text="identities it is about")
    custom = CustomValuesField()

    def scope(self, user: Any) -> None:
        self.fields["status"].queryset = selectors.task_statuses()
        self.fields["task_type"].queryset = selectors.task_types()
        self.fields["user_ids"].queryset = _active_users()
        self.fields["position_ids"].queryset = Position.objects.filter(active=True)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        return {
            "user_ids": data.pop("user_ids", []),
            "position_ids": data.pop("position_ids", []),
            "identity_ids": data.pop("identity_ids", []),
            "custom": data.pop("custom", None),
            "values": {k: v for k, v in data.items() if v is not None or k == "due_at"},
        }


class TaskUpdateInput(UserScopedInput):
    """PUT (title required) or PATCH; assignees change by referring, not here."""

    identity_fields = ("identity_ids",)

    title = serializers.CharField(max_length=250, validators=[_not_blank])
    description = text(10000)
    priority = serializers.ChoiceField(choices=Task.Priority.choices, required=False)
    status = row_pk(DictionaryEntry, allow_null=False, help_text="a task status id; a closed one closes the task")
    due_at = BoundedDateTimeField(required=False, allow_null=True)
    identity_ids = IdsField(help_text="identities it is about (replaces the list)")
    custom = CustomValuesField()

    def scope(self, user: Any) -> None:
        self.fields["status"].queryset = selectors.task_statuses()

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        return {"identity_ids": data.pop("identity_ids", None), "custom": data.pop("custom", None), "values": data}


class TaskReferInput(serializers.Serializer):
    to_user = row_pk(_User, required=True, allow_null=False, help_text="who takes over your share")
    note = text(500, default="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = _active_users()


class TaskDoneInput(serializers.Serializer):
    note = text(2000, default="")


# --- calls, notes, files ---------------------------------------------------------------------


class CallOutput(CustomOutputMixin, serializers.ModelSerializer):
    identity = serializers.SerializerMethodField(help_text="the caller or callee, when you may see them")
    user = UserBriefOutput(allow_null=True, help_text="who handled it")
    recording = serializers.SerializerMethodField(help_text="public id of the recording attachment")
    custom = serializers.DictField(required=False)

    class Meta:
        model = Call
        fields = [
            "id",
            "direction",
            "identity",
            "their_number",
            "our_number",
            "started_at",
            "duration_seconds",
            "user",
            "subject",
            "description",
            "recording",
            "external_id",
            "custom",
            "created_by",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(IdentityRefOutput(allow_null=True))
    def get_identity(self, obj: Call) -> dict[str, Any] | None:
        if obj.identity_id is None:
            return None
        found = visible_identities(self.context, [obj.identity])
        return found[0] if found else None

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_recording(self, obj: Call) -> str | None:
        return str(obj.recording.public_id) if obj.recording_id and obj.recording else None


class CallQuery(serializers.Serializer):
    identity = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None, help_text="one identity's"
    )


class CallInput(UserScopedInput):
    """POST (direction required), PUT (the same) or PATCH."""

    identity_fields = ("identity",)

    direction = serializers.ChoiceField(choices=Call.Direction.choices)
    identity = row_pk(Identity, help_text="left out: found from their number")
    their_number = text(40, help_text="any format; stored E.164")
    our_number = text(20, help_text="our number or extension")
    started_at = BoundedDateTimeField(required=False, help_text="default: now")
    duration_seconds = serializers.IntegerField(min_value=0, max_value=10**6, required=False)
    user = row_pk(_User, help_text="who handled it; default: you")
    subject = text(250)
    description = text(10000)
    custom = CustomValuesField()

    def scope(self, user: Any) -> None:
        self.fields["user"].queryset = _active_users()

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        return {"custom": data.pop("custom", None), "values": data}


class CallCreateInput(CallInput):
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        default=None,
        help_text="the telephony's call id: logging the same call again returns the first record",
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        external_id = data.pop("external_id", None) or None
        return {"custom": data.pop("custom", None), "external_id": external_id, "values": data}


class NoteOutput(CustomOutputMixin, serializers.ModelSerializer):
    created_by = UserBriefOutput(allow_null=True)
    custom = serializers.DictField(required=False)

    class Meta:
        model = Note
        fields = ["id", "title", "body", "created_by", "custom", "created_at", "updated_at"]


class NoteDetailOutput(NoteOutput):
    identities = serializers.SerializerMethodField(help_text="linked identities you may see")

    class Meta(NoteOutput.Meta):
        fields = [*NoteOutput.Meta.fields, "identities"]

    @extend_schema_field(IdentityRefOutput(many=True))
    def get_identities(self, obj: Note) -> list[dict[str, Any]]:
        return visible_identities(self.context, obj.identities.all())


class NoteInput(UserScopedInput):
    identity_fields = ("identity_ids",)

    title = serializers.CharField(max_length=250, validators=[_not_blank])
    body = text(100000, help_text="rich text (HTML); sanitised when stored")
    identity_ids = IdsField(help_text="identities it is about (replaces the list)")
    custom = CustomValuesField()


class DocumentOutput(CustomOutputMixin, serializers.ModelSerializer):
    created_by = UserBriefOutput(allow_null=True)
    custom = serializers.DictField(required=False)

    class Meta:
        model = Document
        fields = ["id", "title", "description", "created_by", "custom", "created_at", "updated_at"]


class DocumentDetailOutput(DocumentOutput):
    identities = serializers.SerializerMethodField(help_text="linked identities you may see")
    file = serializers.SerializerMethodField(help_text="the file with its versions and download addresses")

    class Meta(DocumentOutput.Meta):
        fields = [*DocumentOutput.Meta.fields, "identities", "file"]

    @extend_schema_field(IdentityRefOutput(many=True))
    def get_identities(self, obj: Document) -> list[dict[str, Any]]:
        return visible_identities(self.context, obj.identities.all())

    @extend_schema_field(AttachmentOutput(allow_null=True))
    def get_file(self, obj: Document) -> dict[str, Any] | None:
        attachment = self.context.get("file")
        return AttachmentOutput(attachment, context=self.context).data if attachment is not None else None


class DocumentInput(UserScopedInput):
    """multipart/form-data: the file and its description."""

    identity_fields = ("identity_ids",)

    upload = serializers.FileField(help_text="the file; images and PDFs must really be such")
    title = text(250, default="", help_text="default: the file name")
    description = text(10000, default="")
    identity_ids = IdsField(help_text="identities it is about")
    custom = CustomValuesJsonField()


class DocumentVersionInput(serializers.Serializer):
    upload = serializers.FileField(help_text="the new version")


# --- work reports ----------------------------------------------------------------------------


class WorkReportLineOutput(serializers.ModelSerializer):
    identity = serializers.SerializerMethodField()

    class Meta:
        model = WorkReportLine
        fields = ["id", "identity", "text", "minutes"]

    @extend_schema_field(IdentityRefOutput(allow_null=True))
    def get_identity(self, obj: WorkReportLine) -> dict[str, Any] | None:
        if obj.identity_id is None or obj.identity is None:
            return None
        found = visible_identities(self.context, [obj.identity])
        return found[0] if found else None


class WorkReportOutput(serializers.ModelSerializer):
    user = UserBriefOutput()
    lines = WorkReportLineOutput(many=True)

    class Meta:
        model = WorkReport
        fields = [
            "id",
            "user",
            "period",
            "date_from",
            "date_to",
            "summary",
            "submitted_at",
            "lines",
            "created_at",
            "updated_at",
        ]


class WorkReportQuery(serializers.Serializer):
    user = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None, help_text="one person's"
    )


class WorkReportLineInput(serializers.Serializer):
    identity = row_pk(Identity, help_text="the identity this work was about")
    text = serializers.CharField(max_length=500, validators=[_not_blank])
    minutes = serializers.IntegerField(min_value=0, max_value=10080, required=False, allow_null=True, default=None)


class WorkReportChangeInput(serializers.Serializer):
    """PUT/PATCH of a report: its period and first day are fixed once written; the rest may
    change until it is submitted. Lines that are given replace the stored ones."""

    date_to = BoundedDateField(required=False, help_text="the last day")
    summary = text(10000)
    lines = WorkReportLineInput(many=True, required=False, max_length=200)
    submit = serializers.BooleanField(required=False, default=False, help_text="submit it now (then it is final)")

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["lines"].child.fields["identity"].queryset = identity_base_for_user(user=user)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        report = self.context.get("report")
        date_from = attrs.get("date_from", getattr(report, "date_from", None))
        if attrs.get("date_to") and date_from and attrs["date_to"] < date_from:
            raise serializers.ValidationError({"date_to": [_("The end must not be before the start.")]})
        return attrs

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.validated_data.items() if k not in ("lines", "submit") and v is not None}

    def lines_for_service(self) -> list[dict[str, Any]] | None:
        lines = self.validated_data.get("lines")
        if lines is None:
            return None
        return [
            {
                "identity_id": line["identity"].pk if line.get("identity") else None,
                "text": line["text"],
                "minutes": line.get("minutes"),
            }
            for line in lines
        ]


class WorkReportInput(WorkReportChangeInput):
    """A new report: daily by default; the last day defaults to the period's end."""

    period = serializers.ChoiceField(choices=WorkReport.Period.choices, required=False, default="daily")
    date_from = BoundedDateField(help_text="the first day")
    date_to = BoundedDateField(required=False, allow_null=True, default=None, help_text="default: the period's end")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("date_to") is None:
            days = 6 if attrs["period"] == WorkReport.Period.WEEKLY else 0
            attrs["date_to"] = attrs["date_from"] + dt.timedelta(days=days)
        return super().validate(attrs)
