from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crm.core.errors import ApplicationError


class IdentityErrorCode(StrEnum):
    NAME_REQUIRED = "name_required"
    INVALID_PHONE = "invalid_phone"
    INVALID_EMAIL = "invalid_email"
    CUSTOMER_NUMBER_TAKEN = "customer_number_taken"
    ALREADY_CUSTOMER = "already_customer"
    MERGE_SAME = "merge_same"
    MERGE_UNDONE = "merge_undone"
    CATEGORY_CYCLE = "category_cycle"
    CATEGORY_IN_USE = "category_in_use"
    CONTACT_KIND = "contact_kind"
    NOTHING_TO_RESOLVE = "nothing_to_resolve"
    NOT_UNKNOWN = "not_unknown"
    IMPORT_INVALID = "import_invalid"
    IMPORT_BAD_FILE = "import_bad_file"
    IMPORT_FILE_TOO_LARGE = "import_file_too_large"
    IMPORT_UNKNOWN_FORMAT = "import_unknown_format"
    IMPORT_NOT_RERUNNABLE = "import_not_rerunnable"
    IMPORT_NOT_PENDING = "import_not_pending"


class IdentityError(ApplicationError):
    messages = {
        IdentityErrorCode.NAME_REQUIRED: _("Enter a first or last name for a person, or a name for an organisation."),
        IdentityErrorCode.INVALID_PHONE: _("“%(value)s” is not a valid phone number."),
        IdentityErrorCode.INVALID_EMAIL: _("“%(value)s” is not a valid email address."),
        IdentityErrorCode.CUSTOMER_NUMBER_TAKEN: _("Customer number %(value)s already belongs to someone else."),
        IdentityErrorCode.ALREADY_CUSTOMER: _("This identity already has a customer number."),
        IdentityErrorCode.MERGE_SAME: _("Choose two different identities to merge."),
        IdentityErrorCode.MERGE_UNDONE: _("This merge was already undone."),
        IdentityErrorCode.CATEGORY_CYCLE: _("A category cannot be placed under itself or one of its sub-categories."),
        IdentityErrorCode.CATEGORY_IN_USE: _("This category still has sub-categories."),
        IdentityErrorCode.CONTACT_KIND: _("Contact persons link a person to an organisation."),
        IdentityErrorCode.NOTHING_TO_RESOLVE: _("Give a phone number or an email address."),
        IdentityErrorCode.NOT_UNKNOWN: _("This identity is not an unknown contact."),
        IdentityErrorCode.IMPORT_INVALID: _("The file has problems; nothing was imported."),
        IdentityErrorCode.IMPORT_BAD_FILE: _("The file's content does not look like %(format)s."),
        IdentityErrorCode.IMPORT_FILE_TOO_LARGE: _("The file is too large (at most %(limit)s MB)."),
        IdentityErrorCode.IMPORT_UNKNOWN_FORMAT: _("Upload a .csv, .xlsx or .vcf file."),
        IdentityErrorCode.IMPORT_NOT_RERUNNABLE: _("Only a finished dry run without errors can be run for real."),
        IdentityErrorCode.IMPORT_NOT_PENDING: _("This import has already started."),
    }
