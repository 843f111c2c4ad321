"""Errors of mail and fax services, shown to people through error_to_form / error_to_message."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crm.core.errors import ApplicationError


class MailErrorCode(StrEnum):
    NO_MAILBOX = "no_mailbox"
    MAILBOX_NOT_ALLOWED = "mailbox_not_allowed"
    NO_RECIPIENT = "no_recipient"
    BAD_ADDRESS = "bad_address"
    TOO_MANY_RECIPIENTS = "too_many_recipients"
    EMPTY_MESSAGE = "empty_message"
    NOT_FOUND = "not_found"
    NO_SERVER = "no_server"
    NOT_PERSONAL = "not_personal"
    FAX_LINE_NOT_ALLOWED = "fax_line_not_allowed"
    FAX_DOCUMENT = "fax_document"
    FAX_PROVIDER = "fax_provider"


class MailError(ApplicationError):
    messages = {
        MailErrorCode.NO_MAILBOX: _("Choose a mailbox to send from."),
        MailErrorCode.MAILBOX_NOT_ALLOWED: _("You may not send from this mailbox."),
        MailErrorCode.NO_RECIPIENT: _("Add at least one recipient."),
        MailErrorCode.BAD_ADDRESS: _("“%(address)s” is not an email address."),
        MailErrorCode.TOO_MANY_RECIPIENTS: _("Too many recipients for one email; use a bulk send instead."),
        MailErrorCode.EMPTY_MESSAGE: _("Write a subject or a text."),
        MailErrorCode.NOT_FOUND: _("This message does not exist or you may not see it."),
        MailErrorCode.NO_SERVER: _("No %(kind)s server is set for this mailbox or the organisation."),
        MailErrorCode.NOT_PERSONAL: _("Only the owner may change a personal mailbox."),
        MailErrorCode.FAX_LINE_NOT_ALLOWED: _("You may not send faxes from this line."),
        MailErrorCode.FAX_DOCUMENT: _("Attach the document to fax as a PDF file."),
        MailErrorCode.FAX_PROVIDER: _("The fax line's provider “%(provider)s” is not available."),
    }
