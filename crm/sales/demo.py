"""Demo documents: quotes, invoices and a return for demo customers, in every state
(draft, waiting for approval, approved, accepted by the customer, rejected), made through
the services by the demo sales people. The catalogue comes first (`catalogue_demo`).
Idempotent: nothing is added when demo documents exist."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission

from crm.core.errors import ApplicationError
from crm.identities.models import Identity
from crm.org.models import Position, User
from crm.sales import documents
from crm.sales.documents import LineInput
from crm.sales.models import Document, Product

RIGHTS = {  # position title -> document permission codenames (app "sales")
    "مدیر فروش": [
        "view_document",
        "add_document",
        "change_document",
        "delete_document",
        "view_all_document",
        "change_all_document",
        "approve_document",
        "override_document_totals",
        "choose_price_list",
        "change_documentsettings",
        "view_documentsettings",
    ],
    "کارشناس فروش": ["view_document", "add_document", "change_document", "delete_document"],
    "مدیر دفتر": ["view_document", "view_all_document"],
    "حسابدار": ["view_document", "view_all_document", "approve_document"],
    "انباردار": ["view_document", "view_all_document"],
}


def _grant_rights() -> None:
    perms = Permission.objects.filter(content_type__app_label="sales")
    for title, codes in RIGHTS.items():
        for position in Position.objects.filter(title=title):
            position.permissions.add(*perms.filter(codename__in=codes))


def _user(name: str) -> Any:
    return User.objects.filter(username=name, is_active=True).first()


def load(rng: Any) -> None:
    from crm.sales import catalogue_demo

    catalogue_demo.load(rng)
    _grant_rights()
    admin = _user("admin")
    if admin is None or Document.all_objects.exists():
        return
    seller = _user("sara") or admin
    other = _user("reza") or admin
    manager = _user("sales") or admin
    goods = list(Product.objects.filter(active=True, kind=Product.Kind.GOODS).order_by("id")[:40])
    services = list(Product.objects.filter(active=True, kind=Product.Kind.SERVICE).order_by("id")[:20])
    customers = list(
        Identity.objects.filter(is_unknown=False, class_code__in=["A", "B", "C"]).order_by("id")[:12]
    ) or list(Identity.objects.filter(is_unknown=False).order_by("id")[:12])
    if not (goods or services) or not customers:
        return
    plans = [
        "draft",
        "pending",
        "approved",
        "accepted",
        "invoice",
        "invoice",
        "rejected",
        "pending",
        "draft",
        "invoice",
    ]
    for index, plan in enumerate(plans):
        customer = customers[index % len(customers)]
        actor = seller if index % 2 == 0 else other
        pool = services if plan == "invoice" and services else goods or services
        picked = rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
        lines = [
            LineInput(
                product_id=p.pk,
                quantity=Decimal(rng.choice([1, 1, 2, 3, 5])),
                discount_percent=Decimal(rng.choice([0, 0, 5, 10])),
            )
            for p in picked
        ]
        _document(plan, actor=actor, manager=manager, customer=customer, lines=lines)


def _document(plan: str, *, actor: Any, manager: Any, customer: Identity, lines: list[LineInput]) -> None:
    kind = "invoice" if plan == "invoice" else "quote"
    try:
        doc = documents.document_create(
            actor=actor, kind=kind, values={"identity_id": customer.pk, "notes": ""}, lines=lines
        )
        if plan == "draft":
            return
        documents.document_submit(actor=actor, document=doc)
        if plan == "pending":
            return
        if plan == "rejected":
            documents.document_reject(actor=manager, document=doc, note="تخفیف بیش از حد مجاز است")
            return
        documents.document_approve(actor=manager, document=doc)
        if plan == "accepted":
            documents.customer_respond(token=doc.public_token, accept=True, note="")
            invoice = documents.document_issue_from(actor=actor, source=doc, kind="invoice")
            documents.document_submit(actor=actor, document=invoice)
    except ApplicationError:
        return  # e.g. stock not there yet: the document stays where it got to
