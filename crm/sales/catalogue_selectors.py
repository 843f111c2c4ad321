"""Reads of the product catalogue and price lists (SL-1, SL-10).

Products and groups are readable by every active staff user (documents need them);
writes are guarded in `crm.sales.catalogue`. Text search is Persian-aware: ی/ي, ک/ك,
ZWNJ, spaces and Persian/Arabic digits do not matter (`crm.core.i18n.search`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.selectors import custom_filter
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.search import normalize_compact, normalize_search
from crm.sales.models import PriceList, PriceListItem, PriceListRule, Product, ProductGroup
from crm.sales.pricing import price_list_valid_on, prices_for


def product_name_key(text: str) -> str:
    """The key stored in `Product.name_key` and compared by search."""
    return normalize_compact(text)[:200]


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def product_base_for_user(*, user: Any, include_deleted: bool = False) -> QuerySet[Product]:
    base = Product.all_objects.all() if include_deleted else Product.objects.all()
    return base if _is_staff(user) else base.none()


def _words(text: str) -> list[str]:
    return [w for w in normalize_search(text).split(" ") if w]


def _text_q(text: str) -> Q | None:
    """Every word in the name (or the whole text as the start of the code)."""
    words = _words(text)
    if not words:
        return None
    by_name = Q()
    for word in words:
        by_name &= Q(name_key__contains=normalize_compact(word))
    code = to_latin_digits(text).strip()
    return by_name | Q(code__istartswith=code)


@dataclass
class ProductFilters:
    q: str = ""
    group: ProductGroup | None = None
    include_subgroups: bool = True
    kind: str = ""
    tracking: str = ""
    active: bool | None = True  # None: active and inactive
    custom: list[tuple[CustomFieldDefinition, str, Any]] = field(default_factory=list)
    sort: str = "name"


SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "code": ("code",),
    "-code": ("-code",),
    "price": ("sale_price", "id"),
    "-price": ("-sale_price", "-id"),
    "-id": ("-id",),
}


def product_list_for_user(*, user: Any, filters: ProductFilters | None = None) -> QuerySet[Product]:
    f = filters or ProductFilters()
    qs = product_base_for_user(user=user).select_related("group")
    text_q = _text_q(f.q)
    if text_q is not None:
        qs = qs.filter(text_q)
    if f.group is not None:
        if f.include_subgroups:
            qs = qs.filter(group__path__startswith=f.group.path)
        else:
            qs = qs.filter(group=f.group)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.tracking:
        qs = qs.filter(tracking=f.tracking)
    if f.active is not None:
        qs = qs.filter(active=f.active)
    for definition, op, value in f.custom:
        qs = custom_filter(qs, definition=definition, op=op, value=value)
    return qs.order_by(*SORTS.get(f.sort, SORTS["name"]))


def _prefix(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, as a range the field's b-tree index serves under any
    collation (a plain LIKE 'x%' needs the C collation or a pattern_ops index)."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff", f"{field}__startswith": prefix})


def product_search(text: str, *, limit: int = 20, active_only: bool = True) -> list[Product]:
    """The product picker: the exact code first, then codes starting with the text, then
    names starting with it, then names holding every word of it. The first three are
    index lookups; the last walks the table newest first and stops at `limit` matches
    (a trigram index on `name_key`, when the database has one, serves it instead)."""
    text = (text or "").strip()[:100]
    if not text:
        return []
    base = Product.objects.select_related("group")
    if active_only:
        base = base.filter(active=True)
    code = to_latin_digits(text)
    codes = list(dict.fromkeys([code, code.upper(), code.lower()]))
    key = normalize_compact(text)
    by_code_prefix = Q()
    for variant in codes:
        by_code_prefix |= _prefix("code", variant)
    steps: list[tuple[Q, tuple[str, ...]]] = [(Q(code__in=codes), ()), (by_code_prefix, ("code",))]
    if key:
        steps.append((_prefix("name_key", key), ("name_key",)))
        words = Q()
        for word in _words(text):
            words &= Q(name_key__contains=normalize_compact(word))
        steps.append((words, ("-id",)))
    found: list[Product] = []
    for condition, order in steps:
        if len(found) >= limit:
            break
        rows = base.filter(condition).exclude(pk__in=[p.pk for p in found]).order_by(*order)
        found += list(rows[: limit - len(found)])
    return found


def product_get(
    pk: int | None = None, *, user: Any = None, code: str = "", include_deleted: bool = False
) -> Product | None:
    """One live product by id or code (None when missing or the user is not staff)."""
    base = Product.all_objects if include_deleted else Product.objects
    qs = base.select_related("group")
    if user is not None:
        qs = product_base_for_user(user=user, include_deleted=include_deleted).select_related("group")
    if pk is not None:
        return qs.filter(pk=pk).first()
    if code:
        return qs.filter(code__iexact=to_latin_digits(code).strip()).first()
    return None


def products_by_ids(ids: list[int]) -> dict[int, Product]:
    return {p.pk: p for p in Product.objects.filter(pk__in=ids).select_related("group")}


# --- groups -----------------------------------------------------------------------------------


def group_tree() -> QuerySet[ProductGroup]:
    return ProductGroup.objects.order_by("path")


def group_get(pk: int) -> ProductGroup | None:
    return ProductGroup.objects.filter(pk=pk).first()


def group_trail(group: ProductGroup | None) -> list[ProductGroup]:
    """The group and its ancestors, root first (for breadcrumbs and full names)."""
    if group is None:
        return []
    ids = [int(part) for part in group.path.split(".") if part]
    by_id = ProductGroup.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def group_product_counts() -> dict[int, int]:
    """Live products directly in each group."""
    return dict(Product.objects.filter(group__isnull=False).values_list("group").annotate(n=Count("id")))


def group_usage(group: ProductGroup) -> dict[str, int]:
    return {
        "children": group.children.count(),
        "products": Product.all_objects.filter(group=group).count(),
        "rules": PriceListRule.objects.filter(group=group).count(),
    }


# --- price lists ------------------------------------------------------------------------------


def pricelist_list(*, active_only: bool = False) -> QuerySet[PriceList]:
    qs = PriceList.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("-priority", "name")


def pricelist_list_with_counts() -> QuerySet[PriceList]:
    return pricelist_list().annotate(item_count=Count("items", distinct=True), rule_count=Count("rules", distinct=True))


def pricelist_get(pk: int) -> PriceList | None:
    return PriceList.objects.filter(pk=pk).first()


def pricelist_items(price_list: PriceList, *, q: str = "") -> QuerySet[PriceListItem]:
    qs = PriceListItem.objects.filter(price_list=price_list).select_related("product")
    text_q = _text_q(q)
    if text_q is not None:
        qs = qs.filter(product__in=Product.objects.filter(text_q).values("pk"))
    return qs.order_by("product__name", "id")


def pricelist_rules(price_list: PriceList) -> QuerySet[PriceListRule]:
    return PriceListRule.objects.filter(price_list=price_list).select_related("group", "product").order_by("id")


@dataclass
class PriceCheckRow:
    price_list: PriceList
    price: Decimal
    valid: bool  # active and valid on the date
    fixed: bool  # an item of the list (not a rule)


def price_check(*, product: Product, on: dt.date) -> list[PriceCheckRow]:
    """The product's price under every price list (the "price check" page)."""
    fixed = set(PriceListItem.objects.filter(product=product).values_list("price_list_id", flat=True))
    rows = []
    for price_list in pricelist_list():
        valid = price_list_valid_on(price_list, on)
        # price as if the list applied on the date, to compare lists even outside their dates
        probe = on if valid else (price_list.valid_from or price_list.valid_to or on)
        prices = prices_for(price_list=price_list, products=[product], on=probe)
        rows.append(PriceCheckRow(price_list, prices[product.pk], valid, price_list.pk in fixed))
    return rows


def price_matrix(
    *, products: list[Product], price_lists: list[PriceList], on: dt.date
) -> dict[int, list[Decimal | None]]:
    """{product id: [price under each list, or None when the list does not apply on the date]}."""
    matrix: dict[int, list[Decimal | None]] = {p.pk: [] for p in products}
    for price_list in price_lists:
        valid = price_list_valid_on(price_list, on)
        prices = prices_for(price_list=price_list, products=products, on=on) if valid and products else {}
        for product in products:
            matrix[product.pk].append(prices.get(product.pk) if valid else None)
    return matrix
