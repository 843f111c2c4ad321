"""REST endpoints of the CRM items (AC-1 … AC-12): calendars, rooms, appointments and
free/busy, tasks and the cartable, calls, notes, files and work reports.

Same selectors, services and access rules as the pages: an item the caller may not see is
a 404 on every path and absent from every list. Service refusals keep the one error shape;
their HTTP status follows the code (`ActivityError.statuses`): not allowed → 403, a busy person or
room and a closed task or report → 409, anything else → 400. The README beside this
module explains the choices.

One module for every item type (about 850 lines, past the ~500 of STYLE §13): each view is
short and they share the base class; split it into a package per item type when it grows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from crm.activities import selectors, services
from crm.activities.access import can_write_meeting
from crm.activities.api import serializers as s
from crm.activities.errors import ActivityErrorCode
from crm.activities.models import Call, Document, Meeting, Note, Task
from crm.core.api.customfields import custom_errors_under
from crm.core.api.params import query_params
from crm.core.api.schema import ErrorOutput
from crm.core.items.selectors import attachments_for_item
from crm.core.permissions.access import hidden_fields
from crm.identities.selectors import identity_base_for_user

Code = ActivityErrorCode
CONFLICT = OpenApiResponse(ErrorOutput, description="A conflict: the time is taken, or the item is closed.")
BUSY_DESCRIPTION = """A busy meeting room is always a **409** (`room_busy`). Busy attendees (the
organiser included) are a **409** (`busy`) unless `allow_busy_people` is true. Both messages
name who or what is busy and when; the subject of the other appointment only when you may
see it. Writing to a calendar you may only read is a **403** (`calendar_read_only`)."""


def found(obj: Any) -> Any:
    if obj is None:
        raise Http404
    return obj


def visible_identity_ids(user: Any, ids: Any) -> set[int]:
    """Which of these identities the caller may see (one query): others are left out."""
    wanted = {pk for pk in ids if pk}
    if not wanted:
        return set()
    return set(identity_base_for_user(user=user).filter(pk__in=wanted).values_list("pk", flat=True))


class ActivityApi(GenericAPIView):
    filter_backends = ()  # filters are parsed into selector arguments
    # JSON only: DRF's browsable renderer needs a `queryset` (these views read through
    # selectors) and would fail on a browser's `Accept: text/html`
    renderer_classes = [JSONRenderer]

    def identity_context(self, identity_ids: Any) -> dict[str, Any]:
        return {"identity_ids": visible_identity_ids(self.request.user, identity_ids)}


# --- calendars and rooms ---------------------------------------------------------------------


class CalendarMixin(ActivityApi):
    serializer_class = s.CalendarOutput

    def calendar_context(self) -> dict[str, Any]:
        writable = selectors.calendar_list_for_user(user=self.request.user, writable=True)
        return {"writable": set(writable.values_list("pk", flat=True))}


@extend_schema_view(get=extend_schema(parameters=[s.CalendarQuery], description="Calendars you may read."))
class CalendarListApi(mixins.ListModelMixin, CalendarMixin):
    def get(self, request: Request) -> Response:
        writable = query_params(s.CalendarQuery, request)["writable"]
        rows = selectors.calendar_list_for_user(user=request.user, writable=writable).order_by("name", "id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.CalendarOutput(page, many=True, context=self.calendar_context()).data)


class CalendarDetailApi(CalendarMixin):
    def get(self, request: Request, pk: int) -> Response:
        calendar = found(selectors.calendar_get_for_user(user=request.user, pk=pk))
        return Response(s.CalendarOutput(calendar, context=self.calendar_context()).data)


@extend_schema_view(get=extend_schema(description="Meeting rooms in use."))
class RoomListApi(mixins.ListModelMixin, ActivityApi):
    serializer_class = s.RoomOutput

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.room_list().order_by("name", "id"))
        return self.get_paginated_response(s.RoomOutput(page, many=True).data)


# --- appointments ----------------------------------------------------------------------------

MEETING_LIST_DESCRIPTION = """"My work calendar" (AC-2): the occurrences of every appointment
you may see in a time window (default: today and the next 6 days; at most 400 days), from
every calendar you may read, oldest first. A repeating appointment gives one row per
occurrence. Filter by calendar, person (organiser or attendee), room or place; repeat a
parameter for several values (`?user=3&user=5`). Cancelled ones only on request."""


class MeetingMixin(ActivityApi):
    def get_object(self) -> Meeting:
        return found(selectors.meeting_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def output(self, pk: int) -> dict[str, Any]:
        meeting = found(selectors.meeting_get_for_user(user=self.request.user, pk=pk))
        context = {
            **self.identity_context(row.identity_id for row in meeting.identity_rows.all()),
            "hidden": hidden_fields(self.request.user, Meeting),
            "can_write": can_write_meeting(self.request.user, meeting),
        }
        return s.MeetingOutput(meeting, context=context).data


@extend_schema_view(
    get=extend_schema(
        operation_id="meetings_list",
        parameters=[s.MeetingQuery],
        description=MEETING_LIST_DESCRIPTION,
    ),
    post=extend_schema(
        operation_id="meetings_create",
        request=s.MeetingInput,
        responses={201: s.MeetingOutput, 409: CONFLICT},
        description="Book an appointment (AC-1). " + BUSY_DESCRIPTION,
    ),
)
class MeetingListApi(mixins.ListModelMixin, MeetingMixin):
    serializer_class = s.OccurrenceOutput

    def get(self, request: Request) -> Response:
        params = query_params(s.MeetingQuery, request)
        since = params["since"] or timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
        until = params["until"] or since + dt.timedelta(days=7)
        if until <= since or until - since > dt.timedelta(days=s.MAX_WINDOW_DAYS):  # only `until` was given
            raise ValidationError({"until": [_("Ask for a window of up to 400 days after the start.")]})
        occurrences = selectors.work_calendar(
            user=request.user,
            since=since,
            until=until,
            calendar_ids=params.get("calendar"),
            user_ids=params.get("user"),
            room_ids=params.get("room"),
            place=params["place"].strip(),
            include_cancelled=params["include_cancelled"],
        )
        page = self.paginate_queryset(occurrences)
        rows = [{"key": o.key, "start": o.start, "end": o.end, "meeting": o.meeting} for o in page]
        return self.get_paginated_response(s.OccurrenceOutput(rows, many=True).data)

    def post(self, request: Request) -> Response:
        data = s.MeetingInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        kwargs = data.service_kwargs()
        if kwargs["values"].get("calendar") is None:
            kwargs["values"]["calendar"] = services.calendar_personal(user=request.user)
        with custom_errors_under("custom"):
            meeting = services.meeting_create(actor=request.user, **kwargs)
        return Response(self.output(meeting.pk), status=status.HTTP_201_CREATED)


class MeetingDetailApi(MeetingMixin):
    serializer_class = s.MeetingOutput

    @extend_schema(operation_id="meetings_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.output(self.get_object().pk))

    @extend_schema(
        operation_id="meetings_update",
        request=s.MeetingInput,
        responses={200: s.MeetingOutput, 409: CONFLICT},
        description="Subject, start and end are required; any other key left out keeps its "
        "value; a list that is given replaces the stored one. " + BUSY_DESCRIPTION,
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        operation_id="meetings_partial_update",
        request=s.MeetingInput,
        responses={200: s.MeetingOutput, 409: CONFLICT},
        description=BUSY_DESCRIPTION,
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    @extend_schema(operation_id="meetings_destroy", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.meeting_delete(actor=request.user, meeting=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        meeting = self.get_object()
        data = s.MeetingInput(data=request.data, partial=partial, user=request.user, context={"meeting": meeting})
        data.is_valid(raise_exception=True)
        kwargs = data.service_kwargs()
        if "calendar" in kwargs["values"] and kwargs["values"]["calendar"] is None:
            kwargs["values"].pop("calendar")
        with custom_errors_under("custom"):
            meeting = services.meeting_update(actor=request.user, meeting=meeting, **kwargs)
        return Response(self.output(meeting.pk))


class MeetingCancelApi(MeetingMixin):
    serializer_class = s.MeetingOutput

    @extend_schema(
        operation_id="meetings_cancel",
        request=None,
        responses=s.MeetingOutput,
        description="Cancel the appointment; attendees are told.",
    )
    def post(self, request: Request, pk: int) -> Response:
        meeting = services.meeting_cancel(actor=request.user, meeting=self.get_object())
        return Response(self.output(meeting.pk))


class MeetingRespondApi(MeetingMixin):
    serializer_class = s.MeetingOutput

    @extend_schema(
        operation_id="meetings_respond",
        request=s.MeetingRespondInput,
        responses=s.MeetingOutput,
        description="Answer an invitation (attendees only; others get a 403).",
    )
    def post(self, request: Request, pk: int) -> Response:
        meeting = self.get_object()
        data = s.MeetingRespondInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.meeting_respond(actor=request.user, meeting=meeting, response=data.validated_data["response"])
        return Response(self.output(meeting.pk))


@extend_schema_view(
    get=extend_schema(
        operation_id="meetings_cartable",
        parameters=[s.MeetingCartableQuery],
        description="The appointment cartable: upcoming appointments you take part in, "
        "invitations waiting for your answer, those you organise, past ones.",
    )
)
class MeetingCartableApi(mixins.ListModelMixin, ActivityApi):
    serializer_class = s.MeetingBriefOutput

    def get(self, request: Request) -> Response:
        box = query_params(s.MeetingCartableQuery, request)["box"]
        page = self.paginate_queryset(selectors.meeting_cartable(user=request.user, box=box))
        return self.get_paginated_response(s.MeetingBriefOutput(page, many=True).data)


class FreeBusyApi(ActivityApi):
    serializer_class = s.FreeBusyOutput

    @extend_schema(
        operation_id="freebusy",
        parameters=[s.FreeBusyQuery],
        responses=s.FreeBusyOutput,
        description="Free/busy of people and a room between `start` and `end` (at most 31 "
        "days), across every calendar. Each conflict says who or what is busy and when; the "
        "appointment's id and subject only when you may see it.",
    )
    def get(self, request: Request) -> Response:
        params = query_params(s.FreeBusyQuery, request)
        conflicts = selectors.busy(
            start=params["start"],
            end=params["end"],
            user_ids=params.get("users") or [],
            room_id=params["room"],
            exclude_meeting_id=params["exclude_meeting"],
        )
        ids = {c.meeting.pk for c in conflicts}
        visible = set(
            selectors.meeting_base_for_user(user=request.user).filter(pk__in=ids).values_list("pk", flat=True)
        )
        rows = [
            {
                "kind": c.kind,
                "user": c.who if c.kind == "user" else None,
                "room": c.who if c.kind == "room" else None,
                "start": c.start,
                "end": c.end,
                "meeting": c.meeting.pk if c.meeting.pk in visible else None,
                "subject": c.meeting.subject if c.meeting.pk in visible else None,
            }
            for c in sorted(conflicts, key=lambda c: (c.start, c.kind, c.who.pk))
        ]
        return Response({"free": not rows, "conflicts": s.ConflictOutput(rows, many=True).data})


# --- tasks -------------------------------------------------------------------------------------

TASK_LIST_DESCRIPTION = """Without `box`: every task you may see, newest first. With `box`, your
task cartable (AC-3): `received` (open in your cartable, newest first), `referred` (you
handed them on), `done`, `overdue` (open and past due, oldest due first) and `created`
(tasks you gave out). Cartable rows carry your share in `row`."""


class TaskMixin(ActivityApi):
    def get_object(self) -> Task:
        return found(selectors.task_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def output(self, pk: int) -> dict[str, Any]:
        task = found(selectors.task_get_for_user(user=self.request.user, pk=pk))
        context = {
            **self.identity_context(i.pk for i in task.identities.all()),
            "hidden": hidden_fields(self.request.user, Task),
        }
        return s.TaskOutput(task, context=context).data


@extend_schema_view(
    get=extend_schema(operation_id="tasks_list", parameters=[s.TaskQuery], description=TASK_LIST_DESCRIPTION),
    post=extend_schema(
        operation_id="tasks_create",
        request=s.TaskInput,
        responses={201: s.TaskOutput},
        description="A task for yourself (nobody named), colleagues, a group or positions; "
        "with a task type that has steps, the steps decide the assignees (AC-12).",
    ),
)
class TaskListApi(mixins.ListModelMixin, TaskMixin):
    serializer_class = s.TaskBriefOutput

    def get(self, request: Request) -> Response:
        box = query_params(s.TaskQuery, request)["box"]
        if not box:
            rows = selectors.task_base_for_user(user=request.user).select_related("status", "created_by")
            tasks = self.paginate_queryset(rows.order_by("-created_at", "-id"))
        elif box == "created":
            tasks = self.paginate_queryset(
                selectors.task_cartable(user=request.user, box=box).select_related("created_by")
            )
        else:
            tasks = []
            for row in self.paginate_queryset(selectors.task_cartable(user=request.user, box=box)):
                row.task.cartable_row = row  # type: ignore[attr-defined]
                tasks.append(row.task)
        context = {"hidden": hidden_fields(request.user, Task)}
        return self.get_paginated_response(s.TaskBriefOutput(tasks, many=True, context=context).data)

    def post(self, request: Request) -> Response:
        data = s.TaskInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        with custom_errors_under("custom"):
            task = services.task_create(actor=request.user, **data.service_kwargs())
        return Response(self.output(task.pk), status=status.HTTP_201_CREATED)


class TaskDetailApi(TaskMixin):
    serializer_class = s.TaskOutput

    @extend_schema(operation_id="tasks_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.output(self.get_object().pk))

    @extend_schema(
        operation_id="tasks_update",
        request=s.TaskUpdateInput,
        responses=s.TaskOutput,
        description="The title is required; any other key left out keeps its value. A closed "
        "status (done, cancelled) closes the task for everyone.",
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(operation_id="tasks_partial_update", request=s.TaskUpdateInput, responses=s.TaskOutput)
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    @extend_schema(operation_id="tasks_destroy", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.task_delete(actor=request.user, task=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        task = self.get_object()
        data = s.TaskUpdateInput(data=request.data, partial=partial, user=request.user)
        data.is_valid(raise_exception=True)
        with custom_errors_under("custom"):
            services.task_update(actor=request.user, task=task, **data.service_kwargs())
        return Response(self.output(task.pk))


class TaskReferApi(TaskMixin):
    serializer_class = s.TaskOutput

    @extend_schema(
        operation_id="tasks_refer",
        request=s.TaskReferInput,
        responses={200: s.TaskOutput, 409: CONFLICT},
        description="Hand your open share of the task to someone else; the chain keeps every "
        "hand-over. Not in your cartable: 403 (`not_assigned`); closed: 409.",
    )
    def post(self, request: Request, pk: int) -> Response:
        task = self.get_object()
        data = s.TaskReferInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.task_refer(actor=request.user, task=task, **data.validated_data)
        return Response(self.output(task.pk))


class TaskDoneApi(TaskMixin):
    serializer_class = s.TaskOutput

    @extend_schema(
        operation_id="tasks_done",
        request=s.TaskDoneInput,
        responses={200: s.TaskOutput, 409: CONFLICT},
        description="Mark your share done. In a workflow the next step opens; when nobody has "
        "anything left, the task closes and its creator is told.",
    )
    def post(self, request: Request, pk: int) -> Response:
        task = self.get_object()
        data = s.TaskDoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.task_done(actor=request.user, task=task, note=data.validated_data["note"])
        return Response(self.output(task.pk))


@extend_schema_view(get=extend_schema(description="Task statuses in use (system ones cannot be removed)."))
class TaskStatusListApi(mixins.ListModelMixin, ActivityApi):
    serializer_class = s.TaskStatusOutput

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.task_statuses().order_by("position", "id"))
        return self.get_paginated_response(s.TaskStatusOutput(page, many=True).data)


@extend_schema_view(get=extend_schema(description="Task types in use, with their steps (AC-12)."))
class TaskTypeListApi(mixins.ListModelMixin, ActivityApi):
    serializer_class = s.TaskTypeOutput

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.task_types().order_by("name", "id"))
        return self.get_paginated_response(s.TaskTypeOutput(page, many=True).data)


# --- calls ---------------------------------------------------------------------------------------


class CallMixin(ActivityApi):
    def get_object(self) -> Call:
        return found(selectors.call_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def call_context(self, calls: list[Call]) -> dict[str, Any]:
        return {
            **self.identity_context(c.identity_id for c in calls),
            "hidden": hidden_fields(self.request.user, Call),
        }

    def output(self, pk: int) -> dict[str, Any]:
        call = found(
            selectors.call_list_for_user(user=self.request.user).select_related("recording").filter(pk=pk).first()
        )
        return s.CallOutput(call, context=self.call_context([call])).data


@extend_schema_view(
    get=extend_schema(
        operation_id="calls_list", parameters=[s.CallQuery], description="Calls you may see, newest first."
    ),
    post=extend_schema(
        operation_id="calls_create",
        request=s.CallCreateInput,
        responses={
            201: s.CallOutput,
            200: OpenApiResponse(s.CallOutput, description="Already logged with this `external_id`: the first record."),
            409: OpenApiResponse(ErrorOutput, description="Another user's call has this `external_id`."),
        },
        description="Log a call (AC-4); the identity is found from their number when not given. "
        "With `external_id` (the telephony's call id) logging is idempotent: the same id again "
        "answers 200 with the first record.",
    ),
)
class CallListApi(mixins.ListModelMixin, CallMixin):
    serializer_class = s.CallOutput

    def get(self, request: Request) -> Response:
        identity = query_params(s.CallQuery, request)["identity"]
        rows = selectors.call_list_for_user(user=request.user, identity_id=identity).select_related("recording")
        page = self.paginate_queryset(rows.order_by("-started_at", "-id"))
        return self.get_paginated_response(s.CallOutput(page, many=True, context=self.call_context(page)).data)

    def post(self, request: Request) -> Response:
        data = s.CallCreateInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        started = timezone.now()
        with custom_errors_under("custom"):
            call = services.call_log(actor=request.user, **data.service_kwargs())  # 409 for another's id
        created = call.created_by_id == request.user.pk and call.created_at >= started
        return Response(self.output(call.pk), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CallDetailApi(CallMixin):
    serializer_class = s.CallOutput

    @extend_schema(operation_id="calls_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.output(self.get_object().pk))

    @extend_schema(operation_id="calls_update", request=s.CallInput, responses=s.CallOutput)
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(operation_id="calls_partial_update", request=s.CallInput, responses=s.CallOutput)
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    @extend_schema(operation_id="calls_destroy", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.call_delete(actor=request.user, call=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        call = self.get_object()
        data = s.CallInput(data=request.data, partial=partial, user=request.user)
        data.is_valid(raise_exception=True)
        with custom_errors_under("custom"):
            services.call_update(actor=request.user, call=call, **data.service_kwargs())
        return Response(self.output(call.pk))


# --- notes ---------------------------------------------------------------------------------------


class NoteMixin(ActivityApi):
    def get_object(self) -> Note:
        return found(selectors.note_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def output(self, pk: int) -> dict[str, Any]:
        note = found(selectors.note_get_for_user(user=self.request.user, pk=pk))
        context = {
            **self.identity_context(i.pk for i in note.identities.all()),
            "hidden": hidden_fields(self.request.user, Note),
        }
        return s.NoteDetailOutput(note, context=context).data


@extend_schema_view(
    get=extend_schema(operation_id="notes_list", description="Notes you may see, newest first."),
    post=extend_schema(operation_id="notes_create", request=s.NoteInput, responses={201: s.NoteDetailOutput}),
)
class NoteListApi(mixins.ListModelMixin, NoteMixin):
    serializer_class = s.NoteOutput

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.note_list_for_user(user=request.user).order_by("-created_at", "-id"))
        context = {"hidden": hidden_fields(request.user, Note)}
        return self.get_paginated_response(s.NoteOutput(page, many=True, context=context).data)

    def post(self, request: Request) -> Response:
        data = s.NoteInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        with custom_errors_under("custom"):
            note = services.note_create(
                actor=request.user,
                title=values["title"],
                body=values.get("body", ""),
                identity_ids=values.get("identity_ids", []),
                custom=values.get("custom"),
            )
        return Response(self.output(note.pk), status=status.HTTP_201_CREATED)


class NoteDetailApi(NoteMixin):
    serializer_class = s.NoteDetailOutput

    @extend_schema(operation_id="notes_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.output(self.get_object().pk))

    @extend_schema(operation_id="notes_update", request=s.NoteInput, responses=s.NoteDetailOutput)
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(operation_id="notes_partial_update", request=s.NoteInput, responses=s.NoteDetailOutput)
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    @extend_schema(operation_id="notes_destroy", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.note_delete(actor=request.user, note=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        note = self.get_object()
        data = s.NoteInput(data=request.data, partial=partial, user=request.user)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        with custom_errors_under("custom"):
            services.note_update(
                actor=request.user,
                note=note,
                title=values.get("title", note.title),
                body=values.get("body", note.body),
                identity_ids=values.get("identity_ids"),
                custom=values.get("custom"),
            )
        return Response(self.output(note.pk))


# --- files ---------------------------------------------------------------------------------------


class DocumentMixin(ActivityApi):
    def get_object(self) -> Document:
        return found(selectors.document_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def output(self, pk: int) -> dict[str, Any]:
        document = found(selectors.document_get_for_user(user=self.request.user, pk=pk))
        files = attachments_for_item(item_type=services.DOCUMENT, item_id=document.pk).order_by("id")
        context = {
            **self.identity_context(i.pk for i in document.identities.all()),
            **self.get_serializer_context(),
            "hidden": hidden_fields(self.request.user, Document),
            "file": files.first(),
        }
        return s.DocumentDetailOutput(document, context=context).data


@extend_schema_view(
    get=extend_schema(
        operation_id="files_list",
        description="Files (AC-6) you may see, newest first; a file's versions are on its own page.",
    ),
    post=extend_schema(
        operation_id="files_create",
        request={"multipart/form-data": s.DocumentInput},
        responses={201: s.DocumentDetailOutput},
        description="Upload a file (multipart/form-data) as a CRM item: it is checked (type by "
        "its first bytes, size) and kept as version 1. `custom` is a JSON object in a text field.",
    ),
)
class DocumentListApi(mixins.ListModelMixin, DocumentMixin):
    serializer_class = s.DocumentOutput
    parser_classes = [MultiPartParser]  # the one item endpoint that takes a file

    def get(self, request: Request) -> Response:
        rows = selectors.document_list_for_user(user=request.user).order_by("-created_at", "-id")
        context = {"hidden": hidden_fields(request.user, Document)}
        return self.get_paginated_response(
            s.DocumentOutput(self.paginate_queryset(rows), many=True, context=context).data
        )

    def post(self, request: Request) -> Response:
        data = s.DocumentInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        with custom_errors_under("custom"):
            document = services.document_create(
                actor=request.user,
                title=values["title"].strip(),
                upload=values["upload"],
                description=values["description"],
                identity_ids=values.get("identity_ids", []),
                custom=values.get("custom"),
            )
        return Response(self.output(document.pk), status=status.HTTP_201_CREATED)


class DocumentDetailApi(DocumentMixin):
    serializer_class = s.DocumentDetailOutput

    @extend_schema(operation_id="files_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.output(self.get_object().pk))

    @extend_schema(operation_id="files_destroy", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.document_delete(actor=request.user, document=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentVersionApi(DocumentMixin):
    serializer_class = s.DocumentDetailOutput
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="files_new_version",
        request={"multipart/form-data": s.DocumentVersionInput},
        responses={201: s.DocumentDetailOutput},
        description="Upload a new version of the file (multipart/form-data); older ones stay.",
    )
    def post(self, request: Request, pk: int) -> Response:
        document = self.get_object()
        data = s.DocumentVersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.document_new_version(actor=request.user, document=document, upload=data.validated_data["upload"])
        return Response(self.output(document.pk), status=status.HTTP_201_CREATED)


# --- work reports --------------------------------------------------------------------------------


class WorkReportMixin(ActivityApi):
    def get_object(self) -> Any:
        return found(selectors.work_report_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def output(self, pk: int) -> dict[str, Any]:
        report = found(selectors.work_report_get_for_user(user=self.request.user, pk=pk))
        context = self.identity_context(line.identity_id for line in report.lines.all())
        return s.WorkReportOutput(report, context=context).data


@extend_schema_view(
    get=extend_schema(
        operation_id="work_reports_list",
        parameters=[s.WorkReportQuery],
        description="Your work reports, and with the right to, those of the staff of the "
        "departments you manage (AC-11); newest first.",
    ),
    post=extend_schema(
        operation_id="work_reports_create",
        request=s.WorkReportInput,
        responses={201: s.WorkReportOutput, 409: CONFLICT},
        description="Write your report for a day or a week; lines about an identity land in "
        "its history. One report per person, period and first day (else 409).",
    ),
)
class WorkReportListApi(mixins.ListModelMixin, WorkReportMixin):
    serializer_class = s.WorkReportOutput

    def get(self, request: Request) -> Response:
        staff = query_params(s.WorkReportQuery, request)["user"]
        rows = selectors.work_report_list_for_user(user=request.user, staff_id=staff).prefetch_related(
            "lines__identity"
        )
        page = self.paginate_queryset(rows.order_by("-date_from", "-id"))
        context = self.identity_context(line.identity_id for report in page for line in report.lines.all())
        return self.get_paginated_response(s.WorkReportOutput(page, many=True, context=context).data)

    def post(self, request: Request) -> Response:
        data = s.WorkReportInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        report = services.work_report_save(
            actor=request.user,
            values=data.values(),
            lines=data.lines_for_service() or [],
            submit=data.validated_data["submit"],
        )
        return Response(self.output(report.pk), status=status.HTTP_201_CREATED)


class WorkReportDetailApi(WorkReportMixin):
    serializer_class = s.WorkReportOutput

    @extend_schema(operation_id="work_reports_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.output(self.get_object().pk))

    @extend_schema(
        operation_id="work_reports_update",
        request=s.WorkReportChangeInput,
        responses={200: s.WorkReportOutput, 409: CONFLICT},
        description="Change your own report until it is submitted (then 409). Lines that are "
        "given replace the stored ones; left out, they stay.",
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        operation_id="work_reports_partial_update",
        request=s.WorkReportChangeInput,
        responses={200: s.WorkReportOutput, 409: CONFLICT},
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        report = self.get_object()
        data = s.WorkReportChangeInput(
            data=request.data, partial=partial, user=request.user, context={"report": report}
        )
        data.is_valid(raise_exception=True)
        lines = data.lines_for_service()
        if lines is None:
            lines = current_lines(report)
        services.work_report_save(
            actor=request.user,
            report=report,
            values=data.values(),
            lines=lines,
            submit=data.validated_data.get("submit", False),
        )
        return Response(self.output(report.pk))


def current_lines(report: Any) -> list[dict[str, Any]]:
    return [
        {"identity_id": line.identity_id, "text": line.text, "minutes": line.minutes} for line in report.lines.all()
    ]


class WorkReportSubmitApi(WorkReportMixin):
    serializer_class = s.WorkReportOutput

    @extend_schema(
        operation_id="work_reports_submit",
        request=None,
        responses={200: s.WorkReportOutput, 409: CONFLICT},
        description="Submit your report: it becomes final (submitting again is a 409).",
    )
    def post(self, request: Request, pk: int) -> Response:
        report = self.get_object()
        services.work_report_submit(actor=request.user, report=report)
        return Response(self.output(report.pk))
