from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crm.core.errors import ApplicationError


class ActivityErrorCode(StrEnum):
    ENDS_BEFORE_START = "ends_before_start"
    TOO_LONG = "too_long"
    CALENDAR_READ_ONLY = "calendar_read_only"
    BUSY = "busy"
    ROOM_BUSY = "room_busy"
    ROOM_INACTIVE = "room_inactive"
    NOT_ALLOWED = "not_allowed"
    NOT_ASSIGNED = "not_assigned"
    REFER_TO_SELF = "refer_to_self"
    ALREADY_CLOSED = "already_closed"
    NO_ASSIGNEE = "no_assignee"
    POSITION_EMPTY = "position_empty"
    REPORT_SUBMITTED = "report_submitted"
    REPORT_EXISTS = "report_exists"
    NUMBER_INVALID = "number_invalid"
    NO_FILE = "no_file"
    INVALID = "invalid"
    EXTERNAL_ID_TAKEN = "external_id_taken"


class ActivityError(ApplicationError):
    messages = {
        ActivityErrorCode.ENDS_BEFORE_START: _("The end must be after the start."),
        ActivityErrorCode.TOO_LONG: _(
            "An appointment lasts at most %(days)s days; for something longer, make it repeat."
        ),
        ActivityErrorCode.CALENDAR_READ_ONLY: _("You may not add to or change this calendar."),
        ActivityErrorCode.BUSY: _("Not free at that time: %(who)s."),
        ActivityErrorCode.ROOM_BUSY: _("The room “%(room)s” is booked at that time: %(what)s."),
        ActivityErrorCode.ROOM_INACTIVE: _("This room is not in use."),
        ActivityErrorCode.NOT_ALLOWED: _("You may not do this with this item."),
        ActivityErrorCode.NOT_ASSIGNED: _("This task is not in your cartable."),
        ActivityErrorCode.REFER_TO_SELF: _("Choose someone else to refer the task to."),
        ActivityErrorCode.ALREADY_CLOSED: _("This task is already closed."),
        ActivityErrorCode.NO_ASSIGNEE: _("Choose at least one person or position for the task."),
        ActivityErrorCode.POSITION_EMPTY: _("Nobody holds the position “%(position)s” today."),
        ActivityErrorCode.REPORT_SUBMITTED: _("This report was submitted and can no longer be changed."),
        ActivityErrorCode.REPORT_EXISTS: _("You already have a report for this period."),
        ActivityErrorCode.NUMBER_INVALID: _("“%(number)s” is not a phone number."),
        ActivityErrorCode.NO_FILE: _("Choose a file to upload."),
        ActivityErrorCode.INVALID: _("Some values are not valid."),
        ActivityErrorCode.EXTERNAL_ID_TAKEN: _("Another call already has this external id."),
    }
    # not allowed → 403; taken time, a closed item, a clash → 409; anything else → 400
    statuses = {
        ActivityErrorCode.CALENDAR_READ_ONLY: 403,
        ActivityErrorCode.NOT_ALLOWED: 403,
        ActivityErrorCode.NOT_ASSIGNED: 403,
        ActivityErrorCode.BUSY: 409,
        ActivityErrorCode.ROOM_BUSY: 409,
        ActivityErrorCode.ALREADY_CLOSED: 409,
        ActivityErrorCode.REPORT_SUBMITTED: 409,
        ActivityErrorCode.REPORT_EXISTS: 409,
        ActivityErrorCode.EXTERNAL_ID_TAKEN: 409,
    }

    def __init__(self, code: ActivityErrorCode, message: str | None = None, **params: object):
        super().__init__(code, message, **params)  # type: ignore[arg-type]
        self.status = self.statuses.get(code, 400)


def clean_or_raise(obj: object, *, exclude: list[str] | None = None) -> None:
    """Model validation as an application error with per-field messages (never a 500)."""
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=exclude, validate_unique=False)  # type: ignore[attr-defined]
    except ValidationError as exc:
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        raise ActivityError(ActivityErrorCode.INVALID, fields=fields) from exc
