"""Benchmark of the CRM items of issue #4 (AC-1 … AC-12) at scale, on PostgreSQL.

    CRM_DB_PORT=55440 .venv/bin/python bench/activities.py [--seed-only | --measure-only]
                                                          [--runs 200] [--explain]

(CRM_DB_PORT is the private cluster's port: `CRM_PG_PORT=55440 CRM_PG_DIR=/tmp/bench-pg
bash scripts/postgres.sh start`; without it, the project cluster on 55432.)

Database `crm_bench_activities`: made once as a copy of `crm_bench_identities` (the 1 M
identities of bench/identities.py) when that one holds them, else seeded with that
script's `seed`. Then seeded, with COPY and ids from the tables' sequences, in batches
that each commit with their progress row (table `bench_seed`), so an interrupted seeding
resumes where it stopped and a finished one is skipped (the loaded tables' secondary indexes
are dropped while loading, their definitions kept in `bench_index`, and built at the end;
about 40 minutes on two busy cores, 7 GB):

- 200 users in 10 departments (a manager and staff positions), 10 rooms, one personal
  calendar per user and 30 shared ones with access rows; the user `bench_u010` (staff,
  no view-all rights) can read exactly 20 calendars: their own, 4 colleagues', 3 open to
  staff, 4 through their department, 4 through their position and 4 given to them;
- 5 M CRM items over the 1 M identities, each with its TimelineEntry (identity history)
  and HistoryItem (global CRM history) row: 2 M tasks (assignee rows; `bench_u010` has
  50,000 of them: open, done, referred, overdue), 1.5 M calls, 1 M appointments over five
  years (attendees, linked identity, 20 % in a room, 2,000 repeating) and 0.5 M notes.

Measured (p50/p95/p99 over --runs, each run with a freshly loaded user as a request has,
so access rules are computed every time), through the selectors the pages use:
- task cartable first page (received, 25 rows), the overdue box and the box counts the
  page shows, for the user with 50,000 tasks (target p95 ≤ 100 ms);
- "my work calendar" month view (a 6-week grid, months varying) for the user who reads 20
  calendars (p95 ≤ 150 ms);
- global CRM history page with a type / actor / identity / date-range filter, for that
  non-superuser and for a department manager with view-all rights (p95 ≤ 150 ms); the
  identity filter also for the profile with 10,000 items;
- free/busy of 3 users and a room over a one-hour slot (p95 ≤ 30 ms).
A measurement whose single call takes over a second gets 20 runs. `--explain` prints
EXPLAIN ANALYZE of the slowest SQL statement of each measurement. Figures and the reasons
for misses: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from collections.abc import Callable
from typing import Any

from _setup import django_on_postgres, machine_note, measure

DB = "crm_bench_activities"
SOURCE_DB = "crm_bench_identities"
IDENTITIES = 1_000_000
USERS = 200
DEPARTMENTS = 10
SHARED_CALENDARS = 30
ROOMS = 10
MAIN = "bench_u010"  # staff of department 0: 50,000 tasks, reads 20 calendars
MANAGER = "bench_u000"  # manager of department 0: view-all rights on tasks, calls, notes, files
COUNTS = {"tasks": 2_000_000, "calls": 1_500_000, "meetings": 1_000_000, "notes": 500_000}
MAIN_TASK_EVERY = 40  # every 40th task is the main user's: 50,000 of 2,000,000
BATCH = 50_000
DAY = 86_400
TEHRAN = 3 * 3600 + 1800  # Asia/Tehran is UTC+03:30 (no clock changes since 2022)

SUBJECTS = [
    "پیگیری قرارداد",
    "جلسه با مشتری",
    "تماس برای پیش‌فاکتور",
    "بررسی شکایت",
    "ارسال کاتالوگ",
    "Quarterly review",
    "Demo of the new product",
    "هماهنگی تحویل",
    "پرداخت قسط",
    "Follow-up on the offer",
]


# --- the database ---------------------------------------------------------------------


def ensure_database() -> None:
    """Make crm_bench_activities as a copy of the identities benchmark database when that
    one holds the million identities (a file copy: seconds instead of a quarter hour)."""
    import psycopg

    os.environ.setdefault("CRM_DB_PORT", "55432")
    params = {"host": "127.0.0.1", "port": os.environ["CRM_DB_PORT"], "user": "postgres", "autocommit": True}
    with psycopg.connect(dbname="postgres", **params) as conn:
        names = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        if DB in names:
            return
        if SOURCE_DB in names:
            with psycopg.connect(dbname=SOURCE_DB, **params) as source:
                have = (
                    source.execute(
                        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'identities_identity'"
                    ).fetchone()[0]
                    and source.execute("SELECT count(*) FROM identities_identity").fetchone()[0]
                )
            if have and have >= IDENTITIES:
                print(f"copying {SOURCE_DB} ({have:,} identities) to {DB}", flush=True)
                conn.execute(f'CREATE DATABASE "{DB}" TEMPLATE "{SOURCE_DB}"')


def progress(cursor: Any, step: str) -> int:
    cursor.execute("SELECT done FROM bench_seed WHERE step = %s", [step])
    row = cursor.fetchone()
    return row[0] if row else 0


def set_progress(cursor: Any, step: str, done: int) -> None:
    cursor.execute(
        "INSERT INTO bench_seed (step, done) VALUES (%s, %s) ON CONFLICT (step) DO UPDATE SET done = EXCLUDED.done",
        [step, done],
    )


def copy_lines(cursor: Any, table: str, columns: str, lines: list[str]) -> None:
    """COPY text rows (tab-separated, \\N for NULL; our generated values hold no tabs,
    newlines or backslashes)."""
    if not lines:
        return
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for start in range(0, len(lines), 10_000):
            copy.write("\n".join(lines[start : start + 10_000]) + "\n")


def reserve_ids(cursor: Any, table: str, count: int) -> int:
    """Take `count` ids from the table's sequence; returns the first."""
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
        [table, table, count],
    )
    return cursor.fetchone()[0] - count + 1


def ts(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()


# --- people, calendars, rooms ---------------------------------------------------------


def seed_org() -> dict[str, Any]:
    """Idempotent: 200 users in 10 departments, rooms, calendars and their access rows."""
    from django.contrib.auth.models import Permission
    from django.db import transaction

    from crm.activities.models import Calendar, CalendarAccess, Room
    from crm.org.models import Appointment, Department, Position, User

    with transaction.atomic():
        if User.objects.filter(username__startswith="bench_u").count() < USERS:
            start = dt.date(2020, 1, 1)
            departments, managers, staff = [], [], []
            view_all = Permission.objects.filter(
                content_type__app_label="activities",
                codename__in=[
                    "view_all_task",
                    "view_all_call",
                    "view_all_note",
                    "view_all_document",
                    "view_department_workreport",
                ],
            )
            for k in range(DEPARTMENTS):
                dept = Department.objects.create(name=f"واحد {k}", code=f"B{k}")
                dept.path = f"{dept.pk:06d}."
                dept.save(update_fields=["path"])
                departments.append(dept)
                manager = Position.objects.create(title=f"مدیر واحد {k}", department=dept, is_manager=True)
                manager.permissions.set(view_all)
                managers.append(manager)
                staff.append(Position.objects.create(title=f"کارشناس واحد {k}", department=dept))
            users = User.objects.bulk_create(
                [
                    User(
                        username=f"bench_u{i:03d}",
                        first_name=f"کاربر{i}",
                        last_name="آزمون",
                        email=f"bench_u{i:03d}@example.com",
                        password="!",  # unusable
                        language="fa",
                    )
                    for i in range(USERS)
                ]
            )
            users = list(User.objects.filter(username__startswith="bench_u").order_by("username"))
            Appointment.objects.bulk_create(
                [
                    Appointment(
                        user=u,
                        position=(managers if i < DEPARTMENTS else staff)[i % DEPARTMENTS],
                        start_date=start,
                    )
                    for i, u in enumerate(users)
                ]
            )
            Room.objects.bulk_create([Room(name=f"اتاق جلسه {k + 1}", capacity=6 + k) for k in range(ROOMS)])
            Calendar.objects.bulk_create(
                [Calendar(name=u.first_name, kind=Calendar.Kind.PERSONAL, owner=u, created_by=u) for u in users]
            )
            kinds = [Calendar.Kind.MANAGERS, Calendar.Kind.STAFF, Calendar.Kind.OCCASIONS, Calendar.Kind.SHARED]
            Calendar.objects.bulk_create(
                [
                    Calendar(name=f"تقویم مشترک {k}", kind=kinds[k % 4], public_to_staff=k < 3)
                    for k in range(SHARED_CALENDARS)
                ]
            )
            shared = list(Calendar.objects.filter(owner__isnull=True).order_by("pk"))
            personal = {c.owner_id: c for c in Calendar.objects.filter(owner__isnull=False, kind="personal")}
            main = users[10]
            rows = []
            # the main user: 3 open to staff (0–2) + 4 by department + 4 by position + 4 personal grants
            rows += [CalendarAccess(calendar=shared[k], department=departments[0]) for k in range(3, 7)]
            rows += [CalendarAccess(calendar=shared[k], position=staff[0]) for k in range(7, 11)]
            rows += [CalendarAccess(calendar=shared[k], user=main, level="write") for k in range(11, 15)]
            rows += [CalendarAccess(calendar=personal[users[i].pk], user=main) for i in range(11, 15)]
            # everybody else: the other shared calendars go to the other departments
            rows += [
                CalendarAccess(calendar=shared[k], department=departments[1 + k % (DEPARTMENTS - 1)])
                for k in range(15, SHARED_CALENDARS)
            ]
            rows += [
                CalendarAccess(calendar=personal[users[i].pk], position=managers[i % DEPARTMENTS])
                for i in range(DEPARTMENTS, USERS)
            ]
            CalendarAccess.objects.bulk_create(rows)
    users = list(User.objects.filter(username__startswith="bench_u").order_by("username"))
    personal = {c.owner_id: c.pk for c in Calendar.objects.filter(owner__isnull=False, kind="personal")}
    return {
        "users": [u.pk for u in users],
        "main": next(u for u in users if u.username == MAIN).pk,
        "manager": next(u for u in users if u.username == MANAGER).pk,
        "personal": personal,
        "shared": list(
            Calendar.objects.filter(owner__isnull=True, name__startswith="تقویم مشترک").values_list("pk", flat=True)
        ),
        "rooms": list(Room.objects.filter(name__startswith="اتاق جلسه").values_list("pk", flat=True)),
    }


# --- the items ------------------------------------------------------------------------


class World:
    def __init__(self, org: dict[str, Any], anchor: int, statuses: dict[str, int]) -> None:
        self.org = org
        self.users = org["users"]
        self.others = [u for u in self.users if u != org["main"]]
        self.anchor = anchor  # seconds since the epoch, fixed at the first seeding
        self.statuses = statuses
        self.id_max = IDENTITIES

    def identity(self, rng: random.Random) -> int:
        return rng.randint(1, self.id_max)

    def past(self, rng: random.Random, days: int = 4 * 365) -> int:
        """A working-hours moment (Tehran time) in the last `days` days."""
        day = self.anchor // DAY - rng.randrange(days)
        return day * DAY - TEHRAN + rng.randrange(8 * 3600, 18 * 3600, 60)


def seed_items(
    world: World, kind: str, total: int, write: Callable[[Any, World, int, int, random.Random], None]
) -> None:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        done = progress(cursor, kind)
    if done >= total:
        print(f"{kind}: {done:,} already seeded")
        return
    started = time.perf_counter()
    for start in range(done, total, BATCH):
        size = min(BATCH, total - start)
        rng = random.Random(f"{kind}:{start}")
        with transaction.atomic(), connection.cursor() as cursor:
            write(cursor, world, start, size, rng)
            set_progress(cursor, kind, start + size)
        rate = (start + size - done) / (time.perf_counter() - started)
        print(f"  {kind}: {start + size:,} of {total:,} ({rate:,.0f} items/s)", flush=True)


def _history(
    timeline: list[str],
    history: list[str],
    item_type: str,
    item_id: int,
    identity: int,
    at: str,
    summary: str,
    actor: int,
    extra: str,
    hidden: str = "f",
) -> None:
    timeline.append(f"{identity}\t{item_type}\t{item_id}\t{at}\t{summary}\t{extra}\t{hidden}\t{actor}")
    history.append(f"{item_type}\t{item_id}\t{at}\t{summary}\t{hidden}\t{actor}")


TIMELINE_COLS = "identity_id, item_type, item_id, occurred_at, summary, extra, hidden, actor_id"
HISTORY_COLS = "item_type, item_id, occurred_at, summary, hidden, actor_id"


def write_tasks(cursor: Any, world: World, start: int, size: int, rng: random.Random) -> None:
    first = reserve_ids(cursor, "activities_task", size)
    main = world.org["main"]
    tasks, rows, links, referrals, timeline, history = [], [], [], [], [], []
    for i in range(size):
        n, pk = start + i, first + i
        mine = n % MAIN_TASK_EVERY == 0
        creator = rng.choice(world.others) if mine else rng.choice(world.users)
        roll = rng.random()
        state = "open" if roll < 0.3 else ("referred" if mine and roll > 0.9 else "done")
        created = world.past(rng, 180 if state == "open" else 4 * 365)
        due = created + rng.randrange(1, 45) * DAY if rng.random() < 0.7 else None
        closed = created + rng.randrange(3600, 20 * DAY) if state == "done" else None
        status = "open" if state != "done" else "done"
        if state == "open" and rng.random() < 0.3:
            status = "in_progress"
        deleted = ts(created + DAY) if rng.random() < 0.005 else "\\N"
        title = f"{rng.choice(SUBJECTS)} {n}"
        priority = rng.choice((1, 2, 2, 2, 3, 4))
        at = ts(created)
        tasks.append(
            f"{pk}\t{at}\t{at}\t{deleted}\t{{}}\t{title}\t\t{priority}\t{ts(due) if due else '\\N'}\t"
            f"{ts(closed) if closed else '\\N'}\tf\t{creator}\t{world.statuses[status]}"
        )
        holder = main if mine else rng.choice(world.others)
        done_at = ts(closed) if closed else "\\N"
        if state == "referred":
            other = rng.choice(world.others)
            handed = ts(created + rng.randrange(600, DAY))
            rows.append(f"referred\t{at}\t{handed}\t{ts(due) if due else '\\N'}\t{priority}\t{pk}\t{holder}")
            rows.append(f"open\t{handed}\t\\N\t{ts(due) if due else '\\N'}\t{priority}\t{pk}\t{other}")
            referrals.append(f"{pk}\t{holder}\t{other}\t\t{handed}")
        else:
            rows.append(f"{state}\t{at}\t{done_at}\t{ts(due) if due else '\\N'}\t{priority}\t{pk}\t{holder}")
        identity = world.identity(rng)
        links.append(f"{pk}\t{identity}")
        _history(
            timeline,
            history,
            "activities.task",
            pk,
            identity,
            at,
            title,
            creator,
            f'{{"status": "{status}"}}',
            "t" if deleted != "\\N" else "f",
        )
    copy_lines(
        cursor,
        "activities_task",
        "id, created_at, updated_at, deleted_at, custom, title, description, priority, due_at, closed_at,"
        " is_announcement, created_by_id, status_id",
        tasks,
    )
    copy_lines(
        cursor, "activities_taskassignee", "state, received_at, done_at, due_at, priority, task_id, user_id", rows
    )
    copy_lines(cursor, "activities_taskreferral", "task_id, from_user_id, to_user_id, note, at", referrals)
    copy_lines(cursor, "activities_task_identities", "task_id, identity_id", links)
    copy_lines(cursor, "core_timelineentry", TIMELINE_COLS, timeline)
    copy_lines(cursor, "core_historyitem", HISTORY_COLS, history)


def write_calls(cursor: Any, world: World, start: int, size: int, rng: random.Random) -> None:
    first = reserve_ids(cursor, "activities_call", size)
    calls, timeline, history = [], [], []
    for i in range(size):
        pk = first + i
        user = rng.choice(world.users)
        at = ts(world.past(rng))
        direction = "in" if rng.random() < 0.6 else "out"
        number = f"0912{rng.randrange(1000000, 9999999)}"
        subject = rng.choice(SUBJECTS)
        identity = world.identity(rng)
        duration = rng.randrange(10, 900)
        calls.append(
            f"{pk}\t{at}\t{at}\t\\N\t{{}}\t{direction}\t{number}\t{100 + user % 50}\t{at}\t{duration}\t"
            f"{subject}\t\t{user}\t{identity}\t{user}"
        )
        _history(
            timeline,
            history,
            "activities.call",
            pk,
            identity,
            at,
            subject,
            user,
            f'{{"direction": "{direction}", "duration": {duration}}}',
        )
    copy_lines(
        cursor,
        "activities_call",
        "id, created_at, updated_at, deleted_at, custom, direction, their_number, our_number, started_at,"
        " duration_seconds, subject, description, created_by_id, identity_id, user_id",
        calls,
    )
    copy_lines(cursor, "core_timelineentry", TIMELINE_COLS, timeline)
    copy_lines(cursor, "core_historyitem", HISTORY_COLS, history)


def write_notes(cursor: Any, world: World, start: int, size: int, rng: random.Random) -> None:
    first = reserve_ids(cursor, "activities_note", size)
    notes, links, timeline, history = [], [], [], []
    for i in range(size):
        pk = first + i
        user = rng.choice(world.users)
        at = ts(world.past(rng))
        title = f"یادداشت {rng.choice(SUBJECTS)}"
        identity = world.identity(rng)
        notes.append(f"{pk}\t{at}\t{at}\t\\N\t{{}}\t{title}\t<p>{title}</p>\t{user}")
        links.append(f"{pk}\t{identity}")
        _history(timeline, history, "activities.note", pk, identity, at, title, user, "{}")
    copy_lines(
        cursor, "activities_note", "id, created_at, updated_at, deleted_at, custom, title, body, created_by_id", notes
    )
    copy_lines(cursor, "activities_note_identities", "note_id, identity_id", links)
    copy_lines(cursor, "core_timelineentry", TIMELINE_COLS, timeline)
    copy_lines(cursor, "core_historyitem", HISTORY_COLS, history)


def write_meetings(cursor: Any, world: World, start: int, size: int, rng: random.Random) -> None:
    """Five years of appointments (four past, one ahead): 90 % in the organiser's own
    calendar, 10 % in a shared one; every 500th repeats."""
    first = reserve_ids(cursor, "activities_meeting", size)
    personal, shared, rooms = world.org["personal"], world.org["shared"], world.org["rooms"]
    meetings, attendees, links, timeline, history = [], [], [], [], []
    for i in range(size):
        n, pk = start + i, first + i
        organiser = rng.choice(world.users)
        calendar = personal[organiser] if rng.random() < 0.9 else rng.choice(shared)
        day = world.anchor // DAY + 365 - rng.randrange(5 * 365)
        repeat, until = "", "\\N"
        if n % 500 == 7:
            day = world.anchor // DAY - rng.randrange(2 * 365)
            repeat = rng.choice(("WEEKLY",) * 7 + ("DAILY",) + ("MONTHLY",) * 2)
            if rng.random() < 0.5:
                until = (dt.date(1970, 1, 1) + dt.timedelta(days=day + rng.randrange(30, 700))).isoformat()
        all_day = rng.random() < 0.01
        if all_day:
            begin = day * DAY - TEHRAN
            end = begin + DAY
        else:
            begin = day * DAY - TEHRAN + rng.randrange(8 * 3600, 17 * 3600, 900)
            end = begin + rng.choice((1800, 3600, 3600, 5400, 7200))
        status = "cancelled" if rng.random() < 0.03 else ("done" if begin < world.anchor else "planned")
        room = rng.choice(rooms) if rng.random() < 0.2 else "\\N"
        subject = rng.choice(SUBJECTS)
        at = ts(begin)
        deleted = "\\N" if rng.random() > 0.005 else ts(begin - DAY)
        meetings.append(
            f"{pk}\t{at}\t{at}\t{deleted}\t{{}}\t{subject}\t\t{at}\t{ts(end)}\t{'t' if all_day else 'f'}\t\t"
            f"{status}\t{repeat}\t1\t{until}\t\\N\t{calendar}\t{organiser}\t{organiser}\t{room}"
        )
        invited = [u for u in rng.sample(world.users, rng.choice((0, 1, 1, 2, 2, 3))) if u != organiser]
        attendees.extend(f"{'declined' if rng.random() < 0.1 else 'accepted'}\t{pk}\t{u}" for u in invited)
        identity = world.identity(rng)
        links.append(f"f\t{identity}\t{pk}")
        _history(
            timeline,
            history,
            "activities.meeting",
            pk,
            identity,
            at,
            subject,
            organiser,
            f'{{"status": "{status}"}}',
            "t" if deleted != "\\N" else "f",
        )
    copy_lines(
        cursor,
        "activities_meeting",
        'id, created_at, updated_at, deleted_at, custom, subject, description, start, "end", all_day, place,'
        " status, repeat, repeat_interval, repeat_until, remind_minutes, calendar_id, created_by_id, organiser_id,"
        " room_id",
        meetings,
    )
    copy_lines(cursor, "activities_meetingattendee", "response, meeting_id, user_id", attendees)
    copy_lines(cursor, "activities_meetingidentity", "invited, identity_id, meeting_id", links)
    copy_lines(cursor, "core_timelineentry", TIMELINE_COLS, timeline)
    copy_lines(cursor, "core_historyitem", HISTORY_COLS, history)


TABLES = [
    "activities_task",
    "activities_taskassignee",
    "activities_taskreferral",
    "activities_task_identities",
    "activities_call",
    "activities_note",
    "activities_note_identities",
    "activities_meeting",
    "activities_meetingattendee",
    "activities_meetingidentity",
    "activities_calendar",
    "activities_calendaraccess",
    "core_timelineentry",
    "core_historyitem",
]


def drop_indexes(cursor: Any) -> None:
    """Loading into tables without their secondary indexes and building those afterwards
    is several times faster; the definitions wait in `bench_index` (an interrupted seeding
    still finds them)."""
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_index (name text PRIMARY KEY, definition text NOT NULL)")
    cursor.execute(
        "INSERT INTO bench_index SELECT indexname, indexdef FROM pg_indexes i"
        " WHERE schemaname = 'public' AND tablename = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ON CONFLICT DO NOTHING",
        [TABLES],
    )
    cursor.execute("SELECT name FROM bench_index WHERE name IN (SELECT indexname FROM pg_indexes)")
    for (name,) in cursor.fetchall():
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_indexes(cursor: Any) -> None:
    cursor.execute("SELECT to_regclass('bench_index')")
    if cursor.fetchone()[0] is None:
        return
    cursor.execute("SET maintenance_work_mem = '512MB'")
    cursor.execute("SELECT name, definition FROM bench_index WHERE name NOT IN (SELECT indexname FROM pg_indexes)")
    for name, definition in cursor.fetchall():
        started = time.perf_counter()
        cursor.execute(definition)
        print(f"  index {name} built in {time.perf_counter() - started:.1f} s", flush=True)
    cursor.execute("DROP TABLE bench_index")


def seed() -> World:
    from django.db import connection

    from crm.core.dictionaries.models import DictionaryEntry
    from crm.identities.models import Identity

    have = Identity.all_objects.count()
    if have < IDENTITIES:
        from identities import seed as seed_identities

        seed_identities(IDENTITIES)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_seed (step varchar(40) PRIMARY KEY, done bigint NOT NULL)")
        anchor = progress(cursor, "anchor")
        if not anchor:
            anchor = int(time.time()) // DAY * DAY
            set_progress(cursor, "anchor", anchor)
    org = seed_org()
    statuses = dict(DictionaryEntry.objects.filter(dictionary="task_status").values_list("code", "pk"))
    world = World(org, anchor, statuses)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if any(progress(cursor, kind) < total for kind, total in COUNTS.items()):
            drop_indexes(cursor)
    seed_items(world, "tasks", COUNTS["tasks"], write_tasks)
    seed_items(world, "calls", COUNTS["calls"], write_calls)
    seed_items(world, "meetings", COUNTS["meetings"], write_meetings)
    seed_items(world, "notes", COUNTS["notes"], write_notes)
    with connection.cursor() as cursor:
        restore_indexes(cursor)
        if not progress(cursor, "analyzed"):
            print("VACUUM ANALYZE …", flush=True)
            for table in TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
            set_progress(cursor, "analyzed", 1)
    elapsed = time.perf_counter() - started
    if elapsed > 5:
        print(f"seeding took {elapsed:,.0f} s")
    return world


# --- measurements ---------------------------------------------------------------------


def explain_slowest(label: str, fn: Callable[[], object]) -> None:
    """EXPLAIN ANALYZE the slowest statement one call of `fn` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = sorted(ctx.captured_queries, key=lambda q: float(q["time"]), reverse=True)
    print(f"\n--- {label}: {len(queries)} queries, slowest {float(queries[0]['time']) * 1000:.1f} ms")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + queries[0]["sql"])
        for (line,) in cursor.fetchall():
            print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    ensure_database()
    django_on_postgres(DB)
    from django.core.management import call_command

    call_command("createcachetable")
    print(machine_note())
    if args.measure_only:
        from django.db import connection

        from crm.core.dictionaries.models import DictionaryEntry

        with connection.cursor() as cursor:
            anchor = progress(cursor, "anchor")
        statuses = dict(DictionaryEntry.objects.filter(dictionary="task_status").values_list("code", "pk"))
        world = World(seed_org(), anchor, statuses)
    else:
        world = seed()
    if args.seed_only:
        return
    run(world, args.runs, args.explain)


def run(world: World, runs: int, explain: bool) -> None:
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from crm.activities.access import readable_calendar_ids
    from crm.activities.models import Meeting, TaskAssignee
    from crm.activities.selectors import busy, task_cartable, task_cartable_counts, work_calendar
    from crm.core.timeline.models import HistoryItem
    from crm.core.timeline.selectors import crm_history_page
    from crm.org.models import User

    main, manager = world.org["main"], world.org["manager"]
    user = User.objects.get(pk=main)
    rng = random.Random(4)
    print(
        f"{HistoryItem.objects.count():,} history items · {Meeting.all_objects.count():,} appointments · "
        f"{TaskAssignee.objects.filter(user=user).count():,} task rows of {user.username} "
        f"({task_cartable_counts(user=user)}) · readable calendars: {len(readable_calendar_ids(user))}"
    )
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    results: dict[str, dict[str, float]] = {}

    def timed(label: str, fn: Callable[[], object], n: int = runs) -> None:
        started = time.perf_counter()
        fn()
        if time.perf_counter() - started > 1 and n > 20:
            n = 20  # seconds per call: 20 runs say enough
            print(f"({label}: over a second per call, 20 runs only)")
        results[label] = measure(label, fn, runs=n, warmup=2)
        if explain:
            explain_slowest(label, fn)

    def fresh(pk: int = main) -> Any:
        return User.objects.get(pk=pk)

    # task cartable ------------------------------------------------------------------
    timed("task cartable: received, first page (25)", lambda: list(task_cartable(user=fresh(), box="received")[:26]))
    timed("task cartable: overdue, first page (25)", lambda: list(task_cartable(user=fresh(), box="overdue")[:26]))
    timed("task cartable: box counts (received, overdue)", lambda: task_cartable_counts(user=fresh()))

    def cartable_page() -> None:
        u = fresh()
        list(task_cartable(user=u, box="received")[:26])
        list(task_cartable(user=u, box="overdue")[:26])
        task_cartable_counts(user=u)

    timed("task cartable page: received + overdue + counts", cartable_page)

    # my work calendar ---------------------------------------------------------------
    tz = ZoneInfo("Asia/Tehran")
    today = dt.datetime.fromtimestamp(world.anchor, tz).date()

    def month_window(offset: int) -> tuple[dt.datetime, dt.datetime]:
        first = (today.replace(day=1) + dt.timedelta(days=31 * offset)).replace(day=1)
        since = dt.datetime.combine(first - dt.timedelta(days=(first.weekday() + 2) % 7), dt.time(), tz)  # Saturday
        return since, since + dt.timedelta(days=42)

    sizes = []
    for offset in (-1, 0, 1):
        since, until = month_window(offset)
        found = work_calendar(user=fresh(), since=since, until=until)
        sizes.append(len(found))
    repeating = sum(1 for o in found if o.meeting.repeat)
    print(f"month views hold {sizes} occurrences (last one: {repeating} of repeating appointments)")

    timezone.activate(tz)
    timed(
        "my work calendar: month view (6 weeks, 20 calendars)",
        lambda: work_calendar(user=fresh(), since=(w := month_window(rng.randint(-6, 1)))[0], until=w[1]),
    )
    timed(
        "my work calendar: week view",
        lambda: work_calendar(
            user=fresh(),
            since=(s := dt.datetime.combine(today + dt.timedelta(days=rng.randint(-60, 30)), dt.time(), tz)),
            until=s + dt.timedelta(days=7),
        ),
    )

    # global CRM history -------------------------------------------------------------
    users = world.users
    from django.db.models import Count

    from crm.core.timeline.models import TimelineEntry

    top = TimelineEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    picks = [rng.randint(1, top) for _ in range(2000)]
    identities = list(TimelineEntry.objects.filter(pk__in=picks).values_list("identity_id", flat=True)[:500])
    # the profile bench/identities.py gave 10,000 history items
    big_identity = (
        TimelineEntry.objects.values("identity_id")
        .annotate(n=Count("id"))
        .filter(n__gte=1000)
        .order_by("-n")
        .values_list("identity_id", flat=True)
        .first()
    ) or identities[0]
    types = ["activities.task", "activities.call", "activities.meeting", "activities.note"]
    anchor = dt.datetime.fromtimestamp(world.anchor, dt.UTC)

    def history(pk: int, **filters: Any) -> Callable[[], object]:
        return lambda: crm_history_page(user=fresh(pk), **{k: v() for k, v in filters.items()})

    def month_range() -> tuple[dt.datetime, dt.datetime]:
        since = anchor - dt.timedelta(days=rng.randint(30, 4 * 365))
        return since, since + dt.timedelta(days=30)

    for who, pk in (("staff", main), ("manager", manager)):
        timed(f"CRM history ({who}): no filter", history(pk))
        timed(f"CRM history ({who}): type filter", history(pk, item_types=lambda: [rng.choice(types)]))
        timed(f"CRM history ({who}): actor filter", history(pk, actor_ids=lambda: [rng.choice(users)]))
        timed(f"CRM history ({who}): identity filter", history(pk, identity_id=lambda: rng.choice(identities)))
        timed(
            f"CRM history ({who}): identity filter, a profile with 10,000 items",
            history(pk, identity_id=lambda: big_identity),
            n=min(runs, 50),
        )

        def ranged(pk: int = pk) -> object:
            since, until = month_range()
            return crm_history_page(user=fresh(pk), since=since, until=until)

        timed(f"CRM history ({who}): date range (a month)", ranged)

        def combined(pk: int = pk) -> object:
            since, until = month_range()
            return crm_history_page(
                user=fresh(pk), item_types=[rng.choice(types)], actor_ids=[rng.choice(users)], since=since, until=until
            )

        timed(f"CRM history ({who}): type + actor + date range", combined)

    # free/busy ----------------------------------------------------------------------
    rooms = world.org["rooms"]

    def free_busy() -> object:
        day = today + dt.timedelta(days=rng.randint(-30, 60))
        start = dt.datetime.combine(day, dt.time(rng.randint(8, 16)), tz)
        return busy(
            start=start,
            end=start + dt.timedelta(hours=1),
            user_ids=rng.sample(users, 3),
            room_id=rng.choice(rooms),
        )

    timed("free/busy: 3 users + a room, one hour", free_busy, n=max(runs, 300))
    targets = [
        ("task cartable page: received + overdue + counts", 100),
        ("my work calendar: month view (6 weeks, 20 calendars)", 150),
        ("free/busy: 3 users + a room, one hour", 30),
    ] + [(label, 150) for label in results if label.startswith("CRM history")]
    print("\nload average at the end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    for label, target in targets:
        p95 = results[label]["p95"]
        print(f"{label:<58} p95 {p95:8.2f} ms   target {target} ms   {'met' if p95 <= target else 'MISSED'}")


if __name__ == "__main__":
    main()
