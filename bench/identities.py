"""Benchmark of the customer database at scale (issue #3, ID-5/ID-6) on PostgreSQL.

    bash scripts/postgres.sh start && .venv/bin/python bench/identities.py [--count 1000000]

Seeds (once, with COPY) 1,000,000 identities with realistic Persian/English names,
1–3 phones each, 1–2 categories, custom fields and a customer number for 30 %; one
profile gets 10,000 history items. Then prints p50/p95/p99 over ≥200 runs of: quick
search by name fragment, phone lookup in mixed formats, customer number lookup, first
list page with a category filter, and the profile with 10,000 history items — all
through the selectors a page uses, as a user with category restrictions (the slow path).
Import throughput is measured by bench/identities_import.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import time
import uuid

from _setup import django_on_postgres, machine_note, measure

DB = "crm_bench_identities"


def _copy(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ") for v in row))
        buffer.write("\n")
    buffer.seek(0)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(buffer.read())


def seed(count: int) -> None:
    from django.db import connection

    from crm.core.demo.registry import vocabulary
    from crm.core.i18n.search import normalize_compact
    from crm.identities.models import Category, Identity

    have = Identity.all_objects.count()
    if have >= count:
        print(f"{have} identities already seeded")
        return
    from crm.org.models import User

    admin = User.objects.filter(username="admin").first()
    categories = list(Category.objects.all())
    if len(categories) < 20:
        for i in range(20 - len(categories)):
            c = Category.objects.create(name=f"دسته {i}", restricted=i % 5 == 0)
            c.path = f"{c.pk:06d}."
            c.save(update_fields=["path"])
        categories = list(Category.objects.all())
    vocab = vocabulary()
    rng = random.Random(1405)
    male, female = vocab["persian_given_names_male"], vocab["persian_given_names_female"]
    surnames, english_first, english_last = (
        vocab["persian_surnames"],
        vocab["english_given_names"],
        vocab["english_surnames"],
    )
    prefixes = [p for group in vocab["iran_mobile_prefixes"].values() for p in group]
    cities = vocab["iran_cities"]
    now = dt.datetime.now(dt.UTC).isoformat()
    started = time.perf_counter()
    batch = 50_000
    identity_cols = [
        "created_at",
        "updated_at",
        "public_id",
        "custom",
        "kind",
        "title",
        "first_name",
        "last_name",
        "organisation_name",
        "display_name",
        "name_key",
        "customer_number",
        "is_unknown",
        "national_id",
        "economic_code",
        "birth_date",
        "colour",
        "class_code",
        "source",
        "notes",
        "created_by_id",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM identities_identity")
        next_id = cursor.fetchone()[0] + 1
        for start in range(have, count, batch):
            size = min(batch, count - start)
            identities, phones, links, used = [], [], [], set()
            for i in range(size):
                n = start + i
                if n % 5 == 0:
                    first, last = rng.choice(english_first), rng.choice(english_last)
                else:
                    first, last = rng.choice(male + female), rng.choice(surnames)
                name = f"{first} {last}"
                custom = json.dumps(
                    {
                        "industry": rng.choice(["it", "retail", "industry", "services"]),
                        "annual_budget": str(rng.randint(1, 900) * 1_000_000),
                    },
                    ensure_ascii=False,
                )
                identities.append(
                    (
                        now,
                        now,
                        uuid.uuid4(),
                        custom,
                        "person",
                        "",
                        first,
                        last,
                        "",
                        name,
                        normalize_compact(name),
                        f"C{100000 + n}" if n % 10 < 3 else None,
                        False,
                        "",
                        "",
                        dt.date(1950 + n % 55, 1 + n % 12, 1 + n % 28),
                        "",
                        "ABC"[n % 3],
                        "bench",
                        "",
                        admin.pk if admin else None,
                    )
                )
                identity_id = next_id + i
                for k in range(1 + n % 3):
                    number = f"+98{rng.choice(prefixes)[1:]}{rng.randint(1000000, 9999999)}"
                    while number in used:
                        number = f"+98{rng.choice(prefixes)[1:]}{rng.randint(1000000, 9999999)}"
                    used.add(number)
                    phones.append((identity_id, "mobile" if k == 0 else "phone", number, "", k == 0))
                links.extend((identity_id, cat) for cat in {rng.choice(categories).pk for _ in range(1 + n % 2)})
            _copy(cursor, "identities_identity", identity_cols, identities)
            _copy(cursor, "identities_phone", ["identity_id", "kind", "number", "extension", "is_primary"], phones)
            _copy(cursor, "identities_identitycategory", ["identity_id", "category_id"], links)
            next_id += size
            print(f"  seeded {start + size:,} identities ({time.perf_counter() - started:.0f} s)", flush=True)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('identities_identity', 'id'),"
            " (SELECT MAX(id) FROM identities_identity))"
        )
        for table in ("identities_identity", "identities_phone", "identities_identitycategory"):
            cursor.execute(f"ANALYZE {table}")
    _ = cities
    print(f"seeded {count - have:,} identities in {time.perf_counter() - started:.0f} s")


def seed_history(identity_id: int, items: int = 10_000) -> None:
    from django.utils import timezone

    from crm.core.timeline.models import TimelineEntry

    if TimelineEntry.objects.filter(identity_id=identity_id).count() >= items:
        return
    now = timezone.now()
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                identity_id=identity_id,
                item_type="identities.event",
                item_id=f"bench-{i}",
                occurred_at=now - dt.timedelta(minutes=i),
                summary=f"رویداد {i}",
            )
            for i in range(items)
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )


def restricted_user():
    """A sales expert who holds a position without access to the restricted categories."""
    from django.contrib.auth.models import Permission

    from crm.org.models import Appointment, Department, Position, User

    user, created = User.objects.get_or_create(username="bench_expert")
    if created:
        dept = Department.objects.create(name="bench", path="")
        position = Position.objects.create(title="bench expert", department=dept)
        position.permissions.set(
            Permission.objects.filter(
                content_type__app_label="identities", codename__in=["view_identity", "view_all_identity"]
            )
        )
        Appointment.objects.create(user=user, position=position, start_date=dt.date(2020, 1, 1))
    return User.objects.get(pk=user.pk)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed-only", action="store_true")
    args = parser.parse_args()
    django_on_postgres(DB)
    from django.core.management import call_command

    call_command("createcachetable")
    call_command("load_demo", verbosity=0)
    print(machine_note())
    seed(args.count)
    if args.seed_only:
        return

    from crm.core.demo.registry import vocabulary
    from crm.core.timeline.selectors import timeline_page
    from crm.identities.models import Category, Identity, Phone
    from crm.identities.selectors import (
        IdentityFilters,
        identity_get_for_user,
        identity_list_for_user,
        identity_list_rows,
        identity_quick_search,
    )

    user = restricted_user()
    rng = random.Random(7)
    vocab = vocabulary()
    fragments = [n[: rng.randint(3, len(n))] for n in vocab["persian_surnames"] + vocab["persian_given_names_male"]]
    fragments = [f.replace("ی", "ي").replace("ک", "ك") for f in fragments]  # typed on an Arabic keyboard
    sample_phones = list(Phone.objects.order_by("?").values_list("number", flat=True)[:500])

    def formats(number: str) -> str:
        national = "0" + number[3:]
        return rng.choice(
            [
                number,
                national,
                national[1:],
                "+98 " + number[3:6] + " " + number[6:9] + " " + number[9:],
                national.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
            ]
        )

    numbers = list(
        Identity.objects.filter(customer_number__isnull=False)
        .order_by("?")
        .values_list("customer_number", flat=True)[:500]
    )
    category = Category.objects.filter(restricted=False).order_by("id").first()
    profile = Identity.objects.filter(categories__restricted=False).order_by("id").first()
    seed_history(profile.pk)
    count = Identity.objects.count()
    print(
        f"{count:,} identities · {Phone.objects.count():,} phones · user '{user.username}' "
        f"sees {Category.objects.filter(restricted=False).count()} of {Category.objects.count()} categories"
    )
    measure(
        "quick search, name fragment (Arabic ي/ك typed)",
        lambda: identity_quick_search(user=user, text=rng.choice(fragments)),
        runs=args.runs,
    )
    from crm.identities.selectors import identity_by_phone

    measure(
        "phone lookup, mixed formats (caller ID)",
        lambda: identity_by_phone(number=formats(rng.choice(sample_phones))),
        runs=max(args.runs, 500),
    )
    measure(
        "customer number lookup (list search)",
        lambda: list(identity_list_for_user(user=user, filters=IdentityFilters(q=rng.choice(numbers)))[:10]),
        runs=args.runs,
    )
    measure(
        "list first page (50) with a category filter",
        lambda: list(
            identity_list_rows(identity_list_for_user(user=user, filters=IdentityFilters(category=category)))[:51]
        ),
        runs=args.runs,
    )
    measure(
        "list first page (50), no filter, sorted by name",
        lambda: list(identity_list_rows(identity_list_for_user(user=user, filters=IdentityFilters(sort="name")))[:51]),
        runs=args.runs,
    )

    def open_profile() -> None:
        identity_get_for_user(user=user, pk=profile.pk)
        timeline_page(user=user, identity_id=profile.pk, page=1)

    measure("profile (10,000 history items): identity + first history page", open_profile, runs=args.runs)
    measure(
        "profile history, page 200 of 400",
        lambda: timeline_page(user=user, identity_id=profile.pk, page=200),
        runs=args.runs,
    )
    try:
        from django.test import Client

        client = Client()
        client.force_login(user)
        if client.get(f"/identities/{profile.pk}/?tab=history").status_code == 200:
            measure(
                "page: profile history tab (full HTML render)",
                lambda: client.get(f"/identities/{profile.pk}/?tab=history"),
                runs=100,
            )
            measure(
                "page: identity list with category filter (full HTML render)",
                lambda: client.get(f"/identities/?category={category.pk}"),
                runs=100,
            )
    except Exception as exc:  # pages may not exist yet when run early
        print(f"(page render not measured: {exc})")


if __name__ == "__main__":
    main()
