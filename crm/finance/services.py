"""Writes of the money context: receipts and payments with their allocations, cheques and
their life, payment links and online payments. Each service checks access, validates,
writes in one transaction, audits, posts to the ledger and keeps identity histories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.customfields.services import custom_values_apply, custom_values_audit
from crm.core.errors import CoreError
from crm.core.i18n.formatting import format_date, format_number
from crm.core.notifications.registry import MessageKind, register_message_kind
from crm.core.notifications.services import notify
from crm.core.numbering.models import DocumentNumbering, NumberSequence
from crm.core.numbering.services import document_number_next
from crm.core.permissions.access import can, require_perm
from crm.core.scheduling.services import due_job_cancel, due_job_schedule
from crm.core.timeline.services import timeline_record
from crm.finance.errors import FinanceError, FinanceErrorCode
from crm.finance.gateways.base import GatewayError
from crm.finance.gateways.registry import default_provider, gateway_get
from crm.finance.ledger import CHEQUE, RECEIPT, ledger_post, ledger_reverse
from crm.finance.models import (
    ZERO,
    Allocation,
    Cheque,
    ChequeEvent,
    GatewayTransaction,
    LedgerEntry,
    PaymentLink,
    Receipt,
)
from crm.finance.selectors import document_paid_amounts
from crm.identities.selectors import identity_base_for_user
from crm.sales.models import Direction, Document, Kind

RECEIPT_ITEM = "finance.receipt"
LINK_ITEM = "finance.paymentlink"
CHEQUE_DUE_JOB = "finance.cheque_due"
LINK_SALT = "crm.finance.paymentlink"
RECEIPT_FIELDS = ("direction", "method", "identity_id", "date", "amount", "reference", "notes")
EDITABLE_FIELDS = ("date", "reference", "notes")
CHEQUE_FIELDS = ("number", "bank", "branch", "account", "due_date")
# which invoices a receipt (money in) or a payment (money out) may settle
ALLOCATABLE = {
    Receipt.Direction.IN: {(Direction.SALE, Kind.INVOICE), (Direction.PURCHASE, Kind.RETURN)},
    Receipt.Direction.OUT: {(Direction.PURCHASE, Kind.INVOICE), (Direction.SALE, Kind.RETURN)},
}
CHEQUE_MOVES = {
    Cheque.Status.RECEIVED: {Cheque.Status.DEPOSITED, Cheque.Status.BOUNCED, Cheque.Status.RETURNED},
    Cheque.Status.DEPOSITED: {Cheque.Status.CLEARED, Cheque.Status.BOUNCED},
    Cheque.Status.BOUNCED: {Cheque.Status.DEPOSITED, Cheque.Status.RETURNED},
    Cheque.Status.CLEARED: set(),
    Cheque.Status.RETURNED: set(),
}
# a cheque in these states did not pay: the identity owes its amount again
UNPAID_CHEQUE = {Cheque.Status.BOUNCED, Cheque.Status.RETURNED}

register_message_kind(
    MessageKind(
        key="finance.cheque_due",
        label=_("Cheque falls due soon"),
        subject=_("Cheque {{ number }} falls due on {{ due }}"),
        body=_("The cheque {{ number }} of {{ bank }} from {{ identity }} for {{ amount }} falls due on {{ due }}."),
        placeholders={
            "number": _("cheque number"),
            "bank": _("bank"),
            "identity": _("customer"),
            "amount": _("amount"),
            "due": _("due date"),
        },
    )
)
register_message_kind(
    MessageKind(
        key="finance.cheque_bounced",
        label=_("Cheque bounced"),
        subject=_("Cheque {{ number }} bounced"),
        body=_("The cheque {{ number }} of {{ bank }} from {{ identity }} for {{ amount }} bounced."),
        placeholders={
            "number": _("cheque number"),
            "bank": _("bank"),
            "identity": _("customer"),
            "amount": _("amount"),
        },
    )
)
register_message_kind(
    MessageKind(
        key="finance.link_paid",
        label=_("Payment link paid"),
        subject=_("{{ identity }} paid {{ amount }} online"),
        body=_("{{ identity }} paid {{ amount }} through a payment link; receipt {{ receipt }}."),
        placeholders={"identity": _("customer"), "amount": _("amount"), "receipt": _("receipt number")},
    )
)


def _identity_name(identity_id: int) -> str:
    from crm.identities.models import Identity

    return (
        Identity.all_objects.filter(pk=identity_id).values_list("display_name", flat=True).first() or f"#{identity_id}"
    )


def _require_identity(actor: Any, identity_id: Any) -> int:
    try:
        identity_id = int(identity_id)
    except (TypeError, ValueError):
        raise FinanceError(FinanceErrorCode.IDENTITY_NOT_FOUND, fields={"identity": [str(_("Choose one."))]}) from None
    if not identity_base_for_user(user=actor).filter(pk=identity_id).exists():
        raise FinanceError(FinanceErrorCode.IDENTITY_NOT_FOUND)
    return identity_id


# --- numbering -------------------------------------------------------------------------------


def _number(direction: str, on: dt.date) -> str:
    doc_type = "finance.receipt" if direction == Receipt.Direction.IN else "finance.payment"
    if not DocumentNumbering.objects.filter(doc_type=doc_type).exists():  # a flushed test database
        key = doc_type.replace(".", "_")
        sequence, _created = NumberSequence.objects.get_or_create(
            key=key, defaults={"name": doc_type, "prefix": "R" if direction == "in" else "P", "start": 1001}
        )
        DocumentNumbering.objects.get_or_create(doc_type=doc_type, defaults={"label": doc_type, "sequence": sequence})
    try:
        return document_number_next(doc_type=doc_type, event="create", on=on) or ""
    except CoreError:
        return ""


# --- receipts and payments (FN-1) ------------------------------------------------------------


def _receipt_history(receipt: Receipt, actor: Any) -> None:
    summary = f"{receipt.get_direction_display()} {receipt.number} · {format_number(receipt.amount)}"
    timeline_record(
        identity_ids=[receipt.identity_id],
        item_type=RECEIPT_ITEM,
        item_id=receipt.pk,
        occurred_at=receipt.created_at,
        summary=summary,
        actor=receipt.created_by or actor,
        extra={
            "amount": str(receipt.amount),
            "method": receipt.method,
            "direction": receipt.direction,
            "status": receipt.status,
        },
    )


def _post_receipt(receipt: Receipt, actor: Any) -> None:
    money_in = receipt.direction == Receipt.Direction.IN
    ledger_post(
        identity_id=receipt.identity_id,
        date=receipt.date,
        kind=LedgerEntry.Kind.RECEIPT if money_in else LedgerEntry.Kind.PAYMENT,
        source_type=RECEIPT,
        source_id=receipt.pk,
        debit=ZERO if money_in else receipt.amount,
        credit=receipt.amount if money_in else ZERO,
        description=f"{receipt.get_method_display()} {receipt.number} {receipt.reference}".strip(),
        actor=actor,
    )


@dataclass(frozen=True)
class AllocationInput:
    document_id: int
    amount: Decimal


def _allocations_apply(receipt: Receipt, allocations: Iterable[AllocationInput], actor: Any = None) -> None:
    """Replace the receipt's allocations (checked against each invoice's open amount); a
    user may only allocate to invoices they may see (`actor` None: the system)."""
    wanted: dict[int, Decimal] = {}
    for row in allocations:
        amount = Decimal(row.amount or 0)
        if amount < 0:
            raise FinanceError(FinanceErrorCode.AMOUNT_NOT_POSITIVE)
        if amount:
            wanted[int(row.document_id)] = wanted.get(int(row.document_id), ZERO) + amount
    if sum(wanted.values(), ZERO) > receipt.amount:
        raise FinanceError(FinanceErrorCode.ALLOCATION_OVER_RECEIPT)
    Allocation.objects.filter(receipt=receipt).delete()
    if not wanted:
        return
    # lock the invoices so two receipts cannot both take the same open amount
    documents = {d.pk: d for d in Document.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk")}
    paid = document_paid_amounts(list(wanted))
    allowed = ALLOCATABLE[receipt.direction]
    if actor is not None:
        from crm.sales.document_selectors import document_base_for_user

        visible = set(document_base_for_user(user=actor).filter(pk__in=list(wanted)).values_list("pk", flat=True))
        documents = {pk: d for pk, d in documents.items() if pk in visible}
    for document_id, amount in wanted.items():
        document = documents.get(document_id)
        if (
            document is None
            or document.identity_id != receipt.identity_id
            or document.status != Document.Status.APPROVED
            or (document.direction, document.kind) not in allowed
        ):
            raise FinanceError(FinanceErrorCode.INVOICE_NOT_ALLOCATABLE, document=str(document or f"#{document_id}"))
        open_amount = document.total - paid.get(document_id, ZERO)
        if amount > open_amount:
            raise FinanceError(
                FinanceErrorCode.ALLOCATION_OVER_OPEN,
                open=format_number(max(open_amount, ZERO)),
                document=str(document),
            )
        Allocation.objects.create(receipt=receipt, document=document, amount=amount)


@transaction.atomic
def receipt_create(
    *,
    actor: Any,
    values: dict[str, Any],
    allocations: Iterable[AllocationInput] = (),
    cheque: dict[str, Any] | None = None,
    custom: dict[str, Any] | None = None,
    system: bool = False,
    created_by: Any = None,
    gateway_ref: str | None = None,
    payment_link: PaymentLink | None = None,
) -> Receipt:
    """Record money received or paid. `system` is for the online payment path (no user)."""
    if not system:
        require_perm(actor, "finance.add_receipt")
    data = {k: v for k, v in values.items() if k in RECEIPT_FIELDS}
    data["identity_id"] = (
        int(data.get("identity_id") or 0) if system else _require_identity(actor, data.get("identity_id"))
    )
    data.setdefault("date", timezone.localdate())
    data.setdefault("direction", Receipt.Direction.IN)
    amount = data.get("amount")
    if amount is None or Decimal(amount) <= 0:
        raise FinanceError(FinanceErrorCode.AMOUNT_NOT_POSITIVE, fields={"amount": [str(_("More than zero."))]})
    if data.get("direction") not in Receipt.Direction.values or data.get("method", "cash") not in Receipt.Method.values:
        raise FinanceError(FinanceErrorCode.INVALID)
    cheque_data = {k: v for k, v in (cheque or {}).items() if k in CHEQUE_FIELDS}
    if data.get("method") == Receipt.Method.CHEQUE and not all(
        cheque_data.get(k) for k in ("number", "bank", "due_date")
    ):
        raise FinanceError(FinanceErrorCode.CHEQUE_DETAILS_MISSING)
    receipt = Receipt(
        created_by=created_by or (actor if getattr(actor, "is_authenticated", False) else None),
        gateway_ref=gateway_ref,
        payment_link=payment_link,
        **data,
    )
    receipt.number = _number(receipt.direction, receipt.date)
    if custom is not None:
        custom_values_apply(obj=receipt, data=custom)
    tracked_create(obj=receipt, actor=actor, action="receipt.created")
    _allocations_apply(receipt, allocations, None if system else actor)
    _post_receipt(receipt, actor)
    if receipt.method == Receipt.Method.CHEQUE:
        row = Cheque.objects.create(
            receipt=receipt,
            identity_id=receipt.identity_id,
            amount=receipt.amount,
            status_at=timezone.now(),
            **cheque_data,
        )
        ChequeEvent.objects.create(cheque=row, from_status="", to_status=row.status, actor=_actor_user(actor))
        _cheque_remind_schedule(row)
    _receipt_history(receipt, actor)
    return receipt


def _actor_user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _require_change(actor: Any, receipt: Receipt) -> None:
    if not can(actor, "change", receipt):
        raise FinanceError(FinanceErrorCode.NOT_ALLOWED)


@transaction.atomic
def receipt_update(
    *, actor: Any, receipt: Receipt, values: dict[str, Any], custom: dict[str, Any] | None = None
) -> Receipt:
    """Date, reference, notes and custom fields; the amount, identity and method stay (to
    change those, cancel the receipt and record it again)."""
    _require_change(actor, receipt)
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if receipt.status == Receipt.Status.CANCELLED:
        raise FinanceError(FinanceErrorCode.RECEIPT_CANCELLED)
    data = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    before = dict(receipt.custom or {})
    if custom is not None:
        custom_values_apply(obj=receipt, data=custom)
        data["custom"] = receipt.custom
    tracked_update(obj=receipt, actor=actor, **data)
    custom_values_audit(actor=actor, obj=receipt, before=before, after=receipt.custom or {})
    if "date" in data:  # the ledger follows the receipt's date
        LedgerEntry.objects.filter(
            source_type=RECEIPT, source_id=receipt.pk, reversal_of__isnull=True, kind__in=["receipt", "payment"]
        ).update(date=receipt.date)
    _receipt_history(receipt, actor)
    return receipt


@transaction.atomic
def receipt_allocate(*, actor: Any, receipt: Receipt, allocations: Iterable[AllocationInput]) -> Receipt:
    _require_change(actor, receipt)
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if receipt.status == Receipt.Status.CANCELLED:
        raise FinanceError(FinanceErrorCode.RECEIPT_CANCELLED)
    before = list(receipt.allocations.values_list("document_id", "amount"))
    _allocations_apply(receipt, allocations, actor)
    after = list(receipt.allocations.values_list("document_id", "amount"))
    audit_record(
        actor=actor,
        target=receipt,
        action="receipt.allocated",
        changes={"allocations": [[[d, str(a)] for d, a in before], [[d, str(a)] for d, a in after]]},
    )
    return receipt


@transaction.atomic
def receipt_cancel(*, actor: Any, receipt: Receipt, reason: str = "") -> Receipt:
    """Void a receipt: its ledger entries (and a bounced cheque's) are reversed and its
    allocations stop counting."""
    _require_change(actor, receipt)
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if receipt.status == Receipt.Status.CANCELLED:
        raise FinanceError(FinanceErrorCode.RECEIPT_CANCELLED)
    receipt.status, receipt.cancelled_at = Receipt.Status.CANCELLED, timezone.now()
    receipt.save(update_fields=["status", "cancelled_at", "updated_at"])
    ledger_reverse(source_type=RECEIPT, source_id=receipt.pk, actor=actor)
    cheque = Cheque.objects.filter(receipt=receipt).first()
    if cheque is not None:
        ledger_reverse(source_type=CHEQUE, source_id=cheque.pk, actor=actor)
        due_job_cancel(dedupe_key=_remind_key(cheque))
    audit_record(actor=actor, target=receipt, action="receipt.cancelled", changes={"reason": reason[:300]})
    _receipt_history(receipt, actor)
    return receipt


# --- cheques ---------------------------------------------------------------------------------


def _remind_key(cheque: Cheque) -> str:
    return f"{CHEQUE_DUE_JOB}:{cheque.pk}:{cheque.due_date.isoformat()}"


def cheque_remind_days() -> int:
    return int(getattr(settings, "CRM_CHEQUE_REMIND_DAYS", 3))


def _cheque_remind_schedule(cheque: Cheque) -> None:
    today = timezone.localdate()
    if cheque.due_date < today:
        return
    day = max(today, cheque.due_date - dt.timedelta(days=cheque_remind_days()))
    due_at = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
    due_job_schedule(kind=CHEQUE_DUE_JOB, due_at=due_at, payload={"cheque": cheque.pk}, dedupe_key=_remind_key(cheque))


def cheque_values(cheque: Cheque) -> dict[str, str]:
    return {
        "number": cheque.number,
        "bank": cheque.bank,
        "identity": _identity_name(cheque.identity_id),
        "amount": format_number(cheque.amount),
        "due": format_date(cheque.due_date),
    }


def finance_staff() -> list[Any]:
    """Who hears about cheques: holders of a position with `finance.view_all_receipt`
    (today, substitutes included) and users given it directly."""
    from django.contrib.auth.models import Permission

    from crm.org.models import Position, User
    from crm.org.selectors import users_holding_position

    permission = Permission.objects.filter(content_type__app_label="finance", codename="view_all_receipt").first()
    if permission is None:
        return []
    people: dict[int, Any] = {}
    for position_id in Position.objects.filter(permissions=permission, active=True).values_list("pk", flat=True):
        for user in users_holding_position(position_id):
            people[user.pk] = user
    for user in User.objects.filter(is_active=True, user_permissions=permission):
        people[user.pk] = user
    return list(people.values())


def cheque_remind(*, cheque_id: int) -> int:
    """Tell the finance staff (and the receipt's creator) that a cheque falls due; once per cheque."""
    cheque = Cheque.objects.select_related("receipt__created_by").filter(pk=cheque_id).first()
    if cheque is None or cheque.status not in (Cheque.Status.RECEIVED, Cheque.Status.DEPOSITED):
        return 0
    if cheque.receipt.status == Receipt.Status.CANCELLED:
        return 0
    users = finance_staff()
    if cheque.receipt.created_by is not None:
        users.append(cheque.receipt.created_by)
    made = notify(
        users=users,
        kind=CHEQUE_DUE_JOB,
        values=lambda user: cheque_values(cheque),
        dedupe_key=f"{CHEQUE_DUE_JOB}:{cheque.pk}",
        url=reverse("finance:receipt_detail", args=[cheque.receipt_id]),
        item_type=RECEIPT_ITEM,
        item_id=cheque.receipt_id,
    )
    return len(made)


@transaction.atomic
def cheque_update(*, actor: Any, cheque: Cheque, values: dict[str, Any]) -> Cheque:
    _require_change(actor, cheque.receipt)
    cheque = Cheque.objects.select_for_update().get(pk=cheque.pk)
    old_key = _remind_key(cheque)
    data = {k: v for k, v in values.items() if k in CHEQUE_FIELDS}
    if tracked_update(obj=cheque, actor=actor, action="cheque.updated", **data) and "due_date" in data:
        due_job_cancel(dedupe_key=old_key)
        if cheque.status in (Cheque.Status.RECEIVED, Cheque.Status.DEPOSITED):
            _cheque_remind_schedule(cheque)
    return cheque


@transaction.atomic
def cheque_set_status(*, actor: Any, cheque: Cheque, status: str, note: str = "") -> Cheque:
    """Move a cheque on: received → deposited → cleared / bounced; bounced → deposited
    again or returned. A bounced (or returned unpaid) cheque debits the customer again;
    depositing a bounced cheque again takes that debit back."""
    receipt = Receipt.objects.get(pk=cheque.receipt_id)
    _require_change(actor, receipt)
    if receipt.status == Receipt.Status.CANCELLED:
        raise FinanceError(FinanceErrorCode.RECEIPT_CANCELLED)
    cheque = Cheque.objects.select_for_update().get(pk=cheque.pk)
    current = cheque.status
    if status not in CHEQUE_MOVES.get(current, set()):
        labels = dict(Cheque.Status.choices)
        raise FinanceError(
            FinanceErrorCode.CHEQUE_TRANSITION,
            current=str(labels.get(current, current)),
            target=str(labels.get(status, status)),
        )
    cheque.status, cheque.status_at = status, timezone.now()
    cheque.save(update_fields=["status", "status_at", "updated_at"])
    ChequeEvent.objects.create(
        cheque=cheque, from_status=current, to_status=status, note=note[:300], actor=_actor_user(actor)
    )
    audit_record(
        actor=actor, target=receipt, action="cheque.status", changes={"status": [current, status], "note": note}
    )
    money_in = receipt.direction == Receipt.Direction.IN
    if status in UNPAID_CHEQUE and current not in UNPAID_CHEQUE:
        ledger_post(
            identity_id=cheque.identity_id,
            date=timezone.localdate(),
            kind=LedgerEntry.Kind.CHEQUE_BOUNCED,
            source_type=CHEQUE,
            source_id=cheque.pk,
            debit=cheque.amount if money_in else ZERO,
            credit=ZERO if money_in else cheque.amount,
            description=f"{cheque.bank} {cheque.number}",
            actor=actor,
        )
    elif current in UNPAID_CHEQUE and status not in UNPAID_CHEQUE:
        ledger_reverse(source_type=CHEQUE, source_id=cheque.pk, actor=actor)
    if status in (Cheque.Status.CLEARED, Cheque.Status.BOUNCED, Cheque.Status.RETURNED):
        due_job_cancel(dedupe_key=_remind_key(cheque))
    if status == Cheque.Status.BOUNCED:
        users = finance_staff() + ([receipt.created_by] if receipt.created_by_id else [])
        notify(
            users=users,
            kind="finance.cheque_bounced",
            values=lambda user: cheque_values(cheque),
            dedupe_key=f"finance.cheque_bounced:{cheque.pk}:{cheque.events.count()}",
            url=reverse("finance:receipt_detail", args=[receipt.pk]),
            item_type=RECEIPT_ITEM,
            item_id=receipt.pk,
        )
    return cheque


# --- reactions to sales documents ------------------------------------------------------------

DOCUMENT_POSTING = {
    (Direction.SALE, Kind.INVOICE): (LedgerEntry.Kind.SALE_INVOICE, "debit"),
    (Direction.SALE, Kind.RETURN): (LedgerEntry.Kind.SALE_RETURN, "credit"),
    (Direction.PURCHASE, Kind.INVOICE): (LedgerEntry.Kind.PURCHASE_INVOICE, "credit"),
    (Direction.PURCHASE, Kind.RETURN): (LedgerEntry.Kind.PURCHASE_RETURN, "debit"),
}


def document_posted(*, document: Any, actor: Any) -> LedgerEntry | None:
    """An approved invoice or return moves the identity's balance (once per approval)."""
    from crm.finance.ledger import DOCUMENT, live_entries

    posting = DOCUMENT_POSTING.get((document.direction, document.kind))
    if posting is None or not document.total:
        return None
    if live_entries(source_type=DOCUMENT, source_id=document.pk).exists():
        return None
    kind, side = posting
    amount = abs(Decimal(document.total))
    return ledger_post(
        identity_id=document.identity_id,
        date=document.issued_on,
        kind=kind,
        source_type=DOCUMENT,
        source_id=document.pk,
        debit=amount if side == "debit" else ZERO,
        credit=amount if side == "credit" else ZERO,
        description=str(document),
        actor=actor,
    )


def document_unposted(*, document: Any, actor: Any, cancelling: bool = False) -> list[LedgerEntry]:
    from crm.finance.ledger import DOCUMENT

    if cancelling and document_paid_amounts([document.pk]).get(document.pk):
        raise FinanceError(FinanceErrorCode.DOCUMENT_ALLOCATED)
    return ledger_reverse(source_type=DOCUMENT, source_id=document.pk, actor=actor, description=str(document))


# --- payment links (FN-2) --------------------------------------------------------------------


def _link_history(link: PaymentLink, actor: Any) -> None:
    timeline_record(
        identity_ids=[link.identity_id],
        item_type=LINK_ITEM,
        item_id=link.pk,
        occurred_at=link.created_at,
        summary=f"{format_number(link.amount)} · {link.get_status_display()}",
        actor=link.created_by or actor,
        extra={"amount": str(link.amount), "status": link.status},
    )


def payment_link_token(link: PaymentLink) -> str:
    return signing.Signer(salt=LINK_SALT).sign(link.public_id.hex)


def payment_link_from_token(token: str) -> PaymentLink | None:
    try:
        value = signing.Signer(salt=LINK_SALT).unsign(str(token))
    except signing.BadSignature:
        return None
    return PaymentLink.objects.filter(public_id=value).first() if len(value) == 32 else None


def payment_link_path(link: PaymentLink) -> str:
    return reverse("finance_public:pay", args=[payment_link_token(link)])


def payment_link_url(link: PaymentLink) -> str:
    base = getattr(settings, "CRM_PUBLIC_URL", "").rstrip("/")
    return f"{base}{payment_link_path(link)}"


def payment_link_state(link: PaymentLink, now: dt.datetime | None = None) -> str:
    if link.status == PaymentLink.Status.OPEN and link.expires_at <= (now or timezone.now()):
        return "expired"
    return link.status


@transaction.atomic
def payment_link_create(
    *,
    actor: Any,
    identity_id: Any,
    amount: Decimal,
    expires_at: dt.datetime,
    document_id: int | None = None,
    description: str = "",
) -> PaymentLink:
    require_perm(actor, "finance.add_paymentlink")
    identity_id = _require_identity(actor, identity_id)
    if amount is None or Decimal(amount) <= 0:
        raise FinanceError(FinanceErrorCode.AMOUNT_NOT_POSITIVE, fields={"amount": [str(_("More than zero."))]})
    if expires_at <= timezone.now():
        raise FinanceError(FinanceErrorCode.LINK_EXPIRY_PAST, fields={"expires_at": [str(_("In the future."))]})
    document = None
    if document_id:
        from crm.sales.document_selectors import document_base_for_user

        document = document_base_for_user(user=actor).filter(pk=document_id).first()
        if (
            document is None
            or document.identity_id != identity_id
            or document.status != Document.Status.APPROVED
            or (document.direction, document.kind) not in ALLOCATABLE[Receipt.Direction.IN]
        ):
            raise FinanceError(FinanceErrorCode.INVOICE_NOT_ALLOCATABLE, document=str(document or f"#{document_id}"))
        open_amount = document.total - document_paid_amounts([document.pk]).get(document.pk, ZERO)
        if Decimal(amount) > open_amount:
            raise FinanceError(
                FinanceErrorCode.ALLOCATION_OVER_OPEN,
                open=format_number(max(open_amount, ZERO)),
                document=str(document),
            )
    link = PaymentLink(
        created_by=actor,
        identity_id=identity_id,
        document=document,
        amount=Decimal(amount),
        expires_at=expires_at,
        description=description[:200],
    )
    tracked_create(obj=link, actor=actor, action="paymentlink.created")
    _link_history(link, actor)
    return link


@transaction.atomic
def payment_link_cancel(*, actor: Any, link: PaymentLink) -> PaymentLink:
    if not can(actor, "view", link) or not (actor.is_superuser or actor.has_perm("finance.change_paymentlink")):
        raise FinanceError(FinanceErrorCode.NOT_ALLOWED)
    link = PaymentLink.objects.select_for_update().get(pk=link.pk)
    if link.status != PaymentLink.Status.OPEN:
        raise FinanceError(FinanceErrorCode.LINK_NOT_OPEN)
    tracked_update(obj=link, actor=actor, action="paymentlink.cancelled", status=PaymentLink.Status.CANCELLED)
    _link_history(link, actor)
    return link


def payment_link_message(link: PaymentLink) -> str:
    return str(_("Please pay %(amount)s here: %(url)s")) % {
        "amount": format_number(link.amount),
        "url": payment_link_url(link),
    }


def payment_link_send(*, actor: Any, link: PaymentLink, channel: str) -> int:
    """Send the link by SMS or email through messaging (when that module is there)."""
    try:
        from crm.messaging.quicksend import quick_send  # type: ignore[import-not-found]
    except ImportError as exc:
        raise FinanceError(FinanceErrorCode.SENDING_UNAVAILABLE) from exc
    if channel not in ("sms", "email"):
        raise FinanceError(FinanceErrorCode.INVALID)
    if payment_link_state(link) != PaymentLink.Status.OPEN:
        raise FinanceError(FinanceErrorCode.LINK_NOT_OPEN)
    body = payment_link_message(link)
    messages = quick_send(
        actor=actor,
        channel=channel,
        identity_ids=[link.identity_id],
        body=body,
        subject=str(_("Payment link")) if channel == "email" else "",
    )
    if not messages:
        raise FinanceError(FinanceErrorCode.NO_ADDRESS)
    sent_to = ", ".join(sorted({str(getattr(m, "to_address", "") or "") for m in messages} - {""}))
    with transaction.atomic():
        PaymentLink.objects.filter(pk=link.pk).update(sent_to=(sent_to or channel)[:200])
        audit_record(actor=actor, target=link, action="paymentlink.sent", changes={"channel": channel, "to": sent_to})
    return len(messages)


@transaction.atomic
def payment_start(
    *, link: PaymentLink, callback_url: str, provider: str | None = None
) -> tuple[GatewayTransaction, str]:
    """The payer pressed "pay": book the payment at the gateway; returns where to send them."""
    link = PaymentLink.objects.select_for_update().get(pk=link.pk)
    state = payment_link_state(link)
    if state == "expired":
        raise FinanceError(FinanceErrorCode.LINK_EXPIRED)
    if state != PaymentLink.Status.OPEN:
        raise FinanceError(FinanceErrorCode.LINK_NOT_OPEN)
    provider = provider or default_provider()
    gateway = gateway_get(provider)
    if gateway is None:
        raise FinanceError(FinanceErrorCode.GATEWAY_UNKNOWN, provider=provider)
    try:
        request = gateway.request(
            amount=link.amount,
            order_id=f"L{link.pk}",
            callback_url=callback_url,
            description=link.description or f"{_identity_name(link.identity_id)}",
        )
    except GatewayError as exc:
        raise FinanceError(FinanceErrorCode.GATEWAY_ERROR, reason=str(exc)) from exc
    tx = GatewayTransaction.objects.create(
        link=link, provider=provider, authority=request.authority, amount=link.amount
    )
    return tx, request.redirect_url


def payment_callback(*, provider: str, params: dict[str, str]) -> GatewayTransaction:
    """The bank sent the payer back. Verify server-side (amount from our book, never from
    the request) and record exactly one receipt; a second delivery changes nothing."""
    gateway = gateway_get(provider)
    if gateway is None:
        raise FinanceError(FinanceErrorCode.GATEWAY_UNKNOWN, provider=provider)
    data = gateway.parse_callback(params)
    with transaction.atomic():
        tx = (
            GatewayTransaction.objects.select_for_update()
            .select_related("link")
            .filter(provider=provider, authority=data.authority)
            .first()
        )
        if tx is None or not data.authority:
            raise FinanceError(FinanceErrorCode.TRANSACTION_UNKNOWN)
        if tx.status != GatewayTransaction.Status.STARTED:
            return tx  # already settled one way or the other
        now = timezone.now()
        if not data.ok:
            tx.status, tx.finished_at = GatewayTransaction.Status.CANCELLED, now
            tx.save(update_fields=["status", "finished_at"])
            return tx
        try:
            result = gateway.verify(authority=tx.authority, amount=tx.amount)
        except GatewayError as exc:  # not known yet: the payer may come back, a retry settles it
            tx.message = str(exc)[:300]
            tx.save(update_fields=["message"])
            return tx
        if not result.ok:
            tx.status, tx.finished_at, tx.message = GatewayTransaction.Status.FAILED, now, result.message[:300]
            tx.save(update_fields=["status", "finished_at", "message"])
            return tx
        link = PaymentLink.objects.select_for_update().get(pk=tx.link_id)
        receipt = _online_receipt(tx, link, result.ref_id)
        tx.status, tx.finished_at, tx.ref_id, tx.card = GatewayTransaction.Status.PAID, now, result.ref_id, result.card
        tx.message = receipt.number
        tx.save(update_fields=["status", "finished_at", "ref_id", "card", "message"])
        if link.status == PaymentLink.Status.OPEN:
            link.status, link.paid_at = PaymentLink.Status.PAID, now
            link.save(update_fields=["status", "paid_at", "updated_at"])
            audit_record(actor=None, target=link, action="paymentlink.paid", changes={"receipt": receipt.number})
            _link_history(link, None)
        if link.created_by_id:
            notify(
                users=[link.created_by],
                kind="finance.link_paid",
                values=lambda user: {
                    "identity": _identity_name(link.identity_id),
                    "amount": format_number(receipt.amount),
                    "receipt": receipt.number,
                },
                dedupe_key=f"finance.link_paid:{tx.pk}",
                url=reverse("finance:receipt_detail", args=[receipt.pk]),
                item_type=RECEIPT_ITEM,
                item_id=receipt.pk,
            )
        return tx


def _online_receipt(tx: GatewayTransaction, link: PaymentLink, ref_id: str) -> Receipt:
    gateway_ref = f"{tx.provider}:{ref_id}"
    existing = Receipt.all_objects.filter(gateway_ref=gateway_ref).first()
    if existing is not None:
        return existing
    allocations = []
    if link.document_id:
        open_amount = link.document.total - document_paid_amounts([link.document_id]).get(link.document_id, ZERO)
        if open_amount > 0:
            allocations = [AllocationInput(document_id=link.document_id, amount=min(open_amount, tx.amount))]
    try:
        with transaction.atomic():
            return receipt_create(
                actor=None,
                system=True,
                created_by=link.created_by,
                values={
                    "identity_id": link.identity_id,
                    "direction": Receipt.Direction.IN,
                    "method": Receipt.Method.ONLINE,
                    "amount": tx.amount,
                    "date": timezone.localdate(),
                    "reference": ref_id,
                    "notes": link.description,
                },
                allocations=allocations,
                gateway_ref=gateway_ref,
                payment_link=link,
            )
    except IntegrityError:  # the same bank reference recorded by a racing delivery
        return Receipt.all_objects.get(gateway_ref=gateway_ref)
