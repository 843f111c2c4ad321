"""Application errors: one base class the web and API layers translate into one shape."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """Raised by services; `code` is stable for clients, `message` is for people."""

    status = 400
    messages: dict[str, Any] = {}

    def __init__(self, code: StrEnum, message: str | None = None, *, fields: dict | None = None, **params: Any):
        self.code = code
        self.params = params
        self.fields = fields or {}
        template = message or self.messages.get(code, code.value)
        self.message = str(template) % params if params else str(template)
        super().__init__(self.message)


class CoreErrorCode(StrEnum):
    ALREADY_DELETED = "already_deleted"
    NOT_DELETED = "not_deleted"
    PERMISSION_DENIED = "permission_denied"
    EDIT_WINDOW_CLOSED = "edit_window_closed"
    SEQUENCE_NOT_FOUND = "sequence_not_found"
    INVALID_CUSTOM_VALUE = "invalid_custom_value"
    FIELD_READ_ONLY = "field_read_only"


class CoreError(ApplicationError):
    messages = {
        CoreErrorCode.ALREADY_DELETED: _("This record is already deleted."),
        CoreErrorCode.NOT_DELETED: _("This record is not deleted."),
        CoreErrorCode.PERMISSION_DENIED: _("You do not have permission to do this."),
        CoreErrorCode.EDIT_WINDOW_CLOSED: _("The time allowed for changing this record has passed."),
        CoreErrorCode.SEQUENCE_NOT_FOUND: _("No numbering sequence is set up for “%(key)s”."),
        CoreErrorCode.INVALID_CUSTOM_VALUE: _("Some custom field values are not valid."),
        CoreErrorCode.FIELD_READ_ONLY: _("You may not change the field “%(field)s”."),
    }


class PermissionDeniedError(CoreError):
    status = 403

    def __init__(self, message: str | None = None, **params: Any):
        super().__init__(CoreErrorCode.PERMISSION_DENIED, message, **params)
