"""Prices from price lists (SL-10).

`price_list_choose` picks the list a document starts with (the customer's class and the
date); `prices_for` prices many products at once in a constant number of queries (three,
whatever the number of products), so a 50-line quote is priced as fast as a 1-line one.

Order of precedence inside one list:
1. an item of the list (a fixed price for the product);
2. otherwise the most specific rule: one for the product, else one for the deepest group
   holding the product (subgroups included), else one for all products; among rules at
   the same level the newest wins. A rule changes the product's base `sale_price` by a
   percentage or an amount, up or down, never below zero;
3. otherwise the product's `sale_price`.

A list that is inactive, or not valid on the date (a festival list outside its dates),
prices nothing: every product gets its `sale_price`.

`price_apply` is the calculation kernel: plain Python, no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from crm.sales.models import PriceList, PriceListItem, PriceListRule, Product, ProductGroup

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# rule levels, most specific first
LEVEL_PRODUCT, LEVEL_GROUP, LEVEL_ALL = 0, 1, 2


def price_apply(base: Decimal, method: str, value: Decimal) -> Decimal:
    """The base price changed by one rule; rounded to the cent, never negative."""
    if method == PriceListRule.Method.PERCENT_UP:
        price = base + base * value / HUNDRED
    elif method == PriceListRule.Method.PERCENT_DOWN:
        price = base - base * value / HUNDRED
    elif method == PriceListRule.Method.AMOUNT_UP:
        price = base + value
    elif method == PriceListRule.Method.AMOUNT_DOWN:
        price = base - value
    else:
        price = base
    return max(price, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


def price_list_valid_on(price_list: PriceList, on: dt.date) -> bool:
    """Active and within its dates (whatever the customer's class)."""
    if not price_list.active:
        return False
    if price_list.valid_from and on < price_list.valid_from:
        return False
    return not (price_list.valid_to and on > price_list.valid_to)


def price_list_applies(price_list: PriceList, *, customer_class: str, on: dt.date) -> bool:
    if not price_list_valid_on(price_list, on):
        return False
    classes = [str(c).strip().upper() for c in (price_list.customer_classes or [])]
    return not classes or (customer_class or "").strip().upper() in classes


def price_list_choose(*, customer_class: str, on: dt.date) -> PriceList | None:
    """The list for a customer of this class on this date: the highest priority among the
    lists that apply; on a tie, one naming the class beats one for every class, then the
    default list, then the oldest. None when no list applies (sale prices are used)."""
    candidates = [
        pl
        for pl in PriceList.objects.filter(active=True)
        if price_list_applies(pl, customer_class=customer_class, on=on)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda pl: (-pl.priority, not pl.customer_classes, not pl.is_default, pl.pk))


def _group_paths(products: list[Product]) -> dict[int, str]:
    """Each product's group path ("000003.000017."), reusing a loaded `group` if any."""
    paths: dict[int, str] = {}
    missing = set()
    for product in products:
        if product.group_id is None:
            continue
        cached = product._state.fields_cache.get("group")
        if cached is not None and cached.path:
            paths[product.group_id] = cached.path
        else:
            missing.add(product.group_id)
    if missing:
        paths.update(ProductGroup.objects.filter(pk__in=missing).values_list("pk", "path"))
    return paths


def _ancestors(path: str) -> list[int]:
    """Group ids along a materialised path, root first."""
    return [int(part) for part in path.split(".") if part]


def _best_rules(
    rules: Iterable[PriceListRule], products: list[Product], paths: dict[int, str]
) -> dict[int, PriceListRule]:
    by_product: dict[int, PriceListRule] = {}
    by_group: dict[int, PriceListRule] = {}
    for_all: PriceListRule | None = None
    for rule in rules:  # ordered by id: a later rule at the same level replaces an earlier one
        if rule.product_id is not None:
            by_product[rule.product_id] = rule
        elif rule.group_id is not None:
            by_group[rule.group_id] = rule
        else:
            for_all = rule
    best: dict[int, PriceListRule] = {}
    for product in products:
        rule = by_product.get(product.pk)
        if rule is None and product.group_id is not None:
            for group_id in reversed(_ancestors(paths.get(product.group_id, ""))):  # deepest first
                rule = by_group.get(group_id)
                if rule is not None:
                    break
        rule = rule or for_all
        if rule is not None:
            best[product.pk] = rule
    return best


def prices_for(*, price_list: PriceList | None, products: list[Product], on: dt.date) -> dict[int, Decimal]:
    """Unit prices {product id: price} under the list on the date (see the module doc)."""
    products = [p for p in products if p is not None]
    prices = {p.pk: p.sale_price for p in products}
    if price_list is None or not products or not price_list_valid_on(price_list, on):
        return prices
    ids = list(prices)
    fixed = dict(
        PriceListItem.objects.filter(price_list=price_list, product_id__in=ids).values_list("product_id", "price")
    )
    rest = [p for p in products if p.pk not in fixed]
    if rest:
        paths = _group_paths(rest)
        group_ids = {gid for path in paths.values() for gid in _ancestors(path)}
        rules = PriceListRule.objects.filter(price_list=price_list).filter(
            Q(product__isnull=True, group__isnull=True)
            | Q(product_id__in=[p.pk for p in rest])
            | Q(group_id__in=group_ids, product__isnull=True)
        )
        for product_id, rule in _best_rules(rules.order_by("id"), rest, paths).items():
            prices[product_id] = price_apply(prices[product_id], rule.method, rule.value)
    prices.update(fixed)
    return prices
