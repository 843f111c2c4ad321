"""Demo data of the CRM items (AC-1 … AC-12), through the services as people would make
it: calendars with access, two meeting rooms, appointments over the coming two weeks
(some today, some weekly), tasks in every state with a referral chain and a three-step
workflow, an announcement, calls, notes, a few small files (made here: a PNG, a PDF, a
WAV recording), work reports, follow-ups and comments with mentions.

Runs once: a second run only grants the rights again (the managers' calendar marks it)."""

from __future__ import annotations

import datetime as dt
import io
import struct
import wave
import zlib
from typing import Any

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.activities import services
from crm.activities.errors import ActivityError
from crm.activities.models import Calendar, Meeting, Room, Task, WorkReport
from crm.core.items import services as items
from crm.identities.models import Identity, Phone
from crm.org.models import Department, Position, User

MANAGERS_CALENDAR = "تقویم مدیران"
RIGHTS = {  # position title -> activities permission codenames ("*": all of them)
    "مدیر عامل": "*",
    "مدیر دفتر": [
        "manage_calendars",
        "announce",
        "add_tasktype",
        "change_tasktype",
        "view_all_task",
        "view_all_call",
        "view_all_note",
        "view_all_document",
        "view_department_workreport",
    ],
    "مدیر فروش": ["announce", "view_department_workreport", "view_all_call"],
}
SUBJECTS = [
    "جلسه با مشتری درباره قرارداد جدید",
    "بازدید حضوری از دفتر مشتری",
    "ارائه محصول به تیم خرید",
    "جلسه پیگیری سفارش",
    "جلسه هماهنگی تحویل کالا",
    "بررسی پیش‌فاکتور",
    "Demo call with the purchasing team",
    "Contract review",
    "جلسه آموزش نرم‌افزار",
    "مذاکره قیمت سالانه",
]
TASK_TITLES = [
    "ارسال پیش‌فاکتور",
    "تماس برای پیگیری پرداخت",
    "به‌روزرسانی اطلاعات تماس مشتری",
    "آماده‌سازی نمونه محصول",
    "پاسخ به ایمیل شکایت",
    "تنظیم قرارداد پشتیبانی",
    "هماهنگی جلسه با مدیر فروش",
    "ثبت سفارش در سامانه",
    "Prepare the quarterly sales figures",
    "Send the catalogue",
    "بررسی درخواست تخفیف",
    "ارسال کارت تبریک",
]
CALL_SUBJECTS = [
    "پیگیری سفارش",
    "استعلام قیمت",
    "شکایت از تأخیر ارسال",
    "درخواست پیش‌فاکتور",
    "هماهنگی جلسه",
    "سؤال درباره گارانتی",
    "Order status",
    "Price enquiry",
    "",
]
NOTE_TEXTS = [
    (
        "خلاصه جلسه",
        "<p>مشتری به <b>نسخه سازمانی</b> علاقه‌مند است.</p>"
        "<ul><li>ارسال پیش‌فاکتور تا آخر هفته</li><li>دمو برای تیم فنی</li></ul>",
    ),
    ("نکات تماس", "<p>ترجیح می‌دهد صبح‌ها تماس بگیریم. شماره دوم فقط برای موارد فوری.</p>"),
    ("نیازهای مشتری", "<p>سه شعبه دارد و برای هر شعبه <i>دسترسی جداگانه</i> می‌خواهد.</p>"),
    ("Meeting notes", "<p>Interested in the <b>annual plan</b>; asked for references.</p>"),
    ("یادداشت پیگیری", "<p>پرداخت قسط دوم عقب افتاده؛ با حسابداری هماهنگ شد.</p>"),
]


def _grant_rights() -> None:
    perms = Permission.objects.filter(content_type__app_label="activities")
    for title, codes in RIGHTS.items():
        for position in Position.objects.filter(title=title):
            position.permissions.add(*(perms if codes == "*" else perms.filter(codename__in=codes)))


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _users() -> dict[str, User]:
    """Fresh user objects (rights and readable calendars are cached per object)."""
    return {u.username: u for u in User.objects.filter(is_active=True)}


# --- small files made here, so the demo needs nothing from outside -----------------------


def tiny_png(width: int = 320, height: int = 160) -> bytes:
    """A small logo-like picture (a gradient with a disc) as a real PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    def pixel(x: int, y: int) -> bytes:
        if (x - width // 2) ** 2 + (y - height // 2) ** 2 < (height // 3) ** 2:
            return b"\xff\xff\xff"
        return bytes((13 + x * 60 // width, 110 - y * 40 // height, 253 - x * 80 // width))

    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a few lines of (ASCII) text."""
    text = "BT /F1 28 Tf 56 760 Td 40 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("ascii") + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def tiny_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short, quiet two-tone beep as a WAV file (a call recording to play)."""
    import math

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        frames = bytes(
            int(128 + 40 * math.sin(2 * math.pi * (440 if i < rate * seconds / 2 else 660) * i / rate))
            for i in range(int(rate * seconds))
        )
        out.writeframes(frames)
    return buffer.getvalue()


# --- the loader ------------------------------------------------------------------------------


def _calendars(admin: User, users: dict[str, User]) -> dict[str, Calendar]:
    positions = {p.title: p for p in Position.objects.all()}
    office_dept = Department.objects.filter(code="OFFICE").first()

    def grants(*pairs: tuple[str, Any, str]) -> list[tuple[str, int, str]]:
        return [(kind, obj.pk, level) for kind, obj, level in pairs if obj is not None]

    managers = services.calendar_save(
        actor=admin,
        values={"name": MANAGERS_CALENDAR, "kind": Calendar.Kind.MANAGERS, "colour": "#6f42c1"},
        grants=grants(
            ("position", positions.get("مدیر عامل"), "write"),
            ("position", positions.get("مدیر دفتر"), "write"),
            ("position", positions.get("مدیر فروش"), "read"),
        ),
    )
    staff = services.calendar_save(
        actor=admin,
        values={"name": "تقویم کارکنان", "kind": Calendar.Kind.STAFF, "colour": "#0d6efd", "public_to_staff": True},
        grants=grants(
            ("position", positions.get("مدیر دفتر"), "write"),
            ("position", positions.get("مدیر فروش"), "write"),
            ("department", office_dept, "write"),
        ),
    )
    occasions = services.calendar_save(
        actor=admin,
        values={"name": "مناسبت‌ها", "kind": Calendar.Kind.OCCASIONS, "colour": "#dc3545", "public_to_staff": True},
        grants=grants(("position", positions.get("مدیر دفتر"), "write")),
    )
    found = {"managers": managers, "staff": staff, "occasions": occasions}
    for username in ("sales", "sara", "nazanin", "james", "office"):
        if username in users:
            found[username] = services.calendar_personal(user=users[username])
    return found


def _rooms(admin: User) -> list[Room]:
    return [
        services.room_save(actor=admin, values={"name": "اتاق جلسات بزرگ", "location": "طبقه دوم", "capacity": 12}),
        services.room_save(actor=admin, values={"name": "اتاق جلسات کوچک", "location": "طبقه اول", "capacity": 4}),
    ]


def _meeting(actor: User, values: dict[str, Any], **people: Any) -> Meeting | None:
    try:
        return services.meeting_create(actor=actor, values=values, allow_busy_people=True, **people)
    except ActivityError:  # the room is taken at that time: meet elsewhere
        if not values.get("room"):
            return None
        values = {**values, "room": None, "place": "دفتر مشتری"}
        return services.meeting_create(actor=actor, values=values, allow_busy_people=True, **people)


def _meetings(rng: Any, users: dict[str, User], calendars: dict[str, Calendar], rooms: list[Room], people: list[int]):
    today = timezone.localdate()
    office, sales = users.get("office"), users.get("sales")
    staff_ids = [u.pk for name, u in users.items() if name != "admin"]
    made: list[Meeting] = []
    weekly = [  # (organiser, calendar, subject, weekday offset, hour, room)
        (office, "staff", "جلسه هفتگی هماهنگی دفتر", 0, 9, rooms[0]),
        (sales, "staff", "جلسه هفتگی تیم فروش", 1, 10, rooms[1]),
        (office, "managers", "جلسه هفتگی مدیران", 2, 14, rooms[0]),
    ]
    for organiser, calendar_key, subject, offset, hour, room in weekly:
        if organiser is None:
            continue
        day = today + dt.timedelta(days=offset)
        meeting = _meeting(
            organiser,
            {
                "calendar": calendars[calendar_key],
                "subject": subject,
                "start": _at(day, hour),
                "end": _at(day, hour + 1),
                "room": room,
                "repeat": Meeting.Repeat.WEEKLY,
                "repeat_until": today + dt.timedelta(days=60),
                "remind_minutes": 15,
            },
            attendee_ids=rng.sample(staff_ids, k=min(4, len(staff_ids))),
        )
        if meeting:
            made.append(meeting)
    organisers = [(u, calendars.get(name)) for name, u in users.items() if name in calendars]
    organisers += [(office, calendars["staff"]), (sales, calendars["staff"])]
    organisers = [(u, c) for u, c in organisers if u is not None and c is not None]
    slots = [(9, 30), (11, 0), (13, 0), (15, 30), (17, 0)]
    for index in range(22):
        day = today + dt.timedelta(days=0 if index < 3 else rng.randint(1, 13))
        hour, minute = slots[index % len(slots)] if index >= 3 else slots[index + 1]
        organiser, calendar = organisers[index % len(organisers)]
        linked = rng.sample(people, k=min(len(people), rng.randint(0, 2)))
        in_person = index % 4 == 0
        meeting = _meeting(
            organiser,
            {
                "calendar": calendar,
                "subject": rng.choice(SUBJECTS),
                "description": "دستور جلسه: مرور وضعیت، قدم‌های بعدی." if index % 3 == 0 else "",
                "start": _at(day, hour, minute),
                "end": _at(day, hour, minute) + dt.timedelta(minutes=rng.choice([30, 45, 60, 90])),
                "room": None if in_person else rng.choice([rooms[0], rooms[1], None]),
                "place": "دفتر مشتری" if in_person else "",
                "remind_minutes": rng.choice([None, 10, 30]),
            },
            # the demo's admin (who signs in first) attends today's appointments
            attendee_ids=rng.sample(staff_ids, k=rng.randint(0, 3)) + ([users["admin"].pk] if index < 3 else []),
            identity_ids=linked,
            invited_identity_ids=linked[:1] if in_person else [],
        )
        if meeting:
            made.append(meeting)
    if office is not None:  # an official holiday in the occasions calendar
        holiday = today + dt.timedelta(days=10)
        _meeting(
            office,
            {
                "calendar": calendars["occasions"],
                "subject": "تعطیلی رسمی",
                "start": _at(holiday, 0),
                "end": _at(holiday + dt.timedelta(days=1), 0),
                "all_day": True,
            },
        )
    return made


def _tasks(rng: Any, admin: User, users: dict[str, User], people: list[int]) -> list[Task]:
    now = timezone.now()
    workers = [users[n] for n in ("sara", "reza", "nazanin", "james", "olena", "kamran") if n in users]
    bosses = [users[n] for n in ("office", "sales", "ceo") if n in users]
    tasks: list[Task] = []
    for index in range(34):
        creator = bosses[index % len(bosses)] if index % 3 else workers[index % len(workers)]
        assignees = [workers[(index + k) % len(workers)] for k in range(1 + (index % 5 == 0))]
        due = now + dt.timedelta(days=rng.randint(-6, 12), hours=rng.randint(0, 8))
        task = services.task_create(
            actor=creator,
            values={
                "title": rng.choice(TASK_TITLES),
                "description": "لطفاً تا موعد مقرر انجام و نتیجه را ثبت کنید." if index % 2 else "",
                "priority": rng.choice([1, 2, 2, 2, 3, 4]),
                "due_at": due,
            },
            user_ids=[u.pk for u in assignees if u.pk != creator.pk],
            identity_ids=rng.sample(people, k=min(len(people), rng.randint(0, 2))),
        )
        tasks.append(task)
        state = index % 6
        doer = next((r.user for r in task.assignees.select_related("user") if r.state == "open"), None)
        if doer is None:
            continue
        if state == 1:
            services.task_done(actor=doer, task=task, note="انجام شد.")
        elif state == 2:
            services.task_update(actor=doer, task=task, values={"status": services._status("in_progress")})
        elif state == 3 and len(workers) > 1:
            other = next(w for w in workers if w.pk != doer.pk)
            services.task_refer(actor=doer, task=task, to_user=other, note="لطفاً شما پیگیری کنید.")
    # a referral chain: office → sara → reza → nazanin
    chain = [users.get(n) for n in ("office", "sara", "reza", "nazanin")]
    if all(chain):
        task = services.task_create(
            actor=chain[0],
            values={"title": "پیگیری شکایت مشتری ویژه", "priority": 3, "due_at": now + dt.timedelta(days=2)},
            user_ids=[chain[1].pk],
            identity_ids=people[:1],
        )
        services.task_refer(actor=chain[1], task=task, to_user=chain[2], note="مشتری در حوزه شماست.")
        services.task_refer(actor=chain[2], task=task, to_user=chain[3], note="به امور مشتریان مربوط است.")
        tasks.append(task)
    # to a position: everyone in customer service gets it
    service_post = Position.objects.filter(title="کارشناس امور مشتریان").first()
    if service_post is not None and "office" in users:
        tasks.append(
            services.task_create(
                actor=users["office"],
                values={"title": "به‌روزرسانی پاسخ‌های پرتکرار", "due_at": now + dt.timedelta(days=5)},
                position_ids=[service_post.pk],
            )
        )
    # the simple workflow (AC-12): three steps, the task waits in step 2
    steps = [users.get(n) for n in ("nazanin", "sales", "office")]
    if all(steps):
        flow = services.task_type_save(
            actor=admin,
            name="بررسی و تأیید قرارداد",
            steps=[
                {"title": "بررسی مدارک", "user_id": steps[0].pk},
                {"title": "تأیید مدیر فروش", "user_id": steps[1].pk},
                {"title": "ثبت نهایی در دفتر", "user_id": steps[2].pk},
            ],
        )
        task = services.task_create(
            actor=steps[2],
            values={"title": "قرارداد پشتیبانی سالانه", "task_type": flow, "due_at": now + dt.timedelta(days=4)},
            identity_ids=people[1:2],
        )
        services.task_done(actor=steps[0], task=task, note="مدارک کامل است.")
        tasks.append(task)
    if "office" in users:  # a few for the demo's admin, so the cartable is not empty
        for title, days in (("تأیید نهایی قرارداد پشتیبانی", 1), ("بررسی گزارش فروش ماهانه", -1), ("امضای نامه‌ها", 3)):
            tasks.append(
                services.task_create(
                    actor=users["office"],
                    values={"title": title, "priority": 3, "due_at": now + dt.timedelta(days=days)},
                    user_ids=[admin.pk],
                    identity_ids=people[2:3],
                )
            )
        tasks.append(
            services.announcement_send(
                actor=users["office"],
                title="جلسه عمومی پایان ماه",
                description="همه همکاران پنجشنبه ساعت ۱۰ در اتاق جلسات بزرگ حضور داشته باشند.",
                due_at=now + dt.timedelta(days=6),
            )
        )
    return tasks


def _number_formats(e164: str, rng: Any) -> str:
    """The same number as people type it: +98…, 0912 …, Persian digits."""
    national = "0" + e164[3:] if e164.startswith("+98") else e164
    style = rng.randint(0, 3)
    if style == 0:
        return e164
    if style == 1:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    if style == 2:
        return national.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    return national


def _calls(rng: Any, users: dict[str, User]) -> list[Any]:
    handlers = [users[n] for n in ("sara", "reza", "nazanin", "james", "olena", "office") if n in users]
    numbers = list(Phone.objects.order_by("id").values_list("number", flat=True)[:200])
    now = timezone.now()
    calls = []
    for index in range(60):
        known = numbers and index % 5 != 4
        number = _number_formats(rng.choice(numbers), rng) if known else f"0912{rng.randint(1000000, 9999999)}"
        day = timezone.localdate() - dt.timedelta(days=rng.randint(0, 28))
        started = _at(day, rng.randint(8, 17), rng.randint(0, 59))
        if started > now:  # office hours not reached yet today: the day before
            started -= dt.timedelta(days=1)
        calls.append(
            services.call_log(
                actor=handlers[index % len(handlers)],
                values={
                    "direction": "in" if index % 3 else "out",
                    "their_number": number,
                    "our_number": str(100 + index % 8),
                    "started_at": started,
                    "duration_seconds": rng.randint(15, 900),
                    "subject": rng.choice(CALL_SUBJECTS),
                    "description": "مشتری منتظر تماس بعدی است." if index % 4 == 0 else "",
                },
                external_id=f"demo-call-{index}",
            )
        )
    if calls:
        services.call_attach_recording(
            actor=calls[0].user,
            call=calls[0],
            upload=SimpleUploadedFile("recording.wav", tiny_wav(), content_type="audio/wav"),
        )
    return calls


def _notes(rng: Any, users: dict[str, User], people: list[int]) -> list[Any]:
    authors = [users[n] for n in ("sara", "nazanin", "james", "office", "reza") if n in users]
    notes = []
    for index in range(20):
        title, body = NOTE_TEXTS[index % len(NOTE_TEXTS)]
        notes.append(
            services.note_create(
                actor=authors[index % len(authors)],
                title=f"{title} {index + 1}",
                body=body,
                identity_ids=rng.sample(people, k=min(len(people), 1 + index % 2)),
            )
        )
    return notes


def _documents(users: dict[str, User], people: list[int]) -> list[Any]:
    owner = users.get("office") or next(iter(users.values()))
    docs = [
        services.document_create(
            actor=owner,
            title="کاتالوگ محصولات",
            upload=SimpleUploadedFile(
                "catalogue.pdf", tiny_pdf(["Product catalogue", "Open CRM demo", "Version 1"]), "application/pdf"
            ),
            description="نسخه کوتاه کاتالوگ برای ارسال به مشتریان.",
            identity_ids=people[:1],
        ),
        services.document_create(
            actor=owner,
            title="لوگوی شرکت",
            upload=SimpleUploadedFile("logo.png", tiny_png(), "image/png"),
            identity_ids=people[1:2],
        ),
        services.document_create(
            actor=owner,
            title="فهرست قیمت",
            upload=SimpleUploadedFile("prices.csv", "کالا,قیمت\nنسخه پایه,1200\n".encode(), "text/csv"),
        ),
    ]
    services.document_new_version(
        actor=owner,
        document=docs[0],
        upload=SimpleUploadedFile(
            "catalogue-v2.pdf", tiny_pdf(["Product catalogue", "Open CRM demo", "Version 2"]), "application/pdf"
        ),
    )
    return docs


def _reports(rng: Any, users: dict[str, User], people: list[int]) -> None:
    today = timezone.localdate()
    for name in ("sara", "reza", "nazanin"):
        user = users.get(name)
        if user is None:
            continue
        for back in (1, 2, 3):
            day = today - dt.timedelta(days=back)
            if WorkReport.objects.filter(user=user, period=WorkReport.Period.DAILY, date_from=day).exists():
                continue
            services.work_report_save(
                actor=user,
                values={
                    "period": WorkReport.Period.DAILY,
                    "date_from": day,
                    "date_to": day,
                    "summary": "روز پرکاری بود.",
                },
                lines=[
                    {
                        "text": "تماس پیگیری با مشتری",
                        "identity_id": rng.choice(people) if people else None,
                        "minutes": 30,
                    },
                    {"text": "ارسال پیش‌فاکتور", "identity_id": rng.choice(people) if people else None, "minutes": 45},
                    {"text": "جلسه داخلی", "minutes": 60},
                ],
                submit=back > 1,
            )


def _followups_and_comments(users: dict[str, User], calls: list[Any], tasks: list[Task], notes: list[Any]) -> None:
    now = timezone.now()
    for call in calls[:6]:
        if call.user is not None:
            items.followup_set(
                actor=call.user,
                item_type=services.CALL,
                item_id=call.pk,
                due_at=now + dt.timedelta(days=1 + call.pk % 5, hours=2),
                note="دوباره تماس بگیرم",
            )
    for note in notes[:3]:
        items.followup_set(
            actor=note.created_by, item_type=services.NOTE, item_id=note.pk, due_at=now + dt.timedelta(hours=3)
        )
    for task in tasks[:8]:
        author = task.created_by
        row = task.assignees.select_related("user").first()
        if author is None or row is None:
            continue
        comment = items.comment_add(
            actor=author,
            item_type=services.TASK,
            item_id=task.pk,
            body=f"@{row.user.username} لطفاً وضعیت را اینجا بنویسید.",
        )
        if row.user.pk != author.pk:
            items.comment_add(
                actor=row.user,
                item_type=services.TASK,
                item_id=task.pk,
                body=f"@{author.username} در حال انجام است، فردا خبر می‌دهم.",
                parent=comment,
            )
    admin = users.get("admin")
    if admin is not None and "office" in users:
        mine = [t for t in tasks if t.assignees.filter(user=admin).exists() and not t.is_announcement]
        if mine:
            items.comment_add(
                actor=users["office"],
                item_type=services.TASK,
                item_id=mine[0].pk,
                body="@admin متن قرارداد آماده است؛ لطفاً تا فردا تأیید کنید.",
            )
        for hours, call in zip((2, 26), calls[6:8], strict=False):
            items.followup_set(
                actor=admin,
                item_type=services.CALL,
                item_id=call.pk,
                due_at=now + dt.timedelta(hours=hours),
                note="پیگیری نتیجه تماس",
            )
    if "office" in users and "sales" in users and calls:
        items.comment_add(
            actor=users["office"],
            item_type=services.CALL,
            item_id=calls[1].pk if len(calls) > 1 else calls[0].pk,
            body="@sales این مشتری دوباره تماس گرفت؛ لطفاً پیگیری شود.",
        )


def load(rng: Any) -> None:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return
    _grant_rights()
    if Calendar.objects.filter(name=MANAGERS_CALENDAR, kind=Calendar.Kind.MANAGERS).exists():
        return  # loaded before
    services.task_statuses_ensure()
    users = _users()
    calendars = _calendars(admin, users)
    rooms = _rooms(admin)
    users = _users()  # fresh: calendar access and rights are cached per user object
    people = list(Identity.objects.filter(is_unknown=False).order_by("id").values_list("pk", flat=True)[:60])
    _meetings(rng, users, calendars, rooms, people)
    tasks = _tasks(rng, admin, users, people)
    calls = _calls(rng, users)
    notes = _notes(rng, users, people)
    _documents(users, people)
    _reports(rng, users, people)
    _followups_and_comments(_users(), calls, tasks, notes)
