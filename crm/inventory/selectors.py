"""Reads of the stock context, scoped by warehouse access (`crm.inventory.access`).

The stock report pages over products (the product table's name index), then reads the
levels of just that page: with 200,000 products × 5 warehouses a page costs two small
queries. Its export streams the whole report from one pivot query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import Coalesce

from crm.core.i18n.search import normalize_search
from crm.inventory.access import sees_all_warehouses, uses_any_warehouse, warehouse_ids_for, warehouse_scope
from crm.inventory.models import PurchaseRequest, Serial, StockLevel, StockMove, StockMoveLine, Warehouse
from crm.sales.models import Product, ProductGroup

ZERO = Decimal(0)


# --- warehouses ----------------------------------------------------------------------------


def warehouse_list_for_user(*, user: Any, active_only: bool = False) -> QuerySet[Warehouse]:
    qs = (
        Warehouse.objects.all()
        if sees_all_warehouses(user)
        else Warehouse.objects.filter(pk__in=warehouse_ids_for(user))
    )
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("-is_default", "name", "id")


def warehouse_get_for_user(*, user: Any, pk: int) -> Warehouse | None:
    return warehouse_list_for_user(user=user).filter(pk=pk).first()


# --- products ------------------------------------------------------------------------------


def stocked_products() -> QuerySet[Product]:
    return Product.objects.filter(kind=Product.Kind.GOODS, active=True).exclude(tracking=Product.Tracking.NONE)


def product_search_ids(text: str, *, limit: int = 20) -> list[int]:
    """Products matching a search text: the catalogue's Persian-aware search when it is
    there, else code or name contains."""
    text = (text or "").strip()
    if not text:
        return []
    try:
        from crm.sales.catalogue_selectors import product_search
    except ImportError:
        product_search = None
    if product_search is not None:
        found = product_search(text)
        if isinstance(found, QuerySet):
            return list(found.values_list("pk", flat=True)[:limit])
        return [p.pk for p in list(found)[:limit]]
    key = normalize_search(text)
    qs = Product.objects.filter(Q(code__iexact=text) | Q(name_key__contains=key) | Q(name__icontains=text))
    return list(qs.order_by("name").values_list("pk", flat=True)[:limit])


def product_options(text: str, *, limit: int = 20) -> list[Product]:
    ids = product_search_ids(text, limit=limit)
    found = stocked_products().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def group_and_subgroups(group_id: int) -> QuerySet[ProductGroup]:
    group = ProductGroup.objects.filter(pk=group_id).first()
    if group is None:
        return ProductGroup.objects.none()
    return ProductGroup.objects.filter(path__startswith=group.path)


# --- stock report --------------------------------------------------------------------------


@dataclass
class ReportFilters:
    warehouse_id: int | None = None
    group_id: int | None = None
    below_reorder: bool = False
    search: str = ""
    in_stock_only: bool = False


def report_warehouses(*, user: Any, warehouse_id: int | None = None) -> list[Warehouse]:
    qs = warehouse_list_for_user(user=user)
    if warehouse_id:
        qs = qs.filter(pk=warehouse_id)
    return list(qs)


def stock_report_products(*, user: Any, filters: ReportFilters, warehouses: list[Warehouse]) -> QuerySet[Product]:
    """The report's rows: stocked products under the filters, by code (the code's unique
    index serves the order, so a page is read without sorting the catalogue); page it yourself."""
    qs = stocked_products().only("id", "code", "name", "unit", "tracking", "kind", "group_id")
    ids = [w.pk for w in warehouses]
    if not ids:
        return qs.none()
    if filters.group_id:
        qs = qs.filter(group__in=group_and_subgroups(filters.group_id))
    if filters.search:
        qs = qs.filter(pk__in=product_search_ids(filters.search, limit=500))
    if filters.below_reorder:
        below = StockLevel.objects.filter(product=OuterRef("pk"), warehouse_id__in=ids, below_reorder=True)
        qs = qs.filter(Exists(below))
    if filters.in_stock_only:
        positive = StockLevel.objects.filter(product=OuterRef("pk"), warehouse_id__in=ids, quantity__gt=0)
        qs = qs.filter(Exists(positive))
    return qs.order_by("code")


@dataclass
class ReportRow:
    product: Product
    cells: list[StockLevel | None]  # one per report warehouse
    total: Decimal
    below: bool


def stock_report_rows(*, products: list[Product], warehouses: list[Warehouse]) -> list[ReportRow]:
    """The levels of one page of products in the report's warehouses (one query)."""
    ids = [w.pk for w in warehouses]
    levels = StockLevel.objects.filter(product_id__in=[p.pk for p in products], warehouse_id__in=ids)
    by_key = {(lv.product_id, lv.warehouse_id): lv for lv in levels}
    rows = []
    for product in products:
        cells = [by_key.get((product.pk, wid)) for wid in ids]
        total = sum((c.quantity for c in cells if c is not None), ZERO)
        rows.append(ReportRow(product, cells, total, any(c is not None and c.below_reorder for c in cells)))
    return rows


def stock_report_totals(*, warehouses: list[Warehouse]) -> dict[str, Decimal]:
    """Quantity and value (at purchase cost) on hand in these warehouses."""
    result = StockLevel.objects.filter(warehouse_id__in=[w.pk for w in warehouses]).aggregate(
        total_quantity=Coalesce(Sum("quantity"), ZERO),
        total_value=Coalesce(Sum(F("quantity") * F("product__purchase_cost")), ZERO),
    )
    return {"quantity": result["total_quantity"], "value": result["total_value"]}


def stock_report_export(
    *, user: Any, filters: ReportFilters, warehouses: list[Warehouse], chunk: int = 5000
) -> Iterator[tuple[tuple[int, str, str, str], list[Decimal], Decimal]]:
    """Every row of the report ((id, code, name, unit), quantity per warehouse, total), by
    product id; plain tuples, since building 200,000 model instances costs seconds.

    Two streams merged in Python, each read in the order of an index so neither is
    sorted: the filtered products by id, and the levels summed per product (a streaming
    group aggregate over the (product, warehouse) unique index)."""
    ids = [w.pk for w in warehouses]
    products = (
        stock_report_products(user=user, filters=filters, warehouses=warehouses)
        .order_by("id")
        .values_list("id", "code", "name", "unit")
        .iterator(chunk_size=chunk)
    )
    sums = {f"w{index}": Sum("quantity", filter=Q(warehouse_id=wid)) for index, wid in enumerate(ids)}
    levels = (
        StockLevel.objects.filter(warehouse_id__in=ids)
        .values("product_id")
        .annotate(**sums)
        .order_by("product_id")
        .values_list("product_id", *sums)
        .iterator(chunk_size=chunk * 4)
    )
    pending = next(levels, None)
    for product in products:
        while pending is not None and pending[0] < product[0]:
            pending = next(levels, None)
        if pending is not None and pending[0] == product[0]:
            cells = [value or ZERO for value in pending[1:]]
        else:
            cells = [ZERO] * len(ids)
        yield product, cells, sum(cells, ZERO)


def stock_levels_for_user(
    *, user: Any, warehouse_id: int | None = None, product_id: int | None = None, below_reorder: bool = False
) -> QuerySet[StockLevel]:
    qs = warehouse_scope(user, StockLevel.objects.select_related("product", "warehouse"))
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    if product_id:
        qs = qs.filter(product_id=product_id)
    if below_reorder:
        qs = qs.filter(below_reorder=True)
    return qs.order_by("product_id", "warehouse_id")


def below_reorder_for_user(*, user: Any, limit: int = 8) -> list[StockLevel]:
    qs = warehouse_scope(user, StockLevel.objects.filter(below_reorder=True).select_related("product", "warehouse"))
    return list(qs.order_by("quantity", "product_id")[:limit])


# --- movements -----------------------------------------------------------------------------


def move_base_for_user(*, user: Any) -> QuerySet[StockMove]:
    qs = StockMove.objects.select_related("warehouse", "to_warehouse", "created_by")
    if sees_all_warehouses(user):
        return qs
    ids = warehouse_ids_for(user)
    return qs.filter(Q(warehouse_id__in=ids) | Q(to_warehouse_id__in=ids))


def move_list_for_user(
    *,
    user: Any,
    kind: str = "",
    warehouse_id: int | None = None,
    identity_id: int | None = None,
    number: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[StockMove]:
    qs = move_base_for_user(user=user)
    if kind:
        qs = qs.filter(kind=kind)
    if warehouse_id:
        qs = qs.filter(Q(warehouse_id=warehouse_id) | Q(to_warehouse_id=warehouse_id))
    if identity_id:
        qs = qs.filter(identity_id=identity_id)
    if number:
        qs = qs.filter(number__icontains=number.strip())
    if date_from:
        qs = qs.filter(moved_on__gte=date_from)
    if date_to:
        qs = qs.filter(moved_on__lte=date_to)
    return qs.order_by("-moved_on", "-id")


def move_get_for_user(*, user: Any, pk: int) -> StockMove | None:
    return move_base_for_user(user=user).filter(pk=pk).first()


def move_lines(*, move: StockMove) -> list[StockMoveLine]:
    return list(move.lines.select_related("product", "warehouse").order_by("id"))


@dataclass
class MovementFilters:
    product_id: int | None = None
    warehouse_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def movement_report(*, user: Any, filters: MovementFilters) -> tuple[QuerySet[StockMoveLine], dict[int, Decimal]]:
    """Ledger lines with a running balance per product (per product and warehouse when one
    warehouse is chosen), oldest first, and each product's opening balance before
    `date_from`. The balance of a row is opening[product] + row.running."""
    qs = warehouse_scope(user, StockMoveLine.objects.all())
    if filters.product_id:
        qs = qs.filter(product_id=filters.product_id)
    if filters.warehouse_id:
        qs = qs.filter(warehouse_id=filters.warehouse_id)
    opening: dict[int, Decimal] = {}
    if filters.date_from:
        before = qs.filter(moved_on__lt=filters.date_from).values("product_id").annotate(total=Sum("quantity"))
        opening = {row["product_id"]: row["total"] for row in before}
        qs = qs.filter(moved_on__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(moved_on__lte=filters.date_to)
    partition = [F("product_id")] + ([F("warehouse_id")] if filters.warehouse_id else [])
    qs = qs.annotate(
        running=Window(Sum("quantity"), partition_by=partition, order_by=[F("moved_on").asc(), F("id").asc()])
    )
    return qs.select_related("product", "warehouse", "move").order_by(
        "product__name", "product_id", "moved_on", "id"
    ), opening


# --- serials and purchase requests ---------------------------------------------------------


def serial_list_for_user(
    *, user: Any, search: str = "", status: str = "", product_id: int | None = None, identity_id: int | None = None
) -> QuerySet[Serial]:
    qs = Serial.objects.select_related("product", "warehouse")
    if not sees_all_warehouses(user):
        if not uses_any_warehouse(user):
            return qs.none()
        qs = qs.filter(Q(warehouse_id__in=warehouse_ids_for(user)) | Q(warehouse__isnull=True))
    if search:
        qs = qs.filter(serial__icontains=search.strip())
    if status:
        qs = qs.filter(status=status)
    if product_id:
        qs = qs.filter(product_id=product_id)
    if identity_id:
        qs = qs.filter(identity_id=identity_id)
    return qs.order_by("serial", "id")


def serial_get_for_user(*, user: Any, serial: str) -> list[Serial]:
    """Every product's serial with exactly this number (case-insensitive) the user may see."""
    return list(serial_list_for_user(user=user).filter(serial__iexact=serial.strip())[:20])


def purchase_request_list_for_user(
    *, user: Any, status: str = "", warehouse_id: int | None = None
) -> QuerySet[PurchaseRequest]:
    qs = warehouse_scope(user, PurchaseRequest.objects.select_related("product", "warehouse", "created_by"))
    if status:
        qs = qs.filter(status=status)
    if warehouse_id:
        qs = qs.filter(warehouse_id=warehouse_id)
    return qs.order_by("-id")


def purchase_request_get_for_user(*, user: Any, pk: int) -> PurchaseRequest | None:
    return purchase_request_list_for_user(user=user).filter(pk=pk).first()
