"""Benchmarks of sales documents (issue #6), on PostgreSQL:

- "price a 50-line quote p95 ≤ 100 ms": the live totals of the form (`document_preview`:
  the customer's price list, prices of 50 products, line amounts, tax, totals; nothing
  saved) and a whole `document_create` of a 50-line quote (numbering, lines, audit,
  custom fields, history) — a class-A customer, so the price list's items and group rules
  are looked up;
- "approve invoices (stock deduction and numbering) ≥ 100/s sustained with two workers
  racing": N pending 5-line sales invoices approved by two processes that both walk the
  whole list (each invoice is approved exactly once; the loser of a race gets "wrong
  status"); every approval runs the stock handler of crm.inventory (level locks, the
  issue, its number), the customer number of a first invoice, the history and the
  creator's notification, in one transaction.

    CRM_DB_PORT=55465 .venv/bin/python bench/sales.py [--identities 100000] [--invoices 1000] [--runs 200]

Database `crm_bench_sales`: the 200,000 products × 5 warehouses of `bench/stock.py`
(its seeding), price lists (a class-A list with a rule per group and 5,000 fixed prices),
and `--identities` customers (COPY).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
from decimal import Decimal

from _setup import django_on_postgres, machine_note, measure

DB = "crm_bench_sales"


def seed(identities: int) -> None:
    import stock  # the stock benchmark's products, warehouses and levels
    from django.db import connection
    from django.utils import timezone

    from crm.identities.models import Identity
    from crm.sales.models import PriceList, PriceListItem, PriceListRule, Product, ProductGroup

    stock.seed()
    if not PriceList.objects.filter(code="bench-a").exists():
        rng = random.Random(7)
        class_a = PriceList.objects.create(name="Class A", code="bench-a", customer_classes=["A"], priority=10)
        PriceList.objects.create(name="Cash", code="bench-cash", priority=0, is_default=True)
        for group in ProductGroup.objects.all():
            PriceListRule.objects.create(
                price_list=class_a,
                group=group,
                method=PriceListRule.Method.PERCENT_DOWN,
                value=Decimal(rng.randint(1, 15)),
            )
        ids = list(Product.objects.order_by("?").values_list("pk", "sale_price")[:5000])
        PriceListItem.objects.bulk_create(
            [PriceListItem(price_list=class_a, product_id=pk, price=price * Decimal("0.9")) for pk, price in ids]
        )
    have = Identity.objects.count()
    if have < identities:
        started = time.perf_counter()
        now = timezone.now()
        fields = [f for f in Identity._meta.concrete_fields if not f.primary_key]
        from psycopg.types.json import Jsonb

        with connection.cursor() as cursor:
            quoted = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            with cursor.cursor.copy(f"COPY {Identity._meta.db_table} ({quoted}) FROM STDIN") as copy:
                for i in range(have, identities):
                    name = f"شرکت نمونه {i:07d}"
                    values = {
                        "created_at": now,
                        "updated_at": now,
                        "kind": "organisation",
                        "organisation_name": name,
                        "display_name": name,
                        "name_key": name,
                        "class_code": "ABC"[i % 3],
                        "public_id": __import__("uuid").uuid4(),
                    }
                    row = [values[f.attname] if f.attname in values else f.get_default() for f in fields]
                    copy.write_row([Jsonb(v) if isinstance(v, (dict, list)) else v for v in row])
            cursor.execute(f"ANALYZE {Identity._meta.db_table}")
        print(f"identities: {identities - have} in {time.perf_counter() - started:.1f} s")


def _users() -> tuple[object, object]:
    from django.contrib.auth.models import Permission

    from crm.org.models import Department, Position, User
    from crm.org.testing import appoint

    seller, created = User.objects.get_or_create(username="bench_seller", defaults={"is_active": True})
    if created:
        dept = Department.objects.create(name="Bench sales", path="")
        dept.path = f"{dept.pk:06d}."
        dept.save(update_fields=["path"])
        position = Position.objects.create(title="Bench seller", department=dept)
        position.permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["sales", "identities", "inventory"],
                codename__in=[
                    "view_document",
                    "add_document",
                    "change_document",
                    "view_identity",
                    "view_all_identity",
                ],
            )
        )
        appoint(seller, position)
    approver, _ = User.objects.get_or_create(
        username="bench_approver", defaults={"is_active": True, "is_superuser": True}
    )
    return User.objects.get(pk=seller.pk), User.objects.get(pk=approver.pk)


def run_pricing(runs: int) -> None:
    from crm.identities.models import Identity
    from crm.sales import documents
    from crm.sales.documents import LineInput
    from crm.sales.models import Product

    seller, _approver = _users()
    customer = Identity.objects.filter(class_code="A").order_by("id").first()
    products = list(Product.objects.filter(tracking="quantity").values_list("pk", flat=True)[:20000])
    rng = random.Random(11)

    def lines() -> list[LineInput]:
        return [
            LineInput(product_id=pk, quantity=Decimal(rng.randint(1, 9)), discount_percent=Decimal(rng.choice([0, 5])))
            for pk in rng.sample(products, 50)
        ]

    def preview() -> None:
        keyed = [(str(i), line) for i, line in enumerate(lines())]
        result = documents.document_preview(
            actor=seller, kind="quote", direction="sale", values={"identity_id": customer.pk}, lines=keyed
        )
        assert result.totals is not None and len(result.lines) == 50 and result.price_list is not None

    def create() -> None:
        documents.document_create(actor=seller, kind="quote", values={"identity_id": customer.pk}, lines=lines())

    measure("price a 50-line quote: live totals (document_preview)", preview, runs=runs)
    measure("price a 50-line quote: document_create (saved, numbered)", create, runs=runs)


def _make_invoices(count: int) -> list[int]:
    from django.db import transaction
    from django.utils import timezone

    from crm.identities.models import Identity
    from crm.inventory.models import StockLevel, Warehouse
    from crm.sales import documents
    from crm.sales.models import Document, DocumentLine, Product

    seller, _approver = _users()
    documents.document_settings_ensure(kind="invoice", direction="sale")
    warehouse = Warehouse.objects.filter(is_default=True).first()
    products = list(Product.objects.filter(tracking="quantity").order_by("id")[2000:4000])
    StockLevel.objects.filter(product__in=products, warehouse=warehouse).update(quantity=1_000_000)
    customers = list(Identity.objects.order_by("-id").values_list("pk", flat=True)[: count // 2])
    rng = random.Random(5)
    ids = []
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(count):  # straight rows: the benchmark is of approving, not of creating
            doc = Document.objects.create(
                kind="invoice",
                direction="sale",
                identity_id=customers[i % len(customers)],
                issued_on=timezone.localdate(),
                status=Document.Status.PENDING,
                submitted_at=timezone.now(),
                created_by=seller,
                warehouse_id=warehouse.pk,
                subtotal=Decimal(100),
                total=Decimal(110),
            )
            DocumentLine.objects.bulk_create(
                [
                    DocumentLine(document=doc, position=n, product=p, quantity=Decimal(1), unit_price=p.sale_price)
                    for n, p in enumerate(rng.sample(products, 5), start=1)
                ]
            )
            ids.append(doc.pk)
    print(f"{count} pending invoices made in {time.perf_counter() - started:.1f} s")
    return ids


def _worker(ids: list[int], order: str, queue: mp.Queue) -> None:
    from django.db import connection  # Django is set up already (forked); a connection of its own

    from crm.sales import documents
    from crm.sales.errors import SalesError
    from crm.sales.models import Document

    _seller, approver = _users()
    if order == "reversed":
        ids = list(reversed(ids))
    done = lost = 0
    started = time.perf_counter()
    for pk in ids:
        try:
            documents.document_approve(actor=approver, document=Document(pk=pk))
            done += 1
        except SalesError:
            lost += 1  # the other worker approved it first
    queue.put((order, done, lost, time.perf_counter() - started))
    connection.close()


def run_approvals(count: int) -> None:
    from django.db import connection

    from crm.inventory.models import StockMove
    from crm.sales.models import Document

    ids = _make_invoices(count)
    moves_before = StockMove.objects.count()
    connection.close()
    queue: mp.Queue = mp.Queue()
    ctx = mp.get_context("fork")
    workers = [ctx.Process(target=_worker, args=(ids, order, queue)) for order in ("forward", "reversed")]
    started = time.perf_counter()
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    approved = Document.objects.filter(pk__in=ids, status=Document.Status.APPROVED).count()
    moves = StockMove.objects.count() - moves_before
    for order, done, lost, seconds in results:
        print(f"  worker {order}: approved {done}, lost the race {lost}, {seconds:.1f} s")
    print(
        f"approve {count} invoices (5 lines, stock + numbering), two workers racing: "
        f"{wall:.1f} s → {approved / wall:.0f} invoices/s; approved {approved}/{count}, stock issues made {moves}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--identities", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--skip-pricing", action="store_true")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    django_on_postgres(DB)
    print(machine_note())
    seed(args.identities)
    if not args.skip_pricing:
        run_pricing(args.runs)
    run_approvals(args.invoices)


if __name__ == "__main__":
    os.environ.setdefault("CRM_DB_PORT", "55465")
    main()
