"""The money test world: customers, approved invoices (made as rows and announced through
crm.sales.events, as the sales services do), and "dana", a cashier with own-only rights."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from crm.identities import services as identity_services
from crm.identities.models import Identity
from crm.org.models import User
from crm.org.testing import appoint, fresh, make_position, make_user
from crm.sales.events import document_event
from crm.sales.models import Document

CASHIER_PERMS = [
    "identities.view_identity",
    "identities.view_all_identity",
    "sales.view_document",
    "sales.view_all_document",
    "finance.view_receipt",
    "finance.add_receipt",
    "finance.change_receipt",
    "finance.view_statement",
    "finance.view_paymentlink",
    "finance.add_paymentlink",
    "finance.change_paymentlink",
]


@dataclass
class MoneyWorld:
    sara: Identity
    ali: Identity
    supplier: Identity
    dana: User
    erin: User  # finance head: sees everyone's receipts
    invoices: list[Document] = field(default_factory=list)


def approved_document(
    actor: Any, identity: Identity, total: str, *, kind: str = "invoice", direction: str = "sale", days_ago: int = 0
) -> Document:
    document = Document.objects.create(
        kind=kind,
        direction=direction,
        identity_id=identity.pk,
        issued_on=timezone.localdate() - dt.timedelta(days=days_ago),
        total=Decimal(total),
        subtotal=Decimal(total),
        status=Document.Status.APPROVED,
        created_by=actor,
        number=f"T{Document.objects.count() + 1}",
    )
    document_event("approved", document=document, actor=actor)
    return document


@pytest.fixture
def money(alice: User) -> MoneyWorld:
    create = identity_services.identity_create
    sara = create(
        actor=alice, first_name="Sara", last_name="Ahmadi", class_code="A", phones=[{"number": "09121234567"}]
    )
    ali = create(actor=alice, first_name="Ali", last_name="Karimi", emails=[{"address": "ali@example.com"}])
    supplier = create(actor=alice, kind=Identity.Kind.ORGANISATION, organisation_name="Parts Co")
    dana = make_user("dana", first_name="Dana")
    appoint(dana, make_position("Cashier", CASHIER_PERMS))
    erin = make_user("erin", first_name="Erin")
    appoint(
        erin,
        make_position(
            "Finance head",
            [*CASHIER_PERMS, "finance.view_all_receipt", "finance.view_all_paymentlink", "finance.change_all_receipt"],
        ),
    )
    world = MoneyWorld(sara=sara, ali=ali, supplier=supplier, dana=fresh(dana), erin=fresh(erin))
    world.invoices = [
        approved_document(alice, sara, "1000000", days_ago=10),
        approved_document(alice, sara, "500000", days_ago=5),
    ]
    return world
