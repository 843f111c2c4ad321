from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crm.core.errors import ApplicationError


class ItemErrorCode(StrEnum):
    ITEM_NOT_FOUND = "item_not_found"
    EMPTY_COMMENT = "empty_comment"
    NOT_AUTHOR = "not_author"
    NOT_UPLOADER = "not_uploader"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE_REFUSED = "file_type_refused"
    FILE_EMPTY = "file_empty"
    DUE_IN_PAST = "due_in_past"
    NOT_YOURS = "not_yours"


class ItemError(ApplicationError):
    messages = {
        ItemErrorCode.ITEM_NOT_FOUND: _("This item does not exist or you may not see it."),
        ItemErrorCode.EMPTY_COMMENT: _("Write something before sending the comment."),
        ItemErrorCode.NOT_AUTHOR: _("Only the author may change or delete this comment."),
        ItemErrorCode.NOT_UPLOADER: _("Only the one who attached this file may delete it."),
        ItemErrorCode.FILE_TOO_LARGE: _("The file is larger than %(limit)s."),
        ItemErrorCode.FILE_TYPE_REFUSED: _("Files of this type (%(kind)s) are not accepted."),
        ItemErrorCode.FILE_EMPTY: _("The file is empty."),
        ItemErrorCode.DUE_IN_PAST: _("Choose a time in the future for the reminder."),
        ItemErrorCode.NOT_YOURS: _("This follow-up belongs to someone else."),
    }

    def __init__(self, code: ItemErrorCode, message: str | None = None, **params: object):
        super().__init__(code, message, **params)
        self.status = {
            ItemErrorCode.ITEM_NOT_FOUND: 404,
            ItemErrorCode.NOT_AUTHOR: 403,
            ItemErrorCode.NOT_UPLOADER: 403,
            ItemErrorCode.NOT_YOURS: 403,
        }.get(code, 400)
