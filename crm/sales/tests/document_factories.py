"""A small sales world for document tests: products, a class-A price list, customers and
the people: alice (superuser), bob (sales expert: own documents), dana (sales manager:
approves), charlie (no rights)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from crm.identities.models import Email, Identity, Phone
from crm.org.testing import appoint, fresh, make_position, make_user
from crm.sales import documents
from crm.sales.documents import LineInput
from crm.sales.models import PriceList, PriceListItem, PriceListRule, Product, ProductGroup

D = Decimal
EXPERT_PERMS = [
    "sales.view_document",
    "sales.add_document",
    "sales.change_document",
    "sales.delete_document",
    "identities.view_identity",
    "identities.view_all_identity",
]
MANAGER_PERMS = [
    *EXPERT_PERMS,
    "sales.view_all_document",
    "sales.change_all_document",
    "sales.approve_document",
    "sales.override_document_totals",
    "sales.choose_price_list",
]


@dataclass
class SalesWorld:
    alice: Any
    bob: Any
    dana: Any
    charlie: Any
    customer: Identity
    customer_b: Identity
    pen: Product
    book: Product
    service: Product
    class_a: PriceList


def make_identity(name: str, class_code: str = "", **extra: Any) -> Identity:
    return Identity.objects.create(
        kind=Identity.Kind.ORGANISATION,
        organisation_name=name,
        display_name=name,
        name_key=name.lower(),
        class_code=class_code,
        **extra,
    )


def build_world(alice: Any, bob: Any, charlie: Any) -> SalesWorld:
    expert = make_position("Sales expert (documents)", EXPERT_PERMS)
    appoint(bob, expert)
    manager = make_position("Sales manager", MANAGER_PERMS)
    dana = make_user("dana", first_name="Dana")
    appoint(dana, manager)
    group = ProductGroup.objects.create(name="Stationery", path="")
    group.path = f"{group.pk:06d}."
    group.save(update_fields=["path"])
    pen = Product.objects.create(code="P-1", name="Pen", name_key="pen", group=group, sale_price=D("100.00"))
    book = Product.objects.create(code="B-1", name="Book", name_key="book", group=group, sale_price=D("250.00"))
    service = Product.objects.create(
        code="S-1",
        name="Installation",
        name_key="installation",
        kind=Product.Kind.SERVICE,
        sale_price=D("1000.00"),
        tax_exempt=True,
    )
    class_a = PriceList.objects.create(name="Class A", code="class-a", customer_classes=["A"], priority=10)
    PriceListItem.objects.create(price_list=class_a, product=pen, price=D("80.00"))
    PriceListRule.objects.create(
        price_list=class_a, group=group, method=PriceListRule.Method.PERCENT_DOWN, value=D("10")
    )
    customer = make_identity("Parsian Co", class_code="A")
    Phone.objects.create(identity=customer, number="+989121234567", kind=Phone.Kind.MOBILE, is_primary=True)
    Email.objects.create(identity=customer, address="buyer@parsian.example", is_primary=True)
    customer_b = make_identity("Other Co", class_code="B")
    return SalesWorld(
        alice=alice,
        bob=fresh(bob),
        dana=fresh(dana),
        charlie=charlie,
        customer=customer,
        customer_b=customer_b,
        pen=pen,
        book=book,
        service=service,
        class_a=class_a,
    )


@pytest.fixture
def world(alice: Any, bob: Any, charlie: Any) -> SalesWorld:
    return build_world(alice, bob, charlie)


def lines(*specs: tuple[Product, Any]) -> list[LineInput]:
    return [LineInput(product_id=product.pk, quantity=D(str(quantity))) for product, quantity in specs]


def make_document(world: SalesWorld, *, actor: Any = None, kind: str = "quote", **values: Any) -> Any:
    specs = values.pop("lines", None) or [(world.pen, 2), (world.book, 1)]
    return documents.document_create(
        actor=actor or world.bob,
        kind=kind,
        values={"identity_id": world.customer.pk, **values},
        lines=lines(*specs),
    )


@pytest.fixture
def quiet_events(monkeypatch: Any) -> None:
    """Sales alone: stock and money handlers of `crm.sales.events` are left out (their own
    tests cover them), so approvals here need no warehouse or stock."""
    from crm.sales import events

    monkeypatch.setattr(events, "_handlers", {"approved": [], "unapproved": [], "cancelled": []})
