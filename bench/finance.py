"""Benchmark of the money context of issue #6 (FN-1): an identity's statement, on PostgreSQL.

    CRM_DB_PORT=55468 .venv/bin/python bench/finance.py [--identities 1000000] [--movements 10000]
                                                       [--runs 200] [--seed-only | --measure-only]

(CRM_DB_PORT is a private cluster's port: `CRM_PG_PORT=55468 CRM_PG_DIR=/tmp/s4-pg bash
scripts/postgres.sh start`.)

Database `crm_bench_finance`: a ledger for `--identities` identity ids with two to three
movements each (an approved invoice, a receipt, sometimes a return: ~2.5 rows per
identity, written with COPY and their Balance rows), plus one real customer (an Identity
row) with `--movements` movements over ten years (invoices, receipts, cheque bounces and
reversals). Seeding is skipped when the data is there.

Measured (p50/p95/p99 over --runs), through the selectors and the page the users open:
- the statement's default page (the latest 100 movements with the running balance, the
  opening, the period totals), target p95 ≤ 150 ms;
- the same for a one-year date range, the profile tab's latest 20, the whole 10,000-row
  statement (the print version), the balance fact;
- the oldest page (page 100), the statement page over HTTP (Django test client, signed-in
  superuser, rendered template) and, as a baseline, an empty list page over HTTP.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from decimal import Decimal

from _setup import django_on_postgres, machine_note, measure

DB = "crm_bench_finance"


def seed(identities: int, movements: int) -> int:
    from django.db import connection

    from crm.finance.models import Balance, LedgerEntry
    from crm.identities.models import Identity

    customer = Identity.objects.filter(first_name="Bench", last_name="Statement").first()
    if customer is not None and LedgerEntry.objects.filter(identity_id=customer.pk).count() >= movements:
        print(f"seeded before: {LedgerEntry.objects.count():,} ledger rows")
        return customer.pk
    LedgerEntry.objects.all().delete()
    Balance.objects.all().delete()
    customer = customer or Identity.objects.create(
        first_name="Bench", last_name="Statement", display_name="Bench Statement"
    )
    rng = random.Random(1405)
    start = time.perf_counter()
    today = dt.date.today()
    columns = [
        "identity_id",
        "date",
        "kind",
        "source_type",
        "source_id",
        "debit",
        "credit",
        "description",
        "reversed",
        "created_at",
    ]
    balances: dict[int, Decimal] = {}
    now = "2026-11-23 10:00:00+00"

    def flush(rows: list[str]) -> None:
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY finance_ledgerentry ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            copy.write("".join(rows))

    rows: list[str] = []
    base = 10_000_000  # identity ids of the background, away from real rows
    for n in range(identities):
        identity_id = base + n
        day = today - dt.timedelta(days=rng.randint(0, 3650))
        amount = Decimal(rng.randint(10, 5000) * 10000)
        source = n + 1
        rows.append(f"{identity_id}\t{day}\tsale_invoice\tsales.document\t{source}\t{amount}\t0\tInvoice\tf\t{now}\n")
        paid = amount if rng.random() < 0.6 else (amount / 2).quantize(Decimal(1))
        rows.append(f"{identity_id}\t{day}\treceipt\tfinance.receipt\t{source}\t0\t{paid}\tReceipt\tf\t{now}\n")
        balance = amount - paid
        if rng.random() < 0.5:
            back = (amount / 10).quantize(Decimal(1))
            rows.append(f"{identity_id}\t{day}\tsale_return\tsales.document\t{source}\t0\t{back}\tReturn\tf\t{now}\n")
            balance -= back
        balances[identity_id] = balance
        if len(rows) >= 200_000:
            flush(rows)
            rows = []
            print(f"  {n + 1:,} identities ({time.perf_counter() - start:.0f} s)")
    flush(rows)
    rows = []
    balance = Decimal(0)
    kinds = [
        ("sale_invoice", "sales.document", 1),
        ("receipt", "finance.receipt", -1),
        ("sale_return", "sales.document", -1),
        ("cheque_bounced", "finance.cheque", 1),
        ("reversal", "sales.document", -1),
    ]
    for i in range(movements):
        kind, source_type, sign = kinds[0 if i % 2 == 0 else rng.choice([1, 1, 1, 2, 3, 4])]
        day = today - dt.timedelta(days=3650 - (i * 3650) // movements)
        amount = Decimal(rng.randint(10, 5000) * 10000)
        debit, credit = (amount, 0) if sign > 0 else (0, amount)
        balance += amount * sign
        rows.append(
            f"{customer.pk}\t{day}\t{kind}\t{source_type}\t{i + 1}\t{debit}\t{credit}\t{kind} {i + 1}\tf\t{now}\n"
        )
    flush(rows)
    balances[customer.pk] = balance
    Balance.objects.bulk_create(
        [Balance(identity_id=k, debit=max(v, 0), credit=max(-v, 0), balance=v) for k, v in balances.items()],
        batch_size=20_000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE finance_ledgerentry; ANALYZE finance_balance")
    print(f"seeded {LedgerEntry.objects.count():,} ledger rows in {time.perf_counter() - start:.0f} s")
    return customer.pk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--identities", type=int, default=1_000_000)
    parser.add_argument("--movements", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--measure-only", action="store_true")
    args = parser.parse_args()
    django_on_postgres(DB)
    from crm.identities.models import Identity

    if args.measure_only:
        identity_id = Identity.objects.get(first_name="Bench", last_name="Statement").pk
    else:
        identity_id = seed(args.identities, args.movements)
    if args.seed_only:
        return
    from django.test import Client
    from django.utils import translation

    from crm.finance import selectors
    from crm.finance.models import LedgerEntry
    from crm.org.models import User

    print(machine_note())
    mine = LedgerEntry.objects.filter(identity_id=identity_id).count()
    print(f"ledger rows: {LedgerEntry.objects.count():,}; the customer's: {mine:,}")
    year_ago = dt.date.today() - dt.timedelta(days=365)
    translation.activate("fa")
    measure(
        "statement, default page (latest 100) [p95 <= 150]",
        lambda: selectors.statement(identity_id=identity_id, page=None),
        args.runs,
    )
    measure(
        "statement, one year, first page of 100",
        lambda: selectors.statement(identity_id=identity_id, date_from=year_ago),
        args.runs,
    )
    measure(
        "profile tab: latest 20",
        lambda: selectors.statement(identity_id=identity_id, page=None, per_page=20),
        args.runs,
    )
    measure(
        "statement, all 10,000 rows (print version)",
        lambda: selectors.statement(identity_id=identity_id, per_page=None),
        max(20, args.runs // 10),
    )
    measure("balance fact", lambda: selectors.balance_for(identity_id), args.runs)
    user = User.objects.filter(username="bench_finance").first() or User.objects.create_superuser(
        "bench_finance", password="x"
    )
    user.language = "fa"
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    url = f"/finance/statement/{identity_id}/"
    assert client.get(url).status_code == 200
    measure(
        "statement, page 100 (the oldest 100)",
        lambda: selectors.statement(identity_id=identity_id, page=100),
        args.runs,
    )
    empty = "/finance/balances/?side=creditors"
    assert client.get(empty).status_code == 200
    measure("baseline: an empty list page over HTTP (the frame)", lambda: client.get(empty), max(50, args.runs // 4))
    measure("statement page over HTTP (fa, 100 rows rendered)", lambda: client.get(url), max(50, args.runs // 4))


if __name__ == "__main__":
    main()
