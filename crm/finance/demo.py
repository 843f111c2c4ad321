"""Money demo data: rights for the accountant and sales posts, receipts (cash, card,
cheques in every state) against the demo's approved invoices, and an open payment link."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission
from django.utils import timezone

from crm.finance import services
from crm.finance.models import Receipt
from crm.finance.selectors import document_paid_amounts
from crm.identities.models import Identity
from crm.org.models import Position, User
from crm.sales.models import Document

RIGHTS = {  # position title -> finance permission codenames ("*": all of them)
    "مدیر عامل": "*",
    "حسابدار": "*",
    "مدیر فروش": ["view_receipt", "view_all_receipt", "view_statement", "view_paymentlink", "add_paymentlink"],
    "کارشناس فروش": ["view_receipt", "add_receipt", "view_statement", "view_paymentlink", "add_paymentlink"],
}
BANKS = ["ملت", "ملی", "صادرات", "پاسارگاد", "سامان"]


def _grant_rights() -> None:
    perms = Permission.objects.filter(content_type__app_label="finance")
    for title, codes in RIGHTS.items():
        for position in Position.objects.filter(title=title):
            position.permissions.add(*(perms if codes == "*" else perms.filter(codename__in=codes)))


def load(rng: Any) -> None:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return
    _grant_rights()
    if Receipt.all_objects.exists():
        return  # loaded before
    cashier = admin  # sees every invoice it allocates to
    invoices = list(
        Document.objects.filter(kind="invoice", direction="sale", status=Document.Status.APPROVED).order_by("id")[:12]
    )
    today = timezone.localdate()
    for index, invoice in enumerate(invoices):
        share = [Decimal(1), Decimal("0.5"), Decimal("0.3"), Decimal(0)][index % 4]
        amount = (invoice.total * share).quantize(Decimal(1))
        if amount <= 0:
            continue
        method = ["cash", "card", "cheque", "transfer"][index % 4]
        cheque = None
        if method == "cheque":
            cheque = {
                "number": str(rng.randint(100000, 999999)),
                "bank": rng.choice(BANKS),
                "branch": "مرکزی",
                "due_date": today + dt.timedelta(days=rng.randint(-5, 25)),
            }
        receipt = services.receipt_create(
            actor=cashier,
            values={
                "identity_id": invoice.identity_id,
                "amount": amount,
                "method": method,
                "date": min(today, invoice.issued_on + dt.timedelta(days=rng.randint(0, 5))),
                "reference": str(rng.randint(10**7, 10**8)) if method in ("card", "transfer") else "",
            },
            allocations=[services.AllocationInput(invoice.pk, amount)],
            cheque=cheque,
        )
        if cheque and cheque["due_date"] < today:
            services.cheque_set_status(actor=cashier, cheque=receipt.cheque, status="deposited")
            if index % 3 == 0:
                services.cheque_set_status(actor=cashier, cheque=receipt.cheque, status="bounced")
            else:
                services.cheque_set_status(actor=cashier, cheque=receipt.cheque, status="cleared")
    paid = document_paid_amounts([d.pk for d in invoices])
    open_invoice = next((d for d in invoices if d.total - paid.get(d.pk, 0) > 0), None)
    if open_invoice is not None:
        services.payment_link_create(
            actor=cashier,
            identity_id=open_invoice.identity_id,
            amount=open_invoice.total - paid.get(open_invoice.pk, 0),
            expires_at=timezone.now() + dt.timedelta(days=3),
            document_id=open_invoice.pk,
            description="پرداخت فاکتور",
        )
    elif (identity := Identity.objects.filter(is_unknown=False).order_by("id").first()) is not None:
        services.payment_link_create(
            actor=cashier,
            identity_id=identity.pk,
            amount=Decimal(2500000),
            expires_at=timezone.now() + dt.timedelta(days=3),
        )
