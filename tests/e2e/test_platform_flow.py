"""Issue #2's browser flow: sign in, switch to Persian, see RTL and a Jalali date, create a
department and a position, appoint a user — then the same pages in English. Screenshots go
to test-output/e2e/ for people to look at."""

from __future__ import annotations

import jdatetime
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PERSIAN_MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]


def _set_language(page: Page, base: str, language: str) -> None:
    page.goto(f"{base}/org/preferences/")
    page.select_option("#id_language", language)
    page.select_option("#id_calendar", "")
    page.click("[data-testid=save-preferences]")
    page.wait_for_load_state()


def test_persian_admin_builds_the_org_chart(page: Page, live_server, demo_data, shots) -> None:
    base = live_server.url
    sign_in(page, base)
    _set_language(page, base, "fa")

    page.goto(f"{base}/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fa")
    expect(html).to_have_attribute("dir", "rtl")
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    widget = page.get_by_test_id("today-widget")
    expect(widget).to_contain_text(PERSIAN_MONTHS[today.month - 1])
    expect(widget).to_contain_text(str(today.year).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    page.screenshot(path=str(shots / "fa-dashboard.png"), full_page=True)

    # A department under the board.
    page.goto(f"{base}/org/")
    page.get_by_test_id("new-department").click()
    page.fill("#id_name", "واحد پشتیبانی فنی")
    page.select_option("#id_parent", label="مدیریت عامل")
    page.screenshot(path=str(shots / "fa-department-form.png"), full_page=True)
    page.locator("form.card button[type=submit]").click()
    expect(page.get_by_test_id("org-chart")).to_contain_text("واحد پشتیبانی فنی")

    # A position in it with one right.
    page.goto(f"{base}/org/positions/new/")
    page.fill("#id_title", "کارشناس پشتیبانی")
    page.select_option("#id_department", label="واحد پشتیبانی فنی")
    page.select_option(
        "#id_permissions",
        value=[page.locator("#id_permissions option", has_text="org.view_employeecard").first.get_attribute("value")],
    )
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("table")).to_contain_text("کارشناس پشتیبانی")

    # Appoint Nazanin from the first of this Jalali month, typed with Persian digits.
    first = jdatetime.date(today.year, today.month, 1)
    typed = f"{first.year}/{first.month:02d}/01".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    page.goto(f"{base}/org/appointments/new/")
    page.select_option("#id_user", label="نازنین صادقی")
    option = page.locator("#id_position option", has_text="کارشناس پشتیبانی").first
    page.select_option("#id_position", value=option.get_attribute("value"))
    page.fill("#id_start_date", typed)
    page.fill("#id_decree_number", "۱۴۰۵/۱۲۳")
    page.screenshot(path=str(shots / "fa-appointment-form.png"), full_page=True)
    page.locator("form.card button[type=submit]").click()
    table = page.get_by_test_id("appointments")
    expect(table).to_contain_text("کارشناس پشتیبانی")
    expect(table).to_contain_text(
        f"{first.year}/{first.month:02d}/01".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    )
    page.screenshot(path=str(shots / "fa-appointments.png"), full_page=True)

    page.goto(f"{base}/org/")
    expect(page.get_by_test_id("org-chart")).to_contain_text("نازنین صادقی")
    page.screenshot(path=str(shots / "fa-org-chart.png"), full_page=True)

    from crm.org.models import Appointment

    appointment = Appointment.objects.get(position__title="کارشناس پشتیبانی")
    assert appointment.start_date == first.togregorian()
    assert appointment.user.username == "nazanin"


def test_english_pages_and_jalali_picker(page: Page, live_server, demo_data, shots) -> None:
    base = live_server.url
    sign_in(page, base)
    _set_language(page, base, "en")
    page.goto(f"{base}/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.screenshot(path=str(shots / "en-dashboard.png"), full_page=True)
    page.goto(f"{base}/org/")
    page.screenshot(path=str(shots / "en-org-chart.png"), full_page=True)
    page.goto(f"{base}/org/employees/")
    page.screenshot(path=str(shots / "en-employees.png"), full_page=True)

    # An English user may choose the Jalali calendar: the picker then shows Jalali months.
    page.goto(f"{base}/org/preferences/")
    page.select_option("#id_calendar", "jalali")
    page.click("[data-testid=save-preferences]")
    page.goto(f"{base}/org/appointments/new/")
    field = page.locator("#id_start_date")
    expect(field).to_have_attribute("data-calendar", "jalali")
    page.locator(".crm-dp-toggle").first.click()
    title = page.locator(".crm-dp-title").first
    expect(title).to_be_visible()
    expect(title).to_contain_text(str(jdatetime.date.fromgregorian(date=timezone.localdate()).year))
    page.locator(".crm-dp-grid [aria-selected], .crm-dp-grid button").first.wait_for()
    page.screenshot(path=str(shots / "en-jalali-picker.png"), full_page=True)


def test_charlie_cannot_reach_settings(page: Page, live_server, demo_data) -> None:
    from crm.org.models import User

    User.objects.create_user("charlie", password="charlie-pass-1405")
    base = live_server.url
    sign_in(page, base, "charlie", "charlie-pass-1405")
    response = page.goto(f"{base}/org/positions/")
    assert response is not None and response.status == 403
    expect(page.locator("#crm-sidebar")).not_to_contain_text("Positions and rights")
