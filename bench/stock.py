"""Benchmark of the stock report (issue #6: "stock report over 200,000 products × 5
warehouses ≤ 2 s") and of the stock handler of a sales approval, on PostgreSQL.

    CRM_DB_PORT=55467 .venv/bin/python bench/stock.py [--seed-only | --measure-only] [--runs 50]

(CRM_DB_PORT is a private cluster's port: `CRM_PG_PORT=55467 CRM_PG_DIR=/tmp/s3-pg bash
scripts/postgres.sh start`; without it, the project cluster on 55432.)

Database `crm_bench_stock`, seeded once with COPY (skipped when the products are there):
200,000 products in a tree of 10 × 10 groups (5 % serial-tracked), 5 warehouses and a
StockLevel row for every product × warehouse (1,000,000 rows; 1 % below their reorder
level, 20 % at zero).

Measured through the selectors the page uses, as a keeper who may use every warehouse
through a grant (no view-all right, so the warehouse scope is computed every time):
- the report's first page (50 products × 5 warehouses), page 200, a group with its
  subgroups, "below reorder level" and a name search; the totals (quantity and value over
  all 1 M levels), which the page loads after itself;
- the whole report streamed for export (200,000 rows × 5 warehouses, CSV written);
- the stock handler of an approval: a sales invoice of 5 lines issued from stock
  (level locks, numbering, lines, audit, history), one transaction each.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import time
from decimal import Decimal

from _setup import django_on_postgres, machine_note, measure

DB = "crm_bench_stock"
PRODUCTS = 200_000
WAREHOUSES = 5
GROUPS = 10  # top groups, each with 10 subgroups


def seed() -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.inventory.models import StockLevel, Warehouse, WarehouseAccess
    from crm.org.models import User
    from crm.sales.models import Product, ProductGroup

    if Product.objects.count() >= PRODUCTS:
        print("already seeded")
        return
    rng = random.Random(6)
    started = time.perf_counter()
    with transaction.atomic():
        leaves = []
        for g in range(GROUPS):
            top = ProductGroup.objects.create(name=f"گروه {g}")
            top.path = f"{top.pk:06d}."
            top.save(update_fields=["path"])
            for s in range(10):
                sub = ProductGroup.objects.create(name=f"زیرگروه {g}-{s}", parent=top, depth=1)
                sub.path = f"{top.path}{sub.pk:06d}."
                sub.save(update_fields=["path"])
                leaves.append(sub.pk)
        warehouses = [Warehouse.objects.create(name=f"انبار {w}", code=f"W{w}", is_default=w == 0) for w in range(5)]
    now = timezone.now()
    words = ["کابل", "روتر", "سوئیچ", "ماوس", "کیبورد", "مانیتور", "کاغذ", "خودکار", "پرینتر", "هارد"]
    product_fields = [f for f in Product._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in product_fields]

    def product_row(i: int) -> list[object]:
        name = f"{words[i % 10]} مدل {i:06d}"
        values = {
            "created_at": now,
            "updated_at": now,
            "code": f"B{i:06d}",
            "name": name,
            "name_key": name,
            "group_id": leaves[i % len(leaves)],
            "kind": "goods",
            "tracking": "serial" if i % 20 == 0 else "quantity",
            "purchase_cost": Decimal(rng.randint(1, 500) * 10_000),
            "sale_price": Decimal(rng.randint(1, 700) * 10_000),
            "active": True,
        }
        return [values[f.attname] if f.attname in values else f.get_default() for f in product_fields]

    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with cursor.cursor.copy(f"COPY {Product._meta.db_table} ({quoted}) FROM STDIN") as copy:
            for i in range(PRODUCTS):
                row = product_row(i)
                for index, field in enumerate(product_fields):
                    if field.get_internal_type() == "JSONField":
                        from psycopg.types.json import Jsonb

                        row[index] = Jsonb(row[index])
                copy.write_row(row)
        print(f"products: {time.perf_counter() - started:.1f} s")
        ids = list(Product.objects.order_by("id").values_list("id", flat=True))
        table = StockLevel._meta.db_table
        with cursor.cursor.copy(
            f"COPY {table} (product_id, warehouse_id, quantity, reorder_level, reorder_quantity, below_reorder,"
            " updated_at) FROM STDIN"
        ) as copy:
            for pid in ids:
                for w in warehouses:
                    roll = rng.random()
                    quantity = Decimal(0) if roll < 0.2 else Decimal(rng.randint(1, 500))
                    below = roll > 0.99
                    level = Decimal(600) if below else (Decimal(5) if roll > 0.9 else None)
                    copy.write_row([pid, w.pk, quantity, level, None, below, now])
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"ANALYZE {Product._meta.db_table}")
    keeper, _ = User.objects.get_or_create(username="bench_keeper", defaults={"is_active": True})
    WarehouseAccess.objects.bulk_create([WarehouseAccess(warehouse=w, user=keeper, keeper=True) for w in warehouses])
    print(f"seeded in {time.perf_counter() - started:.1f} s")


def run_measurements(runs: int) -> None:
    from crm.inventory import selectors
    from crm.org.models import User
    from crm.sales.models import ProductGroup

    def keeper() -> User:
        return User.objects.get(username="bench_keeper")  # fresh: access computed every time

    group = ProductGroup.objects.filter(depth=0).order_by("id").first()

    def report(filters: selectors.ReportFilters, page: int = 1) -> None:
        user = keeper()
        warehouses = selectors.report_warehouses(user=user)
        products = selectors.stock_report_products(user=user, filters=filters, warehouses=warehouses)
        rows = list(products[(page - 1) * 50 : page * 50 + 1])[:50]
        selectors.stock_report_rows(products=rows, warehouses=warehouses)

    F = selectors.ReportFilters
    measure("stock report, first page (50 products × 5 warehouses)", lambda: report(F()), runs=runs)
    measure("stock report, page 200", lambda: report(F(), page=200), runs=runs)
    measure("stock report, group with its 10 subgroups", lambda: report(F(group_id=group.pk)), runs=runs)
    measure("stock report, below reorder level", lambda: report(F(below_reorder=True)), runs=runs)
    measure("stock report, name search", lambda: report(F(search="روتر مدل 0012")), runs=runs)

    def totals() -> None:
        user = keeper()
        selectors.stock_report_totals(warehouses=selectors.report_warehouses(user=user))

    measure("stock report totals (loaded after the page, htmx)", totals, runs=max(10, runs // 5))

    def export() -> int:
        user = keeper()
        warehouses = selectors.report_warehouses(user=user)
        out = io.StringIO()
        writer = csv.writer(out)
        count = 0
        for product, cells, total in selectors.stock_report_export(user=user, filters=F(), warehouses=warehouses):
            writer.writerow([product[1], product[2], *cells, total])
            count += 1
        return count

    for _ in range(3):
        started = time.perf_counter()
        count = export()
        print(f"whole report exported: {count} rows in {time.perf_counter() - started:.2f} s")


def run_handler(runs: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from crm.identities.models import Identity
    from crm.inventory.sales_link import stock_for_document
    from crm.org.models import User
    from crm.sales.models import Document, DocumentLine, Product

    admin, _ = User.objects.get_or_create(username="bench_admin", defaults={"is_superuser": True})
    identity = Identity.objects.first()
    if identity is None:
        from crm.identities.services import identity_create

        identity = identity_create(actor=admin, first_name="Bench", last_name="Customer")
    products = list(Product.objects.filter(tracking="quantity").order_by("id")[1000:1500])

    from crm.inventory.models import StockLevel

    StockLevel.objects.filter(product__in=products).update(quantity=100_000)  # never short
    docs = []
    for _ in range(runs + 5):
        doc = Document.objects.create(
            kind="invoice",
            direction="sale",
            identity_id=identity.pk,
            issued_on=timezone.localdate(),
            status="approved",
            approved_at=timezone.now(),
        )
        picked = random.sample(products, 5)
        DocumentLine.objects.bulk_create(
            [
                DocumentLine(document=doc, position=i, product=p, quantity=Decimal(1), unit_price=p.sale_price)
                for i, p in enumerate(picked)
            ]
        )
        docs.append(doc)

    def one() -> None:
        with transaction.atomic():
            stock_for_document(document=docs.pop(), actor=admin)

    measure("approval's stock handler (5-line sales invoice, own transaction)", one, runs=runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    django_on_postgres(DB)
    print(machine_note())
    if not args.measure_only:
        seed()
    if not args.seed_only:
        run_measurements(args.runs)
        run_handler(args.runs)


if __name__ == "__main__":
    main()
