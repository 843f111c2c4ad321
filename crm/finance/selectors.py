"""Reads of the money context, always through the user's access rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from crm.core.permissions.access import visible_to
from crm.finance.models import ZERO, Allocation, Balance, Cheque, GatewayTransaction, LedgerEntry, PaymentLink, Receipt

STATEMENT_PERM = "finance.view_statement"
UNPAID_CHEQUE = ("bounced", "returned")


# --- receipts --------------------------------------------------------------------------------


def receipt_base_for_user(*, user: Any, include_deleted: bool = False) -> QuerySet[Receipt]:
    base = Receipt.all_objects.all() if include_deleted else Receipt.objects.all()
    return visible_to(user, base)


def receipt_get_for_user(*, user: Any, pk: int) -> Receipt | None:
    return (
        receipt_base_for_user(user=user)
        .filter(pk=pk)
        .select_related("created_by", "payment_link", "cheque")
        .prefetch_related("allocations__document")
        .first()
    )


@dataclass
class ReceiptFilters:
    direction: str = ""
    method: str = ""
    status: str = ""
    identity_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""


def receipt_list_for_user(*, user: Any, filters: ReceiptFilters | None = None) -> QuerySet[Receipt]:
    f = filters or ReceiptFilters()
    qs = receipt_base_for_user(user=user)
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.method:
        qs = qs.filter(method=f.method)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.identity_id:
        qs = qs.filter(identity_id=f.identity_id)
    if f.date_from:
        qs = qs.filter(date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(date__lte=f.date_to)
    if f.text:
        qs = qs.filter(Q(number__icontains=f.text) | Q(reference__icontains=f.text))
    return qs.order_by("-date", "-id")


def document_paid_amounts(document_ids: list[int]) -> dict[int, Decimal]:
    """How much of each invoice is settled: allocations of recorded receipts whose cheque
    (if any) has not bounced or come back."""
    rows = (
        Allocation.objects.filter(document_id__in=document_ids, receipt__status=Receipt.Status.RECORDED)
        .exclude(receipt__cheque__status__in=UNPAID_CHEQUE)
        .values("document_id")
        .annotate(total=Sum("amount"))
    )
    return {row["document_id"]: row["total"] or ZERO for row in rows}


def document_payment_state(*, total: Decimal, paid: Decimal) -> str:
    if paid <= 0:
        return "unpaid"
    return "paid" if paid >= total else "partly_paid"


PAYMENT_STATES = {"unpaid": "Unpaid", "partly_paid": "Partly paid", "paid": "Paid"}


def open_documents_for(*, user: Any, identity_id: int, direction: str) -> list[dict[str, Any]]:
    """Approved invoices (and returns) of an identity a receipt/payment may settle, with
    their open amounts."""
    from crm.finance.services import ALLOCATABLE
    from crm.sales.document_selectors import document_base_for_user
    from crm.sales.models import Document

    allowed = ALLOCATABLE[direction]
    q = Q()
    for doc_direction, kind in allowed:
        q |= Q(direction=doc_direction, kind=kind)
    docs = list(
        document_base_for_user(user=user)
        .filter(q, identity_id=identity_id, status=Document.Status.APPROVED)
        .order_by("issued_on", "id")[:200]
    )
    paid = document_paid_amounts([d.pk for d in docs])
    out = []
    for doc in docs:
        settled = paid.get(doc.pk, ZERO)
        out.append(
            {
                "document": doc,
                "total": doc.total,
                "paid": settled,
                "open": doc.total - settled,
                "state": document_payment_state(total=doc.total, paid=settled),
            }
        )
    return out


# --- cheques ---------------------------------------------------------------------------------


def cheque_base_for_user(*, user: Any) -> QuerySet[Cheque]:
    return Cheque.objects.filter(receipt__in=receipt_base_for_user(user=user))


@dataclass
class ChequeFilters:
    status: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    direction: str = ""
    identity_id: int | None = None


def cheque_list_for_user(*, user: Any, filters: ChequeFilters | None = None) -> QuerySet[Cheque]:
    f = filters or ChequeFilters()
    qs = cheque_base_for_user(user=user).select_related("receipt")
    if f.status:
        qs = qs.filter(status=f.status)
    if f.due_from:
        qs = qs.filter(due_date__gte=f.due_from)
    if f.due_to:
        qs = qs.filter(due_date__lte=f.due_to)
    if f.direction:
        qs = qs.filter(receipt__direction=f.direction)
    if f.identity_id:
        qs = qs.filter(identity_id=f.identity_id)
    return qs.order_by("due_date", "id")


def cheque_get_for_user(*, user: Any, pk: int) -> Cheque | None:
    return cheque_base_for_user(user=user).filter(pk=pk).select_related("receipt").first()


def cheques_due(*, user: Any, days: int = 7, limit: int = 10) -> list[Cheque]:
    """Cheques still to clear that fall due from today to `days` ahead (and overdue ones)."""
    today = timezone.localdate()
    qs = cheque_base_for_user(user=user).filter(
        status__in=[Cheque.Status.RECEIVED, Cheque.Status.DEPOSITED],
        due_date__lte=today + dt.timedelta(days=days),
        receipt__status=Receipt.Status.RECORDED,
    )
    return list(qs.select_related("receipt").order_by("due_date", "id")[:limit])


# --- payment links ---------------------------------------------------------------------------


def paymentlink_base_for_user(*, user: Any) -> QuerySet[PaymentLink]:
    return visible_to(user, PaymentLink.objects.all())


def paymentlink_list_for_user(*, user: Any, status: str = "", identity_id: int | None = None) -> QuerySet[PaymentLink]:
    qs = paymentlink_base_for_user(user=user).select_related("document")
    now = timezone.now()
    if status == "expired":
        qs = qs.filter(status=PaymentLink.Status.OPEN, expires_at__lte=now)
    elif status == PaymentLink.Status.OPEN:
        qs = qs.filter(status=status, expires_at__gt=now)
    elif status:
        qs = qs.filter(status=status)
    if identity_id:
        qs = qs.filter(identity_id=identity_id)
    return qs.order_by("-id")


def paymentlink_get_for_user(*, user: Any, pk: int) -> PaymentLink | None:
    return paymentlink_base_for_user(user=user).filter(pk=pk).select_related("document", "created_by").first()


def link_transactions(link: PaymentLink) -> list[GatewayTransaction]:
    return list(link.transactions.order_by("-id")[:50])


# --- balances and statements -----------------------------------------------------------------


def can_view_statement(user: Any, identity_id: int) -> bool:
    from crm.identities.selectors import identity_base_for_user

    if not getattr(user, "is_authenticated", False) or not user.has_perm(STATEMENT_PERM):
        return False
    return identity_base_for_user(user=user, include_deleted=True).filter(pk=identity_id).exists()


@dataclass(frozen=True)
class BalanceInfo:
    debit: Decimal
    credit: Decimal
    balance: Decimal

    @property
    def side(self) -> str:
        if self.balance > 0:
            return "debtor"
        return "creditor" if self.balance < 0 else "settled"

    @property
    def amount(self) -> Decimal:
        return abs(self.balance)


def balance_for(identity_id: int) -> BalanceInfo:
    row = Balance.objects.filter(identity_id=identity_id).values_list("debit", "credit", "balance").first()
    return BalanceInfo(*row) if row else BalanceInfo(ZERO, ZERO, ZERO)


def balance_from_ledger(identity_id: int) -> BalanceInfo:
    """The same figures summed from the entries (checks and repairs)."""
    sums = LedgerEntry.objects.filter(identity_id=identity_id).aggregate(d=Sum("debit"), c=Sum("credit"))
    debit, credit = sums["d"] or ZERO, sums["c"] or ZERO
    return BalanceInfo(debit, credit, debit - credit)


def statement(
    *,
    identity_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page: int | None = 1,
    per_page: int | None = 100,
) -> dict[str, Any]:
    """An identity's movements in date order with the running balance after each.

    Pages count back from the latest movements (page 1 = the newest `per_page`, shown
    oldest first; `has_next` = older ones exist), so the page people open reads the index
    backwards and stops: the running balance is worked back from the closing balance (the
    Balance row, kept with every entry) instead of summing the whole history. A date range
    adds two indexed aggregates (after the range, and within it)."""
    entries = LedgerEntry.objects.filter(identity_id=identity_id)
    ranged = entries
    if date_from:
        ranged = ranged.filter(date__gte=date_from)
    if date_to:
        ranged = ranged.filter(date__lte=date_to)
    whole = balance_for(identity_id)
    closing = whole.balance
    if date_to:
        after = entries.filter(date__gt=date_to).aggregate(d=Sum("debit"), c=Sum("credit"))
        closing -= (after["d"] or ZERO) - (after["c"] or ZERO)
    if date_from or date_to:
        sums = ranged.aggregate(d=Sum("debit"), c=Sum("credit"))
        debit, credit = sums["d"] or ZERO, sums["c"] or ZERO
    else:
        debit, credit = whole.debit, whole.credit
    fields = ("id", "date", "kind", "source_type", "source_id", "debit", "credit", "description")
    newest_first = ranged.order_by("-date", "-id")
    newer = ZERO  # net of the movements newer than this page
    if per_page:
        page = max(1, page or 1)
        offset = (page - 1) * per_page
        rows = list(newest_first.values(*fields)[offset : offset + per_page + 1])
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        if offset:
            skipped = LedgerEntry.objects.filter(pk__in=newest_first.values("pk")[:offset])
            sums = skipped.aggregate(d=Sum("debit"), c=Sum("credit"))
            newer = (sums["d"] or ZERO) - (sums["c"] or ZERO)
    else:
        rows, has_next, page = list(newest_first.values(*fields)), False, 1
    kinds = dict(LedgerEntry.Kind.choices)
    running = closing - newer
    for row in rows:  # newest first: the balance after a row, then step back over it
        row["balance"] = running
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
        running -= row["debit"] - row["credit"]
    rows.reverse()
    return {
        "identity_id": identity_id,
        "date_from": date_from,
        "date_to": date_to,
        "opening": closing - debit + credit,
        "debit": debit,
        "credit": credit,
        "closing": closing,
        "rows": rows,
        "page_number": page,
        "has_next": has_next,
    }


def balance_list_for_user(*, user: Any, side: str = "debtors") -> QuerySet[Balance]:
    """Debtors (owing us, largest first) or creditors (we owe them) among the identities
    the user may see; needs the statement right."""
    if not getattr(user, "is_authenticated", False) or not user.has_perm(STATEMENT_PERM):
        return Balance.objects.none()
    qs = Balance.objects.filter(balance__gt=0) if side == "debtors" else Balance.objects.filter(balance__lt=0)
    if not user.is_superuser:
        from crm.identities.selectors import identity_base_for_user

        qs = qs.filter(identity_id__in=identity_base_for_user(user=user).values("pk"))
    return qs.order_by("-balance", "identity_id") if side == "debtors" else qs.order_by("balance", "identity_id")


def balance_total(qs: QuerySet[Balance]) -> Decimal:
    return abs(qs.order_by().aggregate(total=Sum("balance"))["total"] or ZERO)


def identity_names(identity_ids: list[int] | set[int]) -> dict[int, str]:
    from crm.identities.models import Identity

    rows = Identity.all_objects.filter(pk__in=list(identity_ids)).values_list("pk", "display_name")
    return dict(rows)
