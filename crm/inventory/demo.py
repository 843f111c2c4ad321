"""Demo stock: warehouses Central Tehran (default) and Isfahan, the warehouse keeper's
access and rights, opening stock for the demo catalogue (serials for serial-tracked
products), reorder levels (a few already below, so alerts and purchase requests show),
a transfer, an adjustment and a sale of serials with warranty. Runs after the sales demo
(order 70 > 60). Idempotent: nothing is added when a warehouse exists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission
from django.utils import timezone

from crm.core.errors import ApplicationError
from crm.identities.models import Identity
from crm.inventory import services
from crm.inventory.models import Warehouse
from crm.inventory.services import LineIn
from crm.org.models import Position, User
from crm.sales.models import Product

RIGHTS = {  # position title -> inventory permission codenames
    "انباردار": [
        "add_receipt",
        "add_issue",
        "add_transfer",
        "add_adjustment",
        "reverse_stockmove",
        "change_stocklevel",
        "add_purchaserequest",
        "change_purchaserequest",
        "view_purchaserequest",
    ],
    "مدیر فروش": ["view_all_warehouse", "add_purchaserequest", "view_purchaserequest"],
    "حسابدار": ["view_all_warehouse"],
    "مدیر عامل": ["view_all_warehouse", "add_warehouse", "change_warehouse"],
}


def _grant_rights() -> None:
    perms = Permission.objects.filter(content_type__app_label="inventory")
    for title, codes in RIGHTS.items():
        for position in Position.objects.filter(title=title):
            position.permissions.add(*perms.filter(codename__in=codes))


def _warehouses(admin: Any) -> tuple[Warehouse, Warehouse]:
    central = services.warehouse_save(
        actor=admin,
        values={
            "name": "انبار مرکزی تهران",
            "code": "THR",
            "address": "تهران، جاده مخصوص کرج، کیلومتر ۱۲",
            "is_default": True,
        },
    )
    isfahan = services.warehouse_save(
        actor=admin, values={"name": "انبار اصفهان", "code": "ISF", "address": "اصفهان، شهرک صنعتی جی"}
    )
    keepers = Position.objects.filter(title="انباردار")
    for warehouse in (central, isfahan):
        grants = [{"position_id": p.pk, "keeper": True} for p in keepers]
        keeper = User.objects.filter(username="kamran").first()
        if keeper is not None:
            grants.append({"user_id": keeper.pk, "keeper": True})
        services.warehouse_access_set(actor=admin, warehouse=warehouse, grants=grants)
    return central, isfahan


def _opening(rng: Any, admin: Any, warehouse: Warehouse, products: list[Product], share: float) -> None:
    lines = []
    for product in products:
        if rng.random() > share:
            continue
        if product.tracking == Product.Tracking.SERIAL:
            count = rng.randint(2, 6)
            serials = tuple(f"{product.code}-{warehouse.code}-{n:04d}" for n in range(1, count + 1))
            lines.append(LineIn(product.pk, Decimal(count), serials))
        else:
            lines.append(LineIn(product.pk, Decimal(rng.choice([3, 8, 12, 20, 40, 75]))))
    if lines:
        services.stock_move_create(
            actor=admin,
            kind="receipt",
            warehouse=warehouse,
            lines=lines,
            moved_on=timezone.localdate() - dt.timedelta(days=30),
            notes="موجودی اول دوره",
        )


def _history(rng: Any, admin: Any, central: Warehouse, isfahan: Warehouse, products: list[Product]) -> None:
    plain = [p for p in products if p.tracking == Product.Tracking.QUANTITY]
    serial = [p for p in products if p.tracking == Product.Tracking.SERIAL]
    if plain:
        services.stock_move_create(
            actor=admin,
            kind="transfer",
            warehouse=central,
            to_warehouse=isfahan,
            lines=[LineIn(plain[0].pk, Decimal(2))],
            moved_on=timezone.localdate() - dt.timedelta(days=10),
        )
        services.stock_move_create(
            actor=admin,
            kind="adjustment",
            warehouse=central,
            lines=[LineIn(plain[-1].pk, Decimal(-1), note="آسیب‌دیده در حمل")],
            moved_on=timezone.localdate() - dt.timedelta(days=5),
            notes="شمارش انبار",
        )
    customer = Identity.objects.filter(is_unknown=False).order_by("id").first()
    for product in serial[:2]:
        first = f"{product.code}-{central.code}-0001"
        services.stock_move_create(
            actor=admin,
            kind="issue",
            warehouse=central,
            identity_id=customer.pk if customer else None,
            lines=[LineIn(product.pk, Decimal(1), (first,))],
            moved_on=timezone.localdate() - dt.timedelta(days=3),
        )
    for index, product in enumerate(plain[:8]):
        level = Decimal(15 if index < 3 else 2)  # the first three already below: alerts and requests
        services.reorder_level_set(actor=admin, product=product, warehouse=central, level=level)


def load(rng: Any) -> None:
    _grant_rights()
    admin = User.objects.filter(username="admin").first()
    if admin is None or Warehouse.objects.exists():
        return
    central, isfahan = _warehouses(admin)
    products = list(
        Product.objects.filter(active=True, kind=Product.Kind.GOODS)
        .exclude(tracking=Product.Tracking.NONE)
        .order_by("id")[:120]
    )
    if not products:
        return
    try:
        _opening(rng, admin, central, products, share=0.9)
        _opening(rng, admin, isfahan, products, share=0.4)
        _history(rng, admin, central, isfahan, products)
    except ApplicationError:
        return  # a partial demo is still a demo
