"""Issue #3's browser flow, in Persian: create a person with a Jalali birthday and a mobile
typed with Persian digits; find them with the quick search typed on an Arabic keyboard (ي, ك)
and see the history tab; import a small vCard file through the wizard (dry run, then for
real); merge two duplicates and see both histories on the one kept. Screenshots go to
test-output/e2e/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\n"
    "FN:سمیرا نیک‌نام\r\nN:نیک‌نام;سمیرا;;;\r\nTEL;TYPE=CELL:+98 912 555 1234\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\n"
    "FN:Oliver Brandt\r\nN:Brandt;Oliver;;;\r\nTEL;TYPE=WORK:+49 30 1234567\r\nEMAIL:oliver@example.com\r\n"
    "END:VCARD\r\n"
)


def fa(text: str) -> str:
    return text.translate(FA_DIGITS)


def fa_label(action: str) -> str:
    """The history label of an audited milestone as the Persian page shows it."""
    from crm.core.audit.labels import audit_action_label

    with translation.override("fa"):
        return str(audit_action_label(action))


def _set_language(page: Page, base: str, language: str) -> None:
    page.goto(f"{base}/org/preferences/")
    page.select_option("#id_language", language)
    page.select_option("#id_calendar", "")
    page.click("[data-testid=save-preferences]")
    page.wait_for_load_state()


def _wait_until_done(page: Page) -> None:
    """The job page polls itself (htmx) while the job runs; tasks run at once in tests, so
    a reload is the fallback if the page was rendered before the job finished."""
    state = page.get_by_test_id("import-state")
    for _attempt in range(10):
        if page.locator("[data-testid=import-state] .bi-check-circle").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(state.locator(".bi-check-circle")).to_be_visible()
    expect(page.get_by_test_id("import-summary")).to_be_visible()


def test_persian_identity_create_find_import_and_merge(
    page: Page, live_server, demo_data, shots: Path, tmp_path: Path
) -> None:
    from crm.identities.models import Identity, ImportJob
    from crm.identities.phones import display_phone
    from crm.org.models import User

    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())  # data-confirm buttons ask window.confirm()
    sign_in(page, base)
    _set_language(page, base, "fa")
    admin = User.objects.get(username="admin")
    created_label = fa_label("identity.created")

    # 1. A person with a Jalali birthday and a mobile, both typed with Persian digits.
    page.goto(f"{base}/identities/new/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#id_birth_date")).to_have_attribute("data-calendar", "jalali")
    page.select_option("#id_kind", "person")
    page.fill("#id_first_name", "کیان")
    page.fill("#id_last_name", "کریمی")
    page.fill("#id_birth_date", "۱۳۷۰/۰۵/۱۲")
    page.select_option("#id_phones-0-kind", "mobile")
    page.fill("#id_phones-0-number", "۰۹۱۲۷۶۵۴۳۲۱")
    page.keyboard.press("Escape")  # close the date picker if it opened
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "fa-identity-form.png"), full_page=True)
    page.locator("[data-testid=identity-form] .crm-form-actions button[type=submit]").click()
    page.wait_for_url(re.compile(r"/identities/\d+/$"))
    expect(page.locator("#identity-name")).to_have_text("کیان کریمی")
    birthday = page.get_by_test_id("birthday")
    expect(birthday).to_contain_text("مرداد")
    expect(birthday).to_contain_text(fa("1370"))
    expect(birthday).to_contain_text(fa("12"))
    expect(page.get_by_test_id("phones")).to_contain_text(fa(display_phone("+989127654321")))
    page.screenshot(path=str(shots / "fa-identity-profile.png"), full_page=True)

    kian = Identity.objects.get(first_name="کیان", last_name="کریمی")
    assert kian.birth_date == dt.date(1991, 8, 3)
    assert [p.number for p in kian.phones.all()] == ["+989127654321"]

    # 2. The dashboard's quick search, typed on an Arabic keyboard (ي for ی, ك for ک).
    page.goto(f"{base}/")
    box = page.locator("#quick-search-q")
    expect(box).to_be_visible()
    with page.expect_response(lambda r: "/identities/quick-search/" in r.url):
        box.press_sequentially("كيان كريمي", delay=20)
    results = page.get_by_test_id("quick-search-results")
    expect(results).to_contain_text("کیان کریمی")
    results.get_by_role("link", name="کیان کریمی").click()
    page.wait_for_url(re.compile(rf"/identities/{kian.pk}/$"))
    page.locator("[data-tab=history]").click()
    page.wait_for_url(re.compile(r"\?tab=history$"))
    timeline = page.get_by_test_id("timeline")
    created = timeline.locator("li", has_text=created_label)
    expect(created).to_have_count(1)
    expect(created).to_contain_text("کیان کریمی")
    page.screenshot(path=str(shots / "fa-identity-history.png"), full_page=True)

    # 3. A vCard file through the wizard: upload → options → dry run → for real.
    card_file = tmp_path / "contacts.vcf"
    card_file.write_text(VCARD, encoding="utf-8")
    page.goto(f"{base}/identities/import/")
    page.set_input_files("#id_file", str(card_file))
    page.locator("[data-testid=import-upload] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/identities/import/\d+/mapping/$"))
    preview = page.get_by_test_id("vcard-preview")
    expect(preview).to_contain_text("سمیرا")
    expect(preview).to_contain_text("Oliver")
    page.check(f"input[name=mode][value={ImportJob.Mode.SKIP_BAD}]")
    page.check("#id_dry_run")
    page.locator("[data-testid=import-mapping] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/identities/import/\d+/$"))
    _wait_until_done(page)
    expect(page.get_by_test_id("error-count")).to_have_text(fa("0"))
    assert not Identity.objects.filter(first_name="سمیرا").exists()  # a dry run writes nothing
    page.get_by_test_id("run-for-real").click()
    page.wait_for_url(re.compile(r"/identities/import/\d+/$"))
    _wait_until_done(page)
    expect(page.get_by_test_id("created-count")).to_have_text(fa("2"))
    page.screenshot(path=str(shots / "fa-import-job.png"), full_page=True)

    page.goto(f"{base}/identities/")
    page.fill("#id_q", "سمیرا")
    page.press("#id_q", "Enter")
    page.wait_for_url(re.compile(r"[?&]q="))
    listing = page.get_by_test_id("identity-list")
    expect(listing).to_contain_text("سمیرا نیک‌نام")
    expect(listing).to_contain_text(fa(display_phone("+989125551234")))
    samira = Identity.objects.get(first_name="سمیرا", last_name="نیک‌نام")
    assert [p.number for p in samira.phones.all()] == ["+989125551234"]
    assert Identity.objects.filter(first_name="Oliver", last_name="Brandt").exists()

    # 4. Two duplicates (same mobile, written differently), each with its own history,
    # merged in the browser.
    from crm.core.timeline.services import timeline_record
    from crm.identities.services import identity_create

    kept = identity_create(
        actor=admin, kind="person", first_name="پرهام", last_name="رستمی", phones=[{"number": "09351112233"}]
    )
    other = identity_create(
        actor=admin, kind="person", first_name="پرهام", last_name="رستمي", phones=[{"number": "+98 935 111 2233"}]
    )
    timeline_record(
        identity_ids=[other.pk],
        item_type="identities.event",
        item_id="e2e-call-1",
        occurred_at=dt.datetime.now(dt.UTC),
        summary="تماس پیگیری با پرهام",
        actor=admin,
        extra={"action": "identity.phone_added"},
    )

    page.goto(f"{base}/identities/duplicates/")
    pair = page.get_by_test_id("duplicate-pair").filter(has=page.locator(f"a[href$='/identities/{kept.pk}/']"))
    pair = pair.filter(has=page.locator(f"a[href$='/identities/{other.pk}/']"))
    expect(pair).to_have_count(1)
    expect(pair).to_contain_text(fa(display_phone("+989351112233")))
    pair.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "fa-duplicates.png"), full_page=True)
    pair.locator("a[href*='/identities/merge/']").click()
    page.wait_for_url(re.compile(r"/identities/merge/\?"))
    expect(page.get_by_test_id("merge-form")).to_be_visible()
    page.check(f"#survivor-{kept.pk}")
    page.locator("[data-testid=merge-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/identities/merges/\d+/$"))
    expect(page.get_by_test_id("merge-undo")).to_be_visible()

    page.goto(f"{base}/identities/{kept.pk}/?tab=history")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li", has_text=created_label)).to_have_count(2)  # its own and the merged one's
    expect(timeline.locator("li", has_text=fa_label("identity.merged"))).to_contain_text("پرهام رستمي")
    expect(timeline).to_contain_text("تماس پیگیری با پرهام")
    page.screenshot(path=str(shots / "fa-merged-history.png"), full_page=True)

    page.goto(f"{base}/identities/{other.pk}/")
    header = page.get_by_test_id("profile-header")
    with translation.override("fa"):
        expect(header).to_contain_text(str(translation.gettext("deleted")))
    expect(page.get_by_test_id("merge-with")).to_have_count(0)
    other.refresh_from_db()
    kept.refresh_from_db()
    assert other.is_deleted
    assert not kept.is_deleted
    assert [p.number for p in kept.phones.all()] == ["+989351112233"]
