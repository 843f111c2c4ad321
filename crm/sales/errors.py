"""Errors of the sales context: one `SalesError` class with stable codes.

Stock and money handlers of `crm.sales.events` may raise `SalesError` too (e.g.
`NOT_ENOUGH_STOCK`), so the approval rolls back with their message."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crm.core.errors import ApplicationError


class SalesErrorCode(StrEnum):
    # formulas
    FORMULA_SYNTAX = "formula_syntax"
    FORMULA_NOT_ALLOWED = "formula_not_allowed"
    FORMULA_UNKNOWN_NAME = "formula_unknown_name"
    FORMULA_DIVISION_BY_ZERO = "formula_division_by_zero"
    FORMULA_TOO_LONG = "formula_too_long"
    # documents
    NO_LINES = "no_lines"
    BAD_QUANTITY = "bad_quantity"
    BAD_PRICE = "bad_price"
    BAD_DISCOUNT = "bad_discount"
    PRODUCT_NOT_FOUND = "product_not_found"
    IDENTITY_NOT_FOUND = "identity_not_found"
    PRICE_LIST_NOT_ALLOWED = "price_list_not_allowed"
    TOTALS_OVERRIDE_DENIED = "totals_override_denied"
    TOTALS_INVALID = "totals_invalid"
    DOCUMENT_DISCOUNT = "document_discount"
    HAS_ISSUED = "has_issued"
    ALREADY_ISSUED = "already_issued"
    NOT_EDITABLE = "not_editable"
    EDIT_DENIED = "edit_denied"
    EDIT_WINDOW_CLOSED = "edit_window_closed"
    WRONG_STATUS = "wrong_status"
    APPROVE_DENIED = "approve_denied"
    APPROVE_OWN = "approve_own"
    STALE_VERSION = "stale_version"
    ISSUE_NOT_ALLOWED = "issue_not_allowed"
    RETURN_TOO_MUCH = "return_too_much"
    ALREADY_ANSWERED = "already_answered"
    LINK_EXPIRED = "link_expired"
    NO_CONTACT = "no_contact"
    MESSAGING_UNAVAILABLE = "messaging_unavailable"
    SETTINGS_INVALID = "settings_invalid"
    # raised by other contexts' handlers of crm.sales.events
    NOT_ENOUGH_STOCK = "not_enough_stock"
    HANDLER_REFUSED = "handler_refused"


class SalesError(ApplicationError):
    messages = {
        SalesErrorCode.FORMULA_SYNTAX: _("The formula “%(formula)s” is not valid: %(detail)s."),
        SalesErrorCode.FORMULA_NOT_ALLOWED: _(
            "The formula “%(formula)s” may only use numbers, field names, + − × ÷ and parentheses."
        ),
        SalesErrorCode.FORMULA_UNKNOWN_NAME: _("The formula “%(formula)s” uses an unknown field “%(name)s”."),
        SalesErrorCode.FORMULA_DIVISION_BY_ZERO: _("The formula “%(formula)s” divides by zero."),
        SalesErrorCode.FORMULA_TOO_LONG: _("The formula is too long (at most %(limit)s characters)."),
        SalesErrorCode.NO_LINES: _("Add at least one line."),
        SalesErrorCode.BAD_QUANTITY: _("Line %(line)s: the quantity must be more than zero."),
        SalesErrorCode.BAD_PRICE: _("Line %(line)s: the unit price cannot be negative."),
        SalesErrorCode.BAD_DISCOUNT: _("Line %(line)s: the discount is not valid."),
        SalesErrorCode.PRODUCT_NOT_FOUND: _("The product was not found or is inactive."),
        SalesErrorCode.IDENTITY_NOT_FOUND: _("The customer or supplier was not found."),
        SalesErrorCode.PRICE_LIST_NOT_ALLOWED: _("You may not choose another price list."),
        SalesErrorCode.TOTALS_OVERRIDE_DENIED: _("You may not change the document discount or tax by hand."),
        SalesErrorCode.TOTALS_INVALID: _("The discount, tax or amount is not a valid number."),
        SalesErrorCode.DOCUMENT_DISCOUNT: _("The document discount must be between zero and the sum of the lines."),
        SalesErrorCode.HAS_ISSUED: _("Cancel the documents issued from this one first."),
        SalesErrorCode.ALREADY_ISSUED: _("An invoice was already issued from this quote: %(document)s."),
        SalesErrorCode.NOT_EDITABLE: _("A cancelled document cannot be changed."),
        SalesErrorCode.EDIT_DENIED: _(
            "Only the creator, the salesperson or the workflow users may change this document."
        ),
        SalesErrorCode.EDIT_WINDOW_CLOSED: _("The time allowed for changing this document has passed."),
        SalesErrorCode.WRONG_STATUS: _("This cannot be done to a document that is “%(status)s”."),
        SalesErrorCode.APPROVE_DENIED: _("You may not approve or reject documents."),
        SalesErrorCode.APPROVE_OWN: _("Another user must approve a document you created."),
        SalesErrorCode.STALE_VERSION: _("The document was changed meanwhile; reload it and try again."),
        SalesErrorCode.ISSUE_NOT_ALLOWED: _("A %(target)s cannot be issued from a %(source)s."),
        SalesErrorCode.RETURN_TOO_MUCH: _("Line %(line)s: at most %(left)s can still be returned."),
        SalesErrorCode.ALREADY_ANSWERED: _("This document has already been answered."),
        SalesErrorCode.LINK_EXPIRED: _("This link is no longer valid."),
        SalesErrorCode.NO_CONTACT: _("The customer has no %(channel)s address to send to."),
        SalesErrorCode.MESSAGING_UNAVAILABLE: _("Sending messages is not available."),
        SalesErrorCode.SETTINGS_INVALID: _("The document type settings are not valid."),
        SalesErrorCode.NOT_ENOUGH_STOCK: _("Not enough stock: %(detail)s"),
        SalesErrorCode.HANDLER_REFUSED: _("%(detail)s"),
    }

    statuses = {
        SalesErrorCode.PRICE_LIST_NOT_ALLOWED: 403,
        SalesErrorCode.TOTALS_OVERRIDE_DENIED: 403,
        SalesErrorCode.EDIT_DENIED: 403,
        SalesErrorCode.APPROVE_DENIED: 403,
        SalesErrorCode.APPROVE_OWN: 403,
        SalesErrorCode.EDIT_WINDOW_CLOSED: 403,
        SalesErrorCode.STALE_VERSION: 409,
        SalesErrorCode.WRONG_STATUS: 409,
        SalesErrorCode.ALREADY_ANSWERED: 409,
        SalesErrorCode.NOT_EDITABLE: 409,
        SalesErrorCode.HAS_ISSUED: 409,
        SalesErrorCode.ALREADY_ISSUED: 409,
        SalesErrorCode.NOT_ENOUGH_STOCK: 409,
    }

    def __init__(self, code: SalesErrorCode, message: str | None = None, **params: object):
        super().__init__(code, message, **params)
        self.status = self.statuses.get(code, 400)
