"""A small catalogue for the catalogue, pricing and printing tests: a group tree
(Computers > Laptops > Gaming, Office), products in it, and a catalogue manager."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crm.org.testing import appoint, fresh, make_position, make_user
from crm.sales import catalogue
from crm.sales.models import Product, ProductGroup

CATALOGUE_PERMS = [
    f"sales.{action}_{model}"
    for model in ("product", "productgroup", "pricelist")
    for action in ("view", "add", "change", "delete")
]


@dataclass
class Catalogue:
    admin: Any
    computers: ProductGroup
    laptops: ProductGroup
    gaming: ProductGroup
    office: ProductGroup
    laptop: Product
    gamer: Product
    pen: Product
    support: Product


def catalogue_manager(username: str = "dana") -> Any:
    user = make_user(username, first_name="Dana")
    appoint(user, make_position(f"Catalogue manager {username}", CATALOGUE_PERMS))
    return fresh(user)


def build_catalogue(admin: Any) -> Catalogue:
    computers = catalogue.product_group_save(actor=admin, name="Computers")
    laptops = catalogue.product_group_save(actor=admin, name="Laptops", parent=computers)
    gaming = catalogue.product_group_save(actor=admin, name="Gaming", parent=laptops)
    office = catalogue.product_group_save(actor=admin, name="Office")

    def product(code: str, name: str, group: ProductGroup, price: int, **extra: Any) -> Product:
        return catalogue.product_create(
            actor=admin, code=code, name=name, group=group, sale_price=Decimal(price), **extra
        )

    return Catalogue(
        admin=admin,
        computers=computers,
        laptops=laptops,
        gaming=gaming,
        office=office,
        laptop=product(
            "LP-100", "لپ‌تاپ لنوو", laptops, 1_000_000, tracking="serial", warranty_months=18, unit="دستگاه"
        ),
        gamer=product("LP-200", "لپ تاپ گیمینگ ایسوس", gaming, 2_000_000, tracking="serial"),
        pen=product("OF-1", "خودکار آبی", office, 10_000, unit="عدد"),
        support=product("SV-1", "پشتیبانی ساعتی", office, 500_000, kind="service"),
    )
