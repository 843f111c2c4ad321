"""Money in and out (FN-1, FN-2): the ledger of each identity, receipts and payments with
their allocations to invoices, cheques with their own history, payment links and the
transactions of online gateways (and the in-project sandbox bank).

Amounts are Decimal in the organisation's one currency. Sign convention of the ledger:
a debit is what the identity owes us (an approved sales invoice), a credit what we owe
them or what they paid (a receipt, a return, a purchase invoice). Balance = debits −
credits: positive = debtor, negative = creditor."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.base_models import OwnedModel, SoftDeleteModel, TimeStampedModel
from crm.core.customfields.models import HasCustomFields

USER = settings.AUTH_USER_MODEL
MONEY = {"max_digits": 20, "decimal_places": 2}
ZERO = Decimal(0)


class LedgerEntry(models.Model):
    """One money movement of an identity. Written only by crm.finance services and
    handlers; never edited: a correction is a reversing entry (`reversal_of`)."""

    class Kind(models.TextChoices):
        SALE_INVOICE = "sale_invoice", _("Sales invoice")
        SALE_RETURN = "sale_return", _("Sales return")
        PURCHASE_INVOICE = "purchase_invoice", _("Purchase invoice")
        PURCHASE_RETURN = "purchase_return", _("Purchase return")
        RECEIPT = "receipt", _("Receipt")
        PAYMENT = "payment", _("Payment")
        CHEQUE_BOUNCED = "cheque_bounced", _("Bounced cheque")
        REVERSAL = "reversal", _("Reversal")

    identity_id = models.BigIntegerField(_("identity"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # the item that caused it: "sales.document", "finance.receipt", "finance.cheque"
    source_type = models.CharField(max_length=40)
    source_id = models.BigIntegerField()
    debit = models.DecimalField(_("debit"), default=ZERO, **MONEY)
    credit = models.DecimalField(_("credit"), default=ZERO, **MONEY)
    description = models.CharField(_("description"), max_length=300, blank=True)
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    reversed = models.BooleanField(default=False)  # an original that has been reversed
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        permissions = [("view_statement", _("Can see balances and statements"))]
        indexes = [
            models.Index(fields=["identity_id", "date", "id"], name="ledger_identity_date_idx"),
            models.Index(fields=["source_type", "source_id"], name="ledger_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(debit__gte=0) & Q(credit__gte=0), name="ledger_amounts_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.identity_id} {self.debit}/{self.credit}"


class Balance(models.Model):
    """Running totals of an identity's ledger, kept in the same transaction as every entry
    (the balances report and the profile fact read one row)."""

    identity_id = models.BigIntegerField(_("identity"), unique=True)
    debit = models.DecimalField(_("debit"), default=ZERO, **MONEY)
    credit = models.DecimalField(_("credit"), default=ZERO, **MONEY)
    balance = models.DecimalField(_("balance"), default=ZERO, **MONEY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-balance", "identity_id"]
        verbose_name = _("balance")
        verbose_name_plural = _("balances")
        indexes = [models.Index(fields=["balance", "identity_id"], name="balance_amount_idx")]

    def __str__(self) -> str:
        return f"{self.identity_id}: {self.balance}"


class Receipt(TimeStampedModel, SoftDeleteModel, OwnedModel, HasCustomFields):
    """Money received from an identity (a receipt) or paid to one (a payment)."""

    class Direction(models.TextChoices):
        IN = "in", _("Receipt")
        OUT = "out", pgettext_lazy("money", "Payment")

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        LOAN = "loan", _("Bank loan")
        TRANSFER = "transfer", _("Bank transfer")
        CARD = "card", _("Card")
        ONLINE = "online", _("Online payment")

    class Status(models.TextChoices):
        RECORDED = "recorded", _("Recorded")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=40, blank=True, db_index=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.IN)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.CASH)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECORDED)
    identity_id = models.BigIntegerField(_("customer / supplier"), db_index=True)
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # "<provider>:<bank reference>" of a verified online payment: one receipt per transaction
    gateway_ref = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)
    payment_link = models.ForeignKey(
        "PaymentLink", null=True, blank=True, on_delete=models.PROTECT, related_name="receipts", editable=False
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("receipt or payment")
        verbose_name_plural = _("receipts and payments")
        permissions = [
            ("view_all_receipt", _("Can view all receipts and payments")),
            ("change_all_receipt", _("Can change all receipts and payments")),
        ]
        indexes = [
            models.Index(fields=["identity_id", "-date"], name="receipt_identity_idx"),
            models.Index(fields=["direction", "-date", "-id"], name="receipt_direction_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.number or f'#{self.pk}'}"


class Allocation(models.Model):
    """Part of a receipt (or payment) settling one invoice."""

    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="allocations")
    document = models.ForeignKey(
        "sales.Document", on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["id"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["receipt", "document"], name="allocation_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]
        indexes = [models.Index(fields=["document", "receipt"], name="allocation_document_idx")]

    def __str__(self) -> str:
        return f"{self.receipt_id} → {self.document_id}: {self.amount}"


class Cheque(TimeStampedModel):
    """The cheque of a cheque receipt (or of a payment by cheque), with its own life."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        DEPOSITED = "deposited", _("Deposited")
        CLEARED = "cleared", _("Cleared")
        BOUNCED = "bounced", _("Bounced")
        RETURNED = "returned", _("Returned")

    receipt = models.OneToOneField(Receipt, on_delete=models.CASCADE, related_name="cheque")
    identity_id = models.BigIntegerField(_("customer / supplier"), db_index=True)
    number = models.CharField(_("cheque number"), max_length=40)
    bank = models.CharField(_("bank"), max_length=100)
    branch = models.CharField(_("branch"), max_length=100, blank=True)
    account = models.CharField(_("account"), max_length=40, blank=True)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    status_at = models.DateTimeField(_("status changed"), null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("cheque")
        verbose_name_plural = _("cheques")
        indexes = [models.Index(fields=["status", "due_date"], name="cheque_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.bank} {self.number}"


class ChequeEvent(models.Model):
    cheque = models.ForeignKey(Cheque, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True, choices=Cheque.Status.choices)
    to_status = models.CharField(max_length=10, choices=Cheque.Status.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("cheque event")
        verbose_name_plural = _("cheque events")

    def __str__(self) -> str:
        return f"{self.cheque_id}: {self.from_status} → {self.to_status}"


class PaymentLink(TimeStampedModel, OwnedModel):
    """A link a customer opens to pay a fixed amount online (FN-2). The URL carries a
    signed form of `public_id`; the amount and the identity never leave the server."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    identity_id = models.BigIntegerField(_("customer"), db_index=True)
    document = models.ForeignKey(
        "sales.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    expires_at = models.DateTimeField(_("expires at"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    sent_to = models.CharField(_("sent to"), max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        permissions = [("view_all_paymentlink", _("Can view all payment links"))]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_link_amount_positive")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount}"


class GatewayTransaction(models.Model):
    """One attempt to pay a link through an online gateway: request → bank → callback → verify."""

    class Status(models.TextChoices):
        STARTED = "started", _("Sent to the bank")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled by the payer")

    link = models.ForeignKey(PaymentLink, on_delete=models.PROTECT, related_name="transactions")
    provider = models.CharField(_("gateway"), max_length=30)
    authority = models.CharField(_("gateway token"), max_length=120)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.STARTED)
    ref_id = models.CharField(_("bank reference"), max_length=120, blank=True)
    card = models.CharField(_("card"), max_length=30, blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("gateway transaction")
        verbose_name_plural = _("gateway transactions")
        constraints = [
            models.UniqueConstraint(fields=["provider", "authority"], name="gateway_transaction_authority_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.authority}"


class SandboxPayment(models.Model):
    """The sandbox bank's own book (the 'bank' side of the demo/test gateway)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the payer")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    authority = models.CharField(max_length=64, unique=True)
    merchant = models.CharField(max_length=64)
    amount = models.DecimalField(**MONEY)
    order_id = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)
    callback_url = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    ref_id = models.CharField(max_length=40, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.authority
