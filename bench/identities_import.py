"""Import throughput (ID-9) on PostgreSQL: a generated CSV through the real import service.

    bash scripts/postgres.sh start && .venv/bin/python bench/identities_import.py [--rows 100000]
        [--mode skip|all] [--dry-run] [--write-csv FILE]

The CSV looks like a Persian/English customer list exported from Excel: Persian headers,
first/last name, 1–3 phone numbers in mixed formats (Persian digits, +98, 0098, spaces),
an email for most rows, city, a Jalali birthday for some, a category column. It is
imported into its own database (crm_bench_import), emptied of identities first, and the
script prints rows/s for the whole run (reading, checking, writing, audit and history).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import time
from pathlib import Path

from _setup import django_on_postgres, machine_note

HEADERS = ["نام", "نام خانوادگی", "موبایل", "تلفن", "ایمیل", "شهر", "تاریخ تولد", "دسته", "توضیحات"]
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def generate_csv(rows: int, seed: int = 7) -> bytes:
    """A realistic customer list; every phone number is unique, so no warnings pile up."""
    from crm.core.demo.registry import vocabulary

    vocab = vocabulary()
    persian_first = vocab["persian_given_names_male"] + vocab["persian_given_names_female"]
    latin_first = vocab["english_given_names"] + vocab["ukrainian_given_names"]
    latin_last = vocab["english_surnames"] + vocab["ukrainian_surnames"]
    cities = vocab["iran_cities"]
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for i in range(rows):
        persian = rng.random() < 0.8
        first = rng.choice(persian_first) if persian else rng.choice(latin_first)
        last = rng.choice(vocab["persian_surnames"]) if persian else rng.choice(latin_last)
        mobile = f"0912{i:07d}"
        style = rng.random()
        if style < 0.25:
            mobile = mobile.translate(PERSIAN_DIGITS)
        elif style < 0.5:
            mobile = f"+98 {mobile[1:4]} {mobile[4:7]} {mobile[7:]}"
        phone = f"021{i:08d}" if rng.random() < 0.5 else ""
        if phone and rng.random() < 0.3:
            phone = f"{phone} ::: 0098{i + 31_000_000_0:010d}"
        email = f"customer{i}@example.com" if rng.random() < 0.7 else ""
        birthday = (
            f"{rng.randint(1330, 1385)}/{rng.randint(1, 12):02d}/{rng.randint(1, 29):02d}" if rng.random() < 0.4 else ""
        )
        writer.writerow(
            [
                first,
                last,
                mobile,
                phone,
                email,
                rng.choice(cities),
                birthday,
                "مشتریان نمایشگاه" if rng.random() < 0.3 else "",
                "",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def empty_identities() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE identities_identity, identities_phone, identities_email, identities_address, "
            "identities_website, identities_identitycategory, core_timelineentry, identities_importjob CASCADE"
        )
        cursor.execute("DELETE FROM core_auditentry WHERE action IN ('identity.created', 'identity.imported')")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--mode", choices=["skip", "all"], default="skip")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--write-csv", help="Also save the generated CSV here.")
    args = parser.parse_args()

    django_on_postgres("crm_bench_import")
    from crm.identities.imports.services import identity_import_run, import_job_configure, import_job_create
    from crm.identities.models import Category

    print(machine_note())
    started = time.perf_counter()
    content = generate_csv(args.rows)
    print(f"generated {args.rows} rows ({len(content) / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
    if args.write_csv:
        Path(args.write_csv).write_bytes(content)
    empty_identities()
    Category.objects.get_or_create(name="مشتریان نمایشگاه", defaults={"path": "000001."})

    from django.conf import settings

    settings.CRM_UPLOAD_MAX_BYTES = max(settings.CRM_UPLOAD_MAX_BYTES, len(content))
    job = import_job_create(actor=None, content=content, filename="bench.csv", system=True)
    job = import_job_configure(actor=None, job=job, mode=args.mode, dry_run=args.dry_run, system=True)
    load_before = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    job = identity_import_run(job=job, system=True)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = max(job.processed_rows, 1)
    print(
        f"mode {args.mode}{' (dry run)' if args.dry_run else ''}: {job.status}, {job.processed_rows} rows, "
        f"{job.created_count} created, {job.error_count} bad rows, {len(job.report)} report entries"
    )
    print(f"{'import throughput (rows/s, whole run)':<58} {rows / elapsed:8.0f} /s   ({elapsed:.1f} s)")
    print(f"{'  CPU of this process per row (the database is extra)':<58} {cpu * 1e6 / rows:8.0f} µs")
    print(
        f"  load average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
