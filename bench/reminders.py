"""Benchmark of follow-up reminders at their due time (issue #4, AC-7) on PostgreSQL.

    CRM_DB_PORT=55440 .venv/bin/python bench/reminders.py [--count 10000] [--seed-only | --measure-only]
                                                         [--workers 1 2] [--no-profile]

(CRM_DB_PORT: the cluster's port, default 55432, the project cluster.)

Database `crm_bench_reminders`: 200 users (a fifth chose email notifications, so the
outbox gets rows too; languages fa and en) and 1,000 phone calls to hang follow-ups on
(`--seed-only` makes them and stops; they are kept for reruns).

For each worker count (1, then 2 racing): the real worker processes
(`manage.py crm_worker --no-tasks`) are started and left idle; then --count follow-ups
with their due jobs (what `followup_set` writes: a FollowUp row and a `followup.remind`
DueJob keyed by the follow-up's dedupe key) are written with COPY, all due at the same
instant a few seconds ahead. From that instant the script counts the `followup.due`
notifications until there are --count of them (target: all within 60 s with one worker),
prints the time and rows/s, stops the workers, and checks that no follow-up produced two
notifications, none produced none, no email was queued twice and no due job is left
pending or running.

Then (unless --no-profile) it runs 200 reminders in this process, batch by batch as the
worker does, and prints the SQL statements per reminder grouped by shape, with their
share of the time: where a faster `_remind` / `notify` / claim loop would save.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _setup import ROOT, django_on_postgres, machine_note

DB = "crm_bench_reminders"
USERS = 200
CALLS = 1000
TARGET_S = 60


def seed() -> None:
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from crm.activities.models import Call
    from crm.org.models import User

    with transaction.atomic():
        if User.objects.filter(username__startswith="rem_u").count() < USERS:
            User.objects.bulk_create(
                [
                    User(
                        username=f"rem_u{i:03d}",
                        first_name=f"کاربر{i}",
                        email=f"rem_u{i:03d}@example.com",
                        password="!",
                        language="fa" if i % 3 else "en",
                        notify_by_email=i % 5 == 0,
                    )
                    for i in range(USERS)
                ]
            )
        if Call.all_objects.count() < CALLS:
            users = list(User.objects.filter(username__startswith="rem_u").order_by("pk"))
            now = timezone.now()
            Call.objects.bulk_create(
                [
                    Call(
                        direction="in",
                        their_number=f"0912{1000000 + i}",
                        started_at=now - dt.timedelta(hours=i),
                        user=users[i % USERS],
                        created_by=users[i % USERS],
                        subject=f"تماس پیگیری {i}",
                    )
                    for i in range(CALLS)
                ]
            )


def clean() -> None:
    """Forget earlier runs' reminders, notifications and outbox rows (bench database only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("core_notification", "core_outboxmessage", "core_followup", "core_duejob"):
            cursor.execute(f"TRUNCATE {table} CASCADE")


def schedule(count: int, due_at: Any) -> None:
    """What followup_set writes for each reminder, for `count` of them at once (COPY)."""
    from django.db import transaction

    from crm.activities.models import Call
    from crm.core.bulk import bulk_insert
    from crm.core.items.models import FollowUp
    from crm.core.scheduling.models import DueJob
    from crm.org.models import User

    users = list(User.objects.filter(username__startswith="rem_u").values_list("pk", flat=True))
    calls = list(Call.objects.values_list("pk", flat=True)[:CALLS])
    rng = random.Random(count)
    with transaction.atomic():
        followups = [
            FollowUp(
                item_type="activities.call",
                item_id=str(rng.choice(calls)),
                user_id=users[i % len(users)],
                due_at=due_at,
                note=f"پیگیری شماره {i}",
                remind=True,
            )
            for i in range(count)
        ]
        bulk_insert(FollowUp, followups)
        bulk_insert(
            DueJob,
            [
                DueJob(kind="followup.remind", due_at=f.due_at, payload={"followup": f.pk}, dedupe_key=f.dedupe_key)
                for f in followups
            ],
        )


def start_workers(n: int, log_dir: Path) -> list[tuple[subprocess.Popen, Path]]:
    procs = []
    for i in range(n):
        out = log_dir / f"reminder-worker-{i}.log"
        handle = out.open("w")
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "crm_worker", "--no-tasks", "--worker-id", f"bench-w{i}"],
            cwd=ROOT,
            stdout=handle,  # the console email backend prints the emails here
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
        procs.append((proc, out))
    deadline = time.time() + 60
    for proc, out in procs:
        while "started" not in out.read_text(errors="replace"):
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"worker did not start:\n{out.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
    return procs


def stop_workers(procs: list[tuple[subprocess.Popen, Path]]) -> None:
    for proc, _out in procs:
        proc.send_signal(signal.SIGTERM)
    for proc, _out in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def race(count: int, workers: int, log_dir: Path) -> dict[str, Any]:
    import datetime as dt

    from django.db.models import Count
    from django.utils import timezone

    from crm.core.items.models import FollowUp
    from crm.core.notifications.models import Notification, OutboxMessage
    from crm.core.scheduling.models import DueJob

    clean()
    procs = start_workers(workers, log_dir)
    try:
        due_at = (timezone.now() + dt.timedelta(seconds=8)).replace(microsecond=0)
        schedule(count, due_at)
        while timezone.now() < due_at:
            time.sleep(0.02)
        started = time.perf_counter()
        marks: dict[int, float] = {}
        done = 0
        while done < count and time.perf_counter() - started < 10 * TARGET_S:
            time.sleep(0.1)
            done = Notification.objects.filter(kind="followup.due").count()
            for fraction in (1, 2, 3, 4):
                if done >= count * fraction // 4 and fraction not in marks:
                    marks[fraction] = time.perf_counter() - started
        elapsed = time.perf_counter() - started
        # let the outbox drain too (emails of those who chose them), then stop
        limit = time.perf_counter() + 60
        while (
            OutboxMessage.objects.filter(status__in=["pending", "sending"]).exists()
            or DueJob.objects.filter(status__in=["pending", "running"]).exists()
        ) and time.perf_counter() < limit:
            time.sleep(0.2)
        outbox_done = time.perf_counter() - started
    finally:
        stop_workers(procs)
    per_key = Counter(
        dict(
            Notification.objects.filter(kind="followup.due")
            .values_list("dedupe_key")
            .annotate(n=Count("id"))
            .values_list("dedupe_key", "n")
        )
    )
    twice = sum(1 for n in per_key.values() if n > 1)
    notified_followups = len({re.sub(r":u\d+$", "", key) for key in per_key})
    outbox_twice = OutboxMessage.objects.values("dedupe_key").annotate(n=Count("id")).filter(n__gt=1).count()
    left = dict(
        DueJob.objects.exclude(status="done").values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    by_worker = dict(
        DueJob.objects.filter(kind="followup.remind")
        .values_list("claimed_by")
        .annotate(n=Count("id"))
        .values_list("claimed_by", "n")
    )
    result = {
        "workers": workers,
        "notified": done,
        "seconds": elapsed if done >= count else None,
        "rows_per_s": done / elapsed,
        "quarters": marks,
        "twice": twice,
        "missing": count - notified_followups,
        "outbox": OutboxMessage.objects.count(),
        "outbox_twice": outbox_twice,
        "outbox_unsent": OutboxMessage.objects.exclude(status="sent").count(),
        "outbox_done_s": outbox_done,
        "left": left,
        "by_worker": by_worker,
        "reminded": FollowUp.objects.filter(reminded_at__isnull=False).count(),
    }
    result["load"] = os.getloadavg()
    verdict = "met" if result["seconds"] is not None and result["seconds"] <= TARGET_S else "MISSED"
    quarters = " · ".join(f"{25 * k}% at {v:.1f} s" for k, v in sorted(marks.items()))
    print(
        f"{count:,} reminders due at once, {workers} worker(s): "
        + (f"all notified in {elapsed:.1f} s" if done >= count else f"only {done:,} after {elapsed:.0f} s")
        + f" ({result['rows_per_s']:.0f} rows/s; {quarters}) — target {TARGET_S} s: {verdict}"
    )
    print(
        f"   per worker: {by_worker}; notified twice: {twice}; follow-ups without a notification: "
        f"{result['missing']}; follow-ups marked reminded: {result['reminded']:,}; jobs not done: {left or 'none'}"
    )
    print(
        f"   emails queued: {result['outbox']:,} (twice: {outbox_twice}, unsent: {result['outbox_unsent']}), "
        f"outbox drained at {outbox_done:.1f} s; load average {result['load'][0]:.1f}"
    )
    return result


def profile(count: int = 200) -> None:
    """Run `count` reminders here, as the worker does, and show their SQL per reminder."""
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from crm.core.scheduling.services import due_jobs_run_batch

    clean()
    schedule(count, (timezone.now() - dt.timedelta(seconds=1)).replace(microsecond=0))
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        while due_jobs_run_batch(worker_id="profile", limit=200):
            pass
    elapsed = time.perf_counter() - started
    shapes: dict[str, list[float]] = {}
    for query in ctx.captured_queries:
        sql = query["sql"]
        shape = re.sub(r"'[^']*'|\b\d+\b|\"s\d+_x\d+\"", "?", sql)
        shape = re.sub(r"\(\?(, \?)+\)", "(…)", shape)
        shape = re.sub(r"SELECT .*? FROM", "SELECT … FROM", shape, count=1)
        shapes.setdefault(shape[:150], []).append(float(query["time"]))
    total_db = sum(sum(v) for v in shapes.values())
    print(
        f"\nprofile: {count} reminders in one process: {elapsed:.2f} s, {elapsed / count * 1000:.2f} ms each, "
        f"{len(ctx.captured_queries) / count:.1f} SQL statements each; time in SQL {total_db / elapsed:.0%}"
    )
    for shape, times in sorted(shapes.items(), key=lambda kv: -len(kv[1])):
        print(f"   {len(times) / count:5.2f}/reminder  {sum(times) / count * 1000:6.3f} ms  {shape}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    django_on_postgres(DB)
    os.environ["CRM_DB_NAME"] = DB  # the workers inherit the environment
    print(machine_note())
    if not args.measure_only:
        seed()
    if args.seed_only:
        return
    log_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    for workers in args.workers:
        race(args.count, workers, log_dir)
    if not args.no_profile:
        profile()


if __name__ == "__main__":
    main()
