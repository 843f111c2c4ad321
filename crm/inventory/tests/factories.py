"""Small stock world for the tests: products (sales rows made directly: test setup only),
warehouses, a keeper, sales documents ready to approve."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from crm.inventory import services
from crm.inventory.models import Warehouse, WarehouseAccess
from crm.org.models import User
from crm.org.testing import appoint, fresh, make_position, make_user
from crm.sales.models import Direction, Document, DocumentLine, Kind, Product, ProductGroup

STOCK_PERMS = (
    "inventory.add_receipt",
    "inventory.add_issue",
    "inventory.add_transfer",
    "inventory.add_adjustment",
    "inventory.reverse_stockmove",
    "inventory.change_stocklevel",
    "inventory.add_purchaserequest",
    "inventory.change_purchaserequest",
)


def make_group(name: str, parent: ProductGroup | None = None) -> ProductGroup:
    group = ProductGroup.objects.create(name=name, parent=parent)
    group.path = (parent.path if parent else "") + f"{group.pk:06d}."
    group.depth = (parent.depth + 1) if parent else 0
    group.save(update_fields=["path", "depth"])
    return group


def make_product(code: str, name: str = "", **extra: Any) -> Product:
    extra.setdefault("sale_price", Decimal(100))
    extra.setdefault("purchase_cost", Decimal(60))
    return Product.objects.create(code=code, name=name or f"Product {code}", name_key=(name or code).lower(), **extra)


def make_warehouse(code: str, name: str = "", **extra: Any) -> Warehouse:
    return Warehouse.objects.create(code=code, name=name or code.title(), **extra)


def grant(warehouse: Warehouse, user: User, keeper: bool = False) -> WarehouseAccess:
    return WarehouseAccess.objects.create(warehouse=warehouse, user=user, keeper=keeper)


def keeper_user(username: str, warehouse: Warehouse, perms: tuple[str, ...] = STOCK_PERMS) -> User:
    user = make_user(username)
    appoint(user, make_position(f"Keeper {username}", perms))
    grant(warehouse, user, keeper=True)
    return fresh(user)


def receive(actor: User, warehouse: Warehouse, product: Product, quantity: int | str, serials: tuple[str, ...] = ()):
    return services.stock_move_create(
        actor=actor,
        kind="receipt",
        warehouse=warehouse,
        lines=[services.LineIn(product.pk, Decimal(quantity), serials)],
    )


def make_document(
    *,
    identity_id: int,
    lines: list[tuple[Product, int | str] | tuple[Product, int | str, list[str]]],
    kind: str = Kind.INVOICE,
    direction: str = Direction.SALE,
    warehouse: Warehouse | None = None,
    approved_on: dt.date | None = None,
) -> Document:
    document = Document.objects.create(
        kind=kind,
        direction=direction,
        identity_id=identity_id,
        issued_on=timezone.localdate(),
        warehouse_id=warehouse.pk if warehouse else None,
        status=Document.Status.APPROVED,
        approved_at=timezone.now()
        if approved_on is None
        else timezone.make_aware(dt.datetime.combine(approved_on, dt.time(12))),
    )
    for position, spec in enumerate(lines):
        product, quantity = spec[0], Decimal(spec[1])
        serials = list(spec[2]) if len(spec) > 2 else []
        DocumentLine.objects.create(
            document=document,
            position=position,
            product=product,
            quantity=quantity,
            unit_price=product.sale_price,
            serials=serials,
        )
    return document


def make_identity(actor: User, first_name: str = "Sara", last_name: str = "Ahmadi") -> int:
    from crm.identities.services import identity_create

    return identity_create(actor=actor, first_name=first_name, last_name=last_name).pk
