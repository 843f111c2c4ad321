"""Issue #4's browser flow: the office manager's morning, in Persian (Jalali calendar,
Persian digits), on the real ASGI server so the websocket pop-ups arrive.

1. She books the big meeting room tomorrow 10:00–11:00 (or the first hour after it at which
   the demo data leaves everyone free) with the Jalali date picker; the "Who is free"
   panel shows the small room taken and then the big one free; she invites the
   CEO (colleague picker) and a customer found by a name typed on an Arabic keyboard;
   sets a personal follow-up on the appointment and finds it in her appointment cartable.
2. The CEO sends her a task; she refers it to Sara with a note; Sara sees it with the note
   in her cartable and marks it done; the CEO sees it closed and the whole chain.
3. She mentions the CEO in a comment (the @ picker); his dashboard's mentions widget shows it.
4. A follow-up reminder pops up at its time in her open dashboard (websocket toast, bell).

A shorter English run (Gregorian) books the same kind of appointment. Screenshots go to
test-output/e2e/office_*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import jdatetime
import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
ARABIC_KEYBOARD = str.maketrans("یک", "يك")  # what an Arabic keyboard types for ی and ک
PERSIAN_MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]
BIG_ROOM = "اتاق جلسات بزرگ"
SMALL_ROOM = "اتاق جلسات کوچک"
SUBJECT_FA = "جلسه بررسی قرارداد سالانه"
SUBJECT_EN = "Annual contract review"


def fa(text: object) -> str:
    return str(text).translate(FA_DIGITS)


def jalali(day: dt.date) -> jdatetime.date:
    return jdatetime.date.fromgregorian(date=day)


def jalali_text(day: dt.date, clock: str = "") -> str:
    """How a Jalali date (and time) reads on a Persian page: ۱۴۰۵/۰۹/۰۳ ۱۰:۰۰."""
    j = jalali(day)
    return fa(f"{j.year:04d}/{j.month:02d}/{j.day:02d}" + (f" {clock}" if clock else ""))


def _tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


# Notes what each settled "Who is free" answer was asked (time, room, people), so a test
# waits for the answer to its own question, not an earlier one still on screen. It only
# listens to htmx's events; the requests and answers are the page's own.
FREEBUSY_OBSERVER = """
document.addEventListener('htmx:afterSettle', (event) => {
  const info = event.detail && event.detail.pathInfo;
  if (!event.target || event.target.id !== 'freebusy' || !info) return;
  const asked = new URL(info.finalRequestPath, location.href).searchParams;
  window.__freebusy = {
    start: asked.get('start'), end: asked.get('end'), room: asked.get('room') || '',
    attendees: asked.getAll('attendees').join(','),
  };
});
"""


@pytest.fixture
def sign_in_as(browser: Browser, asgi_server) -> Iterator[Callable[..., Page]]:
    """A signed-in page per person, each in its own browser context (cookies), in the
    office's time zone so the picker's "today" is the server's."""
    contexts: list[BrowserContext] = []

    def open_page(username: str, *, locale: str = "fa-IR") -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale, timezone_id="Asia/Tehran")
        context.add_init_script(FREEBUSY_OBSERVER)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on("dialog", lambda dialog: dialog.accept())  # data-confirm buttons ask window.confirm()
        sign_in(page, asgi_server.url, username)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _speak(language: str, *usernames: str) -> None:
    """The demo's people read the CRM in this language, in its default calendar."""
    from crm.org.models import User

    User.objects.filter(username__in=usernames).update(language=language, calendar="")


PANEL_SETTLED = """() => {
    const asked = window.__freebusy;
    if (!asked) return false;
    const value = (id) => (document.getElementById(id) || {}).value || '';
    const people = [...document.querySelectorAll('#attendee-picker input[name=attendees]')].map((i) => i.value);
    return asked.start === value('id_start') && asked.end === value('id_end') && asked.room === value('id_room')
        && asked.attendees === people.join(',');
}"""


def _panel_settled(page: Page) -> None:
    """Wait until "Who is free" has answered for what the form holds now."""
    page.wait_for_function(PANEL_SETTLED)


def _typed_day(day: dt.date, persian: bool) -> str:
    """A day as the picker writes it into the input (Latin digits)."""
    if persian:
        j = jalali(day)
        return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    return day.isoformat()


def _pick_datetime(page: Page, field: str, day: dt.date, clock: str, *, persian: bool) -> None:
    """As a person does it: open the date picker of a date-time field, go to the day's
    month and click the day by its label (Persian digits on a Persian page); then, while
    the "Who is free" panel answers for the new day, type the time into the picker and
    press OK."""
    live_panel = page.locator("#freebusy").count() > 0
    if live_panel:
        _panel_settled(page)
    page.locator(f"[data-field={field}] .crm-dp-toggle").click()
    popup = page.locator(".crm-dp[role=dialog]")
    expect(popup).to_be_visible()
    if persian:
        j = jalali(day)
        month, label = PERSIAN_MONTHS[j.month - 1], fa(j.day)
        expect(popup).to_have_attribute("data-calendar", "jalali")
    else:
        month, label = day.strftime("%B"), str(day.day)
        expect(popup).to_have_attribute("data-calendar", "gregorian")
    title = popup.locator(".crm-dp-title")
    for _step in range(2):  # tomorrow is in this month or the next one
        if month in (title.text_content() or ""):
            break
        popup.locator(".crm-dp-next").click()
    expect(title).to_contain_text(month)
    popup.locator(".crm-dp-day:not(.is-outside)").filter(has_text=re.compile(rf"^{label}$")).click()
    expect(page.locator(f"#id_{field}")).to_have_value(re.compile(rf"^{_typed_day(day, persian)} "))
    if live_panel:
        _panel_settled(page)  # the panel re-checks the new day meanwhile (a person is slower)
    expect(popup, "the date picker must stay open while the free/busy panel refreshes").to_be_visible()
    popup.locator(".crm-dp-time-input").fill(fa(clock) if persian else clock)
    popup.locator(".crm-dp-ok").click()
    expect(popup).to_have_count(0)
    expect(page.locator(f"#id_{field}")).to_have_value(f"{_typed_day(day, persian)} {clock}")


def _freebusy_for(page: Page, *, start: str, end: str, room: int, attendees: list[int]) -> str:
    """Wait until the "Who is free" panel shows the answer for exactly this time, room and
    people (the observer in `sign_in_as` notes what each settled panel was asked), then
    say what it shows: "free" or "busy"."""
    page.wait_for_function(
        """([start, end, room, attendees]) => {
            const asked = window.__freebusy;
            return !!asked && asked.start === start && asked.end === end && asked.room === room
                && asked.attendees === attendees;
        }""",
        arg=[start, end, str(room), ",".join(str(a) for a in attendees)],
    )
    panel = page.get_by_test_id("freebusy")
    expect(panel.get_by_test_id("freebusy-free").or_(panel.get_by_test_id("freebusy-busy"))).to_be_visible()
    return "free" if panel.get_by_test_id("freebusy-free").count() else "busy"


def _book_tomorrow(
    page: Page, base: str, shots: Path, *, subject: str, customer_typed: str, customer: str, persian: bool
) -> tuple[int, int]:
    """Step 1 up to saving: the appointment form with the CEO invited, tomorrow 10:00–11:00
    through the date picker, the small room (the sales team meets there then: demo data,
    weekly) and then the big one, and the first hour from 10:00 on at which the panel
    says everyone is free; then a customer. Returns (appointment id, starting hour)."""
    from crm.activities.models import Room
    from crm.org.models import User

    lang = "fa" if persian else "en"
    day = _tomorrow()
    ceo = User.objects.get(username="ceo")
    small, big = Room.objects.get(name=SMALL_ROOM), Room.objects.get(name=BIG_ROOM)
    as_typed = (
        (lambda h: f"{jalali_text(day).translate(LATIN_DIGITS)} {h:02d}:00")
        if persian
        else (lambda h: f"{day.isoformat()} {h:02d}:00")
    )

    page.goto(f"{base}/work/appointments/")
    page.locator(".crm-actions a[href$='/work/appointments/new/']").click()
    page.wait_for_url(re.compile(r"/work/appointments/new/$"))
    expect(page.get_by_test_id("meeting-form")).to_be_visible()
    start = page.locator("#id_start")
    expect(start).to_have_attribute("data-calendar", "jalali" if persian else "gregorian")
    page.fill("#id_subject", subject)
    # The CEO through the colleague picker.
    page.get_by_test_id("add-attendee").select_option(label="بهروز کریمی")
    expect(page.locator("#attendee-picker [data-attendee]")).to_contain_text("بهروز کریمی")

    page.select_option("#id_room", label=SMALL_ROOM)
    _pick_datetime(page, "start", day, "10:00", persian=persian)
    _pick_datetime(page, "end", day, "11:00", persian=persian)
    expect(start).to_have_value(as_typed(10))
    expect(page.locator("#id_end")).to_have_value(as_typed(11))
    panel = page.get_by_test_id("freebusy")
    answer = _freebusy_for(page, start=as_typed(10), end=as_typed(11), room=small.pk, attendees=[ceo.pk])
    assert answer == "busy", "the demo data's weekly sales meeting should hold the small room tomorrow at 10:00"
    expect(panel.get_by_test_id("freebusy-room")).to_contain_text(SMALL_ROOM)
    page.screenshot(path=str(shots / f"office_{lang}_room_busy.png"), full_page=True)

    # The big room; if the demo data keeps her or the CEO busy at 10:00, the next hour.
    page.select_option("#id_room", label=BIG_ROOM)
    hour = 10
    while _freebusy_for(page, start=as_typed(hour), end=as_typed(hour + 1), room=big.pk, attendees=[ceo.pk]) != "free":
        expect(panel.get_by_test_id("freebusy-room")).to_have_count(0)  # the big room itself is free
        expect(panel.get_by_test_id("freebusy-people")).to_be_visible()
        page.screenshot(path=str(shots / f"office_{lang}_people_busy.png"), full_page=True)
        hour += 1
        assert hour < 17, "nobody free in the big room tomorrow between 10:00 and 17:00"
        _pick_datetime(page, "end", day, f"{hour + 1:02d}:00", persian=persian)
        _pick_datetime(page, "start", day, f"{hour:02d}:00", persian=persian)
    free = panel.get_by_test_id("freebusy-free")
    expect(free).to_contain_text(BIG_ROOM)
    expect(free).to_contain_text(fa(2) if persian else "2")  # she and the CEO

    # The customer, searched by a name typed on an Arabic keyboard; invited to attend.
    with page.expect_response(lambda r: "/work/appointments/pick/identities/" in r.url):
        page.get_by_test_id("identity-search").press_sequentially(customer_typed, delay=20)
    results = page.get_by_test_id("identity-results")
    expect(results).to_contain_text(customer)
    results.locator("li", has_text=customer).locator("[data-add-identity]").click()
    chosen = page.get_by_test_id("identity-picker")
    expect(chosen).to_contain_text(customer)
    chosen.locator("li", has_text=customer).locator("input[name=invited_identities]").check()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / f"office_{lang}_appointment_form.png"), full_page=True)

    page.get_by_test_id("save-meeting").click()
    page.wait_for_url(re.compile(r"/work/appointments/\d+/$"))
    return int(re.search(r"/appointments/(\d+)/$", page.url).group(1)), hour  # type: ignore[union-attr]


def _followup_tab(page: Page) -> None:
    panel = page.get_by_test_id("item-panel")
    panel.locator("a[role=tab][id$='-followups-tab']").click()
    expect(panel.get_by_test_id("followup-form")).to_be_visible()


def _set_followup(page: Page, due_text: str, note: str) -> None:
    """The follow-ups tab of the item panel: a time (typed as the user reads it) and a note."""
    panel = page.get_by_test_id("item-panel")
    form = panel.get_by_test_id("followup-form")
    form.locator("input[name=due_at]").fill(due_text)
    form.locator("input[name=note]").fill(note)
    expect(form.locator("input[name=remind]")).to_be_checked()
    with page.expect_response(lambda r: "/follow-ups/" in r.url and r.request.method == "POST"):
        form.locator("button[type=submit]").click()
    expect(panel.get_by_test_id("followups")).to_contain_text(note)


def _customer() -> tuple[str, str, int]:
    """A customer of the demo data the office manager may see, whose name has ی and ک (so
    an Arabic keyboard types it differently): (what she types, the name as stored, id)."""
    from crm.identities.selectors import identity_base_for_user
    from crm.org.models import User

    visible = identity_base_for_user(user=User.objects.get(username="office"))
    for identity in visible.filter(kind="person", is_unknown=False).exclude(customer_number=None).order_by("id"):
        name = str(identity)
        if "ی" in name and "ک" in name:
            return name.translate(ARABIC_KEYBOARD), name, identity.pk
    pytest.fail("the demo data has no customer with ی and ک in the name")


def test_office_manager_morning_in_persian(asgi_server, demo_data, sign_in_as, shots: Path) -> None:
    from crm.activities.models import Meeting, Task
    from crm.core.items.models import FollowUp, Mention
    from crm.core.scheduling.models import DueJob
    from crm.core.scheduling.services import due_jobs_run_batch
    from crm.org.models import User

    base = asgi_server.url
    _speak("fa", "office", "ceo", "sara")
    office_user, ceo_user = User.objects.get(username="office"), User.objects.get(username="ceo")
    typed, customer, customer_pk = _customer()
    assert typed != customer
    day = _tomorrow()

    # --- 1. Tomorrow 10:00–11:00 in the big room, with the CEO and a customer ------------
    office = sign_in_as("office")
    expect(office.locator("html")).to_have_attribute("dir", "rtl")
    pk, hour = _book_tomorrow(
        office, base, shots, subject=SUBJECT_FA, customer_typed=typed, customer=customer, persian=True
    )
    meeting = Meeting.objects.get(pk=pk)
    assert meeting.room is not None and meeting.room.name == BIG_ROOM
    assert timezone.localtime(meeting.start) == timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    assert timezone.localtime(meeting.end) == timezone.make_aware(dt.datetime.combine(day, dt.time(hour + 1)))
    assert list(meeting.attendee_rows.values_list("user__username", flat=True)) == ["ceo"]
    assert list(meeting.identity_rows.filter(invited=True).values_list("identity_id", flat=True)) == [customer_pk]

    j = jalali(day)
    when = office.get_by_test_id("when")
    expect(when).to_contain_text(f"{fa(j.day)} {PERSIAN_MONTHS[j.month - 1]} {fa(j.year)}")
    expect(when).to_contain_text(fa(f"{hour:02d}:00"))
    expect(when).to_contain_text(fa(f"{hour + 1:02d}:00"))
    expect(office.get_by_test_id("where")).to_contain_text(BIG_ROOM)
    expect(office.get_by_test_id("attendees")).to_contain_text("بهروز کریمی")
    expect(office.get_by_test_id("identities")).to_contain_text(customer)
    office.screenshot(path=str(shots / "office_fa_appointment.png"), full_page=True)

    # A personal follow-up half an hour into it, typed in Jalali with Persian digits.
    _followup_tab(office)
    _set_followup(office, jalali_text(day, f"{hour:02d}:30"), "یادآوری: قرارداد را چاپ کنم")
    followups = office.get_by_test_id("item-panel").get_by_test_id("followups")
    expect(followups).to_contain_text(jalali_text(day, f"{hour:02d}:30"))
    followup = FollowUp.objects.get(user=office_user, item_type="activities.meeting", item_id=str(pk))
    assert timezone.localtime(followup.due_at) == timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 30)))
    office.screenshot(path=str(shots / "office_fa_followup.png"), full_page=True)

    # The appointment cartable: there, with the Jalali date in Persian digits.
    office.goto(f"{base}/work/appointments/")
    row = office.get_by_test_id("meeting-cartable").locator(f"tr[data-meeting='{pk}']")
    expect(row).to_contain_text(SUBJECT_FA)
    expect(row).to_contain_text(jalali_text(day, f"{hour:02d}:00"))
    expect(row).to_contain_text(BIG_ROOM)
    office.screenshot(path=str(shots / "office_fa_cartable.png"), full_page=True)

    # --- 2. A task from the CEO, referred on to Sara, done by her --------------------------
    ceo = sign_in_as("ceo")
    ceo.goto(f"{base}/work/tasks/new/")
    task_title = "اعلام سیاست جدید مرخصی به کارکنان"
    ceo.fill("#id_title", task_title)
    ceo.fill("#id_description", "لطفاً امروز به همه اطلاع داده شود.")
    ceo.select_option("#id_users", label="مریم احمدی")
    ceo.get_by_test_id("task-form").locator("button[type=submit]").click()
    ceo.wait_for_url(re.compile(r"/work/tasks/\d+/$"))
    task = Task.objects.get(title=task_title)

    office.goto(f"{base}/work/tasks/")
    received = office.get_by_test_id("task-cartable").locator(f"tr[data-task='{task.pk}']")
    expect(received).to_contain_text("بهروز کریمی")
    received.get_by_role("link", name=task_title).click()
    office.wait_for_url(re.compile(rf"/work/tasks/{task.pk}/$"))
    refer = office.get_by_test_id("refer-form")
    refer.locator("select[name=to_user]").select_option(label="سارا موسوی")
    note = "سارا جان، لطفاً متن اطلاعیه را برای همه بفرست."
    refer.locator("textarea[name=note]").fill(note)
    office.screenshot(path=str(shots / "office_fa_refer.png"), full_page=True)
    with office.expect_response(lambda r: r.url.endswith(f"/work/tasks/{task.pk}/refer/")) as referring:
        refer.locator("button[type=submit]").click()
    assert referring.value.status == 302, f"referring the task failed on the server: HTTP {referring.value.status}"
    office.wait_for_url(re.compile(rf"/work/tasks/{task.pk}/$"))
    expect(office.get_by_test_id("referral-chain").locator("[data-event=referred]")).to_contain_text("سارا موسوی")

    sara = sign_in_as("sara")
    sara.goto(f"{base}/work/tasks/?box=received")
    mine = sara.get_by_test_id("task-cartable").locator(f"tr[data-task='{task.pk}']")
    expect(mine).to_contain_text(task_title)
    expect(mine.get_by_test_id("sender")).to_contain_text("مریم احمدی")
    expect(mine).to_contain_text(note)  # the referral note, under who sent it
    sara.screenshot(path=str(shots / "office_fa_sara_cartable.png"), full_page=True)
    with sara.expect_response(lambda r: r.url.endswith(f"/work/tasks/{task.pk}/done/")) as finishing:
        mine.get_by_test_id("quick-done").click()
    assert finishing.value.status == 302, f"marking the task done failed on the server: HTTP {finishing.value.status}"
    expect(sara.get_by_test_id("task-cartable").locator(f"tr[data-task='{task.pk}']")).to_have_count(0)
    sara.goto(f"{base}/work/tasks/?box=done")
    expect(sara.get_by_test_id("task-cartable").locator(f"tr[data-task='{task.pk}']")).to_contain_text(task_title)

    ceo.goto(f"{base}/work/tasks/{task.pk}/")
    expect(ceo.get_by_test_id("task-header").locator("[data-status]")).to_have_class(re.compile(r"text-bg-success"))
    chain = ceo.get_by_test_id("referral-chain")
    expect(chain.locator("[data-event=created]")).to_contain_text("بهروز کریمی")
    expect(chain.locator("[data-event=created]")).to_contain_text("مریم احمدی")
    referred = chain.locator("[data-event=referred]")
    expect(referred).to_have_count(1)
    expect(referred).to_contain_text("مریم احمدی")
    expect(referred).to_contain_text("سارا موسوی")
    expect(referred).to_contain_text(note)
    expect(chain.locator("[data-event=done]")).to_contain_text("سارا موسوی")
    ceo.screenshot(path=str(shots / "office_fa_task_chain.png"), full_page=True)
    task.refresh_from_db()
    assert task.closed_at is not None

    # --- 3. A comment mentioning the CEO, through the @ picker ----------------------------
    office.goto(f"{base}/work/appointments/{pk}/")
    box = office.get_by_test_id("comment-form").locator("textarea[name=body]")
    box.click()
    box.press_sequentially("لطفاً پیش از جلسه متن قرارداد را ببینید ", delay=5)
    with office.expect_response(lambda r: "/mentions/suggest/" in r.url):
        box.press_sequentially("@بهر", delay=40)
    option = office.locator(".crm-mention-menu.show [role=option]", has_text="بهروز کریمی")
    expect(option).to_be_visible()
    office.screenshot(path=str(shots / "office_fa_mention_picker.png"), full_page=True)
    option.click()
    expect(box).to_have_value(re.compile(r"@ceo $"))
    box.press_sequentially("ممنون.", delay=5)
    with office.expect_response(lambda r: "/comments/" in r.url and r.request.method == "POST"):
        office.get_by_test_id("comment-form").locator("button[type=submit]").click()
    comments = office.get_by_test_id("item-panel").get_by_test_id("comments")
    expect(comments).to_contain_text("متن قرارداد را ببینید")

    ceo.goto(f"{base}/")
    mentions = ceo.get_by_test_id("mentions-widget")
    expect(mentions).to_contain_text("متن قرارداد را ببینید")
    expect(mentions).to_contain_text(SUBJECT_FA)
    expect(mentions).to_contain_text("مریم احمدی")
    ceo.screenshot(path=str(shots / "office_fa_ceo_mentions.png"), full_page=True)
    assert Mention.objects.filter(user=ceo_user, comment__item_id=str(pk)).exists()

    # --- 4. The reminder pops up at its time ------------------------------------------------
    # A follow-up a few minutes from now, set through the UI.
    soon = timezone.localtime() + dt.timedelta(minutes=10)
    soon_text = jalali_text(soon.date(), soon.strftime("%H:%M"))
    office.goto(f"{base}/work/appointments/{pk}/")
    _followup_tab(office)
    reminder_note = "زنگ به مشتری پیش از جلسه"
    _set_followup(office, soon_text, reminder_note)
    soon_followup = FollowUp.objects.get(user=office_user, note=reminder_note)
    job = DueJob.objects.get(dedupe_key=soon_followup.dedupe_key)
    assert job.status == DueJob.Status.PENDING

    # Whatever the demo data had made due already fires now, before the page is open.
    due_jobs_run_batch(worker_id="e2e-before")
    office.goto(f"{base}/")
    office.wait_for_function("() => window.crm && window.crm.live && window.crm.live.mode === 'websocket'")
    bell = office.get_by_test_id("bell-count")
    before = int(bell.get_attribute("data-count") or 0)
    # The clock reaches the follow-up's time: instead of waiting ten minutes, its job is
    # made due now (only the time moves; the worker, the notification and the websocket
    # are the real ones).
    DueJob.objects.filter(pk=job.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    assert due_jobs_run_batch(worker_id="e2e") >= 1
    job.refresh_from_db()
    assert job.status == DueJob.Status.DONE
    # It arrives over the websocket (the consumer looks for new rows every 3 s).
    toast = office.locator("#toast-area .toast", has_text=reminder_note)
    expect(toast).to_be_visible(timeout=15000)
    expect(toast).to_contain_text(SUBJECT_FA)
    expect(toast).not_to_have_class(re.compile(r"(^|\s)showing(\s|$)"))  # faded in
    office.wait_for_function(
        "n => Number(document.getElementById('crm-bell-count').dataset.count) >= n", arg=before + 1
    )
    after = int(bell.get_attribute("data-count") or 0)
    expect(bell).to_be_visible()
    expect(bell).to_have_text(fa(after))
    office.screenshot(path=str(shots / "office_fa_reminder_toast.png"))  # the viewport: the toast is fixed in it


def test_office_manager_books_in_english(asgi_server, demo_data, sign_in_as, shots: Path) -> None:
    from crm.activities.models import Meeting

    base = asgi_server.url
    _speak("en", "office")
    typed, customer, customer_pk = _customer()
    day = _tomorrow()

    office = sign_in_as("office", locale="en-US")
    expect(office.locator("html")).to_have_attribute("lang", "en")
    expect(office.locator("html")).to_have_attribute("dir", "ltr")
    pk, hour = _book_tomorrow(
        office, base, shots, subject=SUBJECT_EN, customer_typed=typed, customer=customer, persian=False
    )
    meeting = Meeting.objects.get(pk=pk)
    assert meeting.room is not None and meeting.room.name == BIG_ROOM
    assert timezone.localtime(meeting.start) == timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
    assert list(meeting.identity_rows.filter(invited=True).values_list("identity_id", flat=True)) == [customer_pk]
    when = office.get_by_test_id("when")
    expect(when).to_contain_text(f"{hour:02d}:00")
    expect(when).to_contain_text(str(day.year))
    office.screenshot(path=str(shots / "office_en_appointment.png"), full_page=True)

    _followup_tab(office)
    _set_followup(office, f"{day.isoformat()} {hour:02d}:30", "Print the contract")
    office.screenshot(path=str(shots / "office_en_followup.png"), full_page=True)

    office.goto(f"{base}/work/appointments/")
    row = office.get_by_test_id("meeting-cartable").locator(f"tr[data-meeting='{pk}']")
    expect(row).to_contain_text(SUBJECT_EN)
    expect(row).to_contain_text(f"{hour:02d}:00")
    office.screenshot(path=str(shots / "office_en_cartable.png"), full_page=True)
