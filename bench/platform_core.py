"""Benchmark of the platform mechanisms on PostgreSQL (issue #2).

    bash scripts/postgres.sh start && .venv/bin/python bench/platform_core.py [--cards 200000]

Prints: numbering throughput (1 and 4 concurrent writers), due-job handling rate with one
and two workers, custom-field filter/sort over N employee cards, permission resolution, and
the employee list page through the selector with a custom-field filter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import threading
import time

from _setup import ROOT, django_on_postgres, machine_note, measure


def seed_cards(count: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from crm.core.customfields.models import CustomFieldDefinition
    from crm.core.customfields.services import _ensure_postgres_index
    from crm.core.demo.registry import vocabulary
    from crm.org.models import EmployeeCard

    have = EmployeeCard.objects.count()
    ct = ContentType.objects.get_for_model(EmployeeCard)
    for key, kind, choices in (
        ("grade", "number", []),
        ("size", "choice", [{"value": v} for v in "SMLX"]),
        ("contract_end", "date", []),
    ):
        definition, _ = CustomFieldDefinition.objects.get_or_create(
            content_type=ct, key=key, defaults={"kind": kind, "labels": {"en": key}, "choices": choices}
        )
        _ensure_postgres_index(definition)
    if have >= count:
        return
    vocab = vocabulary()
    first = vocab["persian_given_names_male"] + vocab["persian_given_names_female"]
    last = vocab["persian_surnames"]
    rng = random.Random(7)
    batch = []
    started = time.perf_counter()
    for i in range(have, count):
        batch.append(
            EmployeeCard(
                first_name=rng.choice(first),
                last_name=rng.choice(last),
                personnel_number=str(100000 + i),
                custom={
                    "grade": rng.randint(1, 20),
                    "size": rng.choice("SMLX"),
                    "contract_end": (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 900))).isoformat(),
                },
            )
        )
        if len(batch) == 5000:
            EmployeeCard.objects.bulk_create(batch)
            batch = []
    if batch:
        EmployeeCard.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE org_employeecard")
    print(f"seeded {count - have} employee cards in {time.perf_counter() - started:.1f} s")


def bench_numbering() -> None:
    from django.db import connection, transaction

    from crm.core.numbering.models import NumberCounter, NumberSequence
    from crm.core.numbering.services import sequence_next

    NumberSequence.objects.get_or_create(key="bench", defaults={"name": "bench", "pattern": "{number}"})
    NumberCounter.objects.filter(sequence__key="bench").delete()
    n = 3000
    started = time.perf_counter()
    for _ in range(n):
        with transaction.atomic():
            sequence_next(key="bench")
    rate = n / (time.perf_counter() - started)
    print(f"{'numbering: numbers/s, 1 writer (one transaction each)':<58} {rate:8.0f} /s")

    per_thread, threads = 750, 4

    def draw() -> None:
        for _ in range(per_thread):
            with transaction.atomic():
                sequence_next(key="bench")
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=draw) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    rate = per_thread * threads / (time.perf_counter() - started)
    print(f"{'numbering: numbers/s, 4 concurrent writers':<58} {rate:8.0f} /s")


def bench_due_jobs(rows: int = 10000) -> None:
    from django.utils import timezone

    from crm.core.scheduling.models import DueJob

    DueJob.objects.filter(kind="bench.noop").delete()
    for workers in (1, 2):
        now = timezone.now()
        DueJob.objects.bulk_create([DueJob(kind="bench.noop", due_at=now) for _ in range(rows)], batch_size=5000)
        started = time.perf_counter()
        procs = [
            subprocess.Popen([sys.executable, str(ROOT / "bench" / "_due_worker.py"), f"w{i}"], cwd=ROOT)
            for i in range(workers)
        ]
        for p in procs:
            p.wait()
        elapsed = time.perf_counter() - started
        done = DueJob.objects.filter(kind="bench.noop", status=DueJob.Status.DONE).count()
        print(
            f"{f'due jobs: {rows} due in the same minute, {workers} worker(s)':<58} {elapsed:8.1f} s  "
            f"({done / elapsed:.0f} rows/s, {done} done)"
        )
        DueJob.objects.filter(kind="bench.noop").delete()


def bench_custom_fields() -> None:
    from crm.core.customfields.models import CustomFieldDefinition
    from crm.core.customfields.selectors import custom_filter, custom_order
    from crm.org.models import EmployeeCard

    grade = CustomFieldDefinition.objects.get(key="grade", content_type__model="employeecard")
    size = CustomFieldDefinition.objects.get(key="size", content_type__model="employeecard")
    base = EmployeeCard.objects.all()
    measure(
        "custom field: equality filter (choice), first 50",
        lambda: list(custom_filter(base, definition=size, op="eq", value="M").order_by("pk")[:50]),
    )
    measure(
        "custom field: range filter (number > 18), first 50",
        lambda: list(custom_filter(base, definition=grade, op="gt", value=18).order_by("pk")[:50]),
    )
    measure(
        "custom field: sort by number desc, first 50",
        lambda: list(custom_order(base, definition=grade, descending=True)[:50]),
    )


def bench_access_and_list() -> None:
    from django.test import Client

    from crm.org.models import User
    from crm.org.selectors import employee_card_list_for_user

    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("benchadmin", password="x")
    expert = User.objects.filter(username="sara").first()
    if expert is not None:
        measure(
            "permissions: resolve a user's rights from positions (cold)",
            lambda: User.objects.get(pk=expert.pk).get_all_permissions(),
        )
    measure(
        "selector: employee cards visible to admin, first page",
        lambda: list(employee_card_list_for_user(user=admin).order_by("last_name", "first_name", "pk")[:51]),
    )
    client = Client()
    client.force_login(admin)
    measure(
        "page: /org/employees/?cf_size=M&sort=-cf_grade (HTML, full render)",
        lambda: client.get("/org/employees/?cf_size=M&sort=-cf_grade"),
        runs=100,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=200_000)
    args = parser.parse_args()
    django_on_postgres()
    from django.core.management import call_command

    call_command("createcachetable")
    call_command("load_demo", verbosity=0)
    print(machine_note())
    seed_cards(args.cards)
    bench_numbering()
    bench_due_jobs()
    bench_custom_fields()
    bench_access_and_list()


if __name__ == "__main__":
    main()
