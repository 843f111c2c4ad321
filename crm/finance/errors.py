from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crm.core.errors import ApplicationError


class FinanceErrorCode(StrEnum):
    NOT_ALLOWED = "not_allowed"
    INVALID = "invalid"
    IDENTITY_NOT_FOUND = "identity_not_found"
    AMOUNT_NOT_POSITIVE = "amount_not_positive"
    CHEQUE_DETAILS_MISSING = "cheque_details_missing"
    INVOICE_NOT_ALLOCATABLE = "invoice_not_allocatable"
    ALLOCATION_OVER_OPEN = "allocation_over_open"
    ALLOCATION_OVER_RECEIPT = "allocation_over_receipt"
    RECEIPT_CANCELLED = "receipt_cancelled"
    CHEQUE_TRANSITION = "cheque_transition"
    DOCUMENT_ALLOCATED = "document_allocated"
    LINK_EXPIRY_PAST = "link_expiry_past"
    LINK_NOT_OPEN = "link_not_open"
    LINK_EXPIRED = "link_expired"
    GATEWAY_UNKNOWN = "gateway_unknown"
    GATEWAY_ERROR = "gateway_error"
    TRANSACTION_UNKNOWN = "transaction_unknown"
    SENDING_UNAVAILABLE = "sending_unavailable"
    NO_ADDRESS = "no_address"


class FinanceError(ApplicationError):
    messages = {
        FinanceErrorCode.NOT_ALLOWED: _("You may not do this."),
        FinanceErrorCode.INVALID: _("Some values are not valid."),
        FinanceErrorCode.IDENTITY_NOT_FOUND: _("Choose a customer or supplier you can see."),
        FinanceErrorCode.AMOUNT_NOT_POSITIVE: _("The amount must be more than zero."),
        FinanceErrorCode.CHEQUE_DETAILS_MISSING: _("A cheque needs its number, bank and due date."),
        FinanceErrorCode.INVOICE_NOT_ALLOCATABLE: _(
            "“%(document)s” is not an approved invoice of this customer or supplier."
        ),
        FinanceErrorCode.ALLOCATION_OVER_OPEN: _("Only %(open)s of “%(document)s” is still open."),
        FinanceErrorCode.ALLOCATION_OVER_RECEIPT: _("The allocations add up to more than the amount."),
        FinanceErrorCode.RECEIPT_CANCELLED: _("This receipt is cancelled."),
        FinanceErrorCode.CHEQUE_TRANSITION: _("A cheque that is “%(current)s” cannot become “%(target)s”."),
        FinanceErrorCode.DOCUMENT_ALLOCATED: _(
            "Payments are allocated to this invoice: cancel those receipts or their allocations first."
        ),
        FinanceErrorCode.LINK_EXPIRY_PAST: _("The expiry must be in the future."),
        FinanceErrorCode.LINK_NOT_OPEN: _("This payment link is no longer open."),
        FinanceErrorCode.LINK_EXPIRED: _("This payment link has expired."),
        FinanceErrorCode.GATEWAY_UNKNOWN: _("The payment gateway “%(provider)s” is not set up."),
        FinanceErrorCode.GATEWAY_ERROR: _("The payment gateway refused the payment: %(reason)s"),
        FinanceErrorCode.TRANSACTION_UNKNOWN: _("Unknown payment transaction."),
        FinanceErrorCode.SENDING_UNAVAILABLE: _("Messages cannot be sent from here yet: copy the link instead."),
        FinanceErrorCode.NO_ADDRESS: _("This customer has no address for that channel."),
    }
    statuses = {
        FinanceErrorCode.NOT_ALLOWED: 403,
        FinanceErrorCode.CHEQUE_TRANSITION: 409,
        FinanceErrorCode.RECEIPT_CANCELLED: 409,
        FinanceErrorCode.LINK_NOT_OPEN: 409,
        FinanceErrorCode.LINK_EXPIRED: 410,
        FinanceErrorCode.DOCUMENT_ALLOCATED: 409,
        FinanceErrorCode.TRANSACTION_UNKNOWN: 404,
    }

    def __init__(self, code: FinanceErrorCode, message: str | None = None, **params: object):
        super().__init__(code, message, **params)  # type: ignore[arg-type]
        self.status = self.statuses.get(code, 400)
