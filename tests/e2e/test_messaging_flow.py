"""Messaging in the browser, in Persian (issue #5): a template with a custom-field
placeholder previewed for an identity; a bulk SMS to a saved filter of 50 identities through
a real Kannel (fake SMSC) with a real `crm_worker`, delivery reports arriving on the report
page with its charts; an email from a profile, sent to an SMTP sink and shown in the
profile's history. Screenshots in test-output/e2e/messaging-*.png.

PostgreSQL only: Daphne and the worker are separate processes on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from crm.core.i18n.digits import to_persian_digits
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
COUNT = 50


def _start_worker(log: Path) -> subprocess.Popen:
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CRM_DB_ENGINE": "postgresql",
        "CRM_DB_NAME": settings["NAME"],
        "CRM_DB_HOST": str(settings["HOST"]),
        "CRM_DB_PORT": str(settings["PORT"]),
        "CRM_DB_USER": str(settings["USER"]),
        "CRM_DB_CONN_MAX_AGE": "0",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "crm_worker", "--no-tasks", "--worker-id", "e2e", "--interval", "0.3"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


class SmtpSink:
    """aiosmtpd on a free loopback port, keeping what it gets."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        from crm.messaging.testing import free_ports

        self.messages: list[Any] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(envelope)
                return "250 OK"

        self.port = free_ports(1)[0]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()

    def wait(self, count: int, timeout: float = 60) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.messages


def _world(admin: Any) -> dict[str, Any]:
    """50 customers of class E2E with mobiles and a club code (a custom field)."""
    from crm.core.customfields.models import CustomFieldDefinition
    from crm.core.customfields.services import custom_field_define
    from crm.identities.models import Identity

    custom_field_define(
        actor=admin,
        model=Identity,
        key="club",
        kind=CustomFieldDefinition.Kind.TEXT,
        labels={"en": "Club code", "fa": "کد باشگاه"},
        position=90,
    )
    from crm.identities.services import identity_create

    people = [
        identity_create(
            actor=admin,
            first_name=f"مشتری{i}",
            last_name="آزمون",
            class_code="E2E",
            custom={"club": f"K{i:03d}"},
            phones=[{"number": f"+98915{i:07d}", "kind": "mobile"}],
            emails=[{"address": f"e2e{i}@example.com"}],
        )
        for i in range(COUNT)
    ]
    return {"people": people}


def _fa(n: int) -> str:
    return to_persian_digits(str(n))


@pytest.fixture
def admin_user(transactional_db: Any) -> Any:
    """admin/admin in Persian; the rest of the world is made by the test (small and quick)."""
    from django.core.management import call_command

    from crm.org.models import User

    call_command("createcachetable", verbosity=0)
    return User.objects.create_superuser("admin", "admin@example.com", "admin", language="fa")


def test_templates_bulk_sms_report_and_profile_email(
    page: Page, asgi_server: Any, admin_user: Any, shots: Path, tmp_path: Path
) -> None:
    from crm.messaging.models import BulkSend, Mailbox, Message, Template
    from crm.messaging.testing import kannel_available, kannel_running

    if not kannel_available():
        pytest.skip("Kannel is not installed (Debian packages kannel, kannel-extras)")
    base = asgi_server.url
    admin = admin_user
    world = _world(admin)
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_default_timeout(60000)  # a busy 2-core machine: pages of the child server may be slow

    with kannel_running(callback_url=base) as gateway, SmtpSink() as smtp:
        line = gateway.make_line(name="کنل آزمون")
        Mailbox.objects.create(
            name="فروش",
            address="sales@example.com",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security=Mailbox.Security.NONE,
            is_default=True,
        )
        worker = _start_worker(tmp_path / "worker.log")
        try:
            sign_in(page, base)

            # 1. a template with a custom-field placeholder, previewed for one of them
            page.goto(f"{base}/messages/templates/new/")
            page.fill("#id_name", "باشگاه مشتریان")
            page.select_option("#id_channel", "sms")
            page.fill("#id_body", "سلام {{ identity.first_name }}، کد باشگاه شما: ")
            page.focus("#id_body")
            page.press("#id_body", "End")
            page.locator('[data-insert="{{ identity.cf.club }}"]').click()
            expect(page.locator("#id_body")).to_have_value(
                "سلام {{ identity.first_name }}، کد باشگاه شما: {{ identity.cf.club }}"
            )
            page.fill("#id_preview_q", "مشتری7 ")
            page.wait_for_timeout(800)
            target = world["people"][7]
            page.select_option("[data-testid=preview-identity]", str(target.pk))
            expect(page.locator("[data-testid=template-preview]")).to_contain_text("K007", timeout=10000)
            page.screenshot(path=str(shots / "messaging-template-fa.png"), full_page=True)
            page.click("[data-testid=template-save]")
            page.wait_for_load_state()
            template = Template.objects.get(name="باشگاه مشتریان")
            assert "{{ identity.cf.club }}" in template.body

            # 2. a saved filter of the 50 customers on the identities list
            page.goto(f"{base}/identities/?class_code=E2E")
            page.fill("input[name=name][placeholder]", "کلاس آزمون")
            page.locator("form:has(input[name=list_key]) button[type=submit]").first.click()
            page.wait_for_load_state()

            # 3. the bulk send to that filter, with the template, through Kannel
            page.goto(f"{base}/messages/bulk/new/")
            page.fill("#id_name", "پیامک باشگاه")
            page.select_option("#id_sms_line", str(line.pk))
            page.select_option("#id_template", str(template.pk))
            page.select_option("[data-testid=bulk-source]", "filter")
            page.wait_for_selector("#id_saved_filter")
            page.select_option("#id_saved_filter", label="کلاس آزمون (identities)")
            page.screenshot(path=str(shots / "messaging-bulk-form-fa.png"), full_page=True)
            page.click("[data-testid=bulk-start]")
            page.wait_for_selector("[data-testid=bulk-report]")
            send = BulkSend.objects.get(name="پیامک باشگاه")
            assert send.total == COUNT

            # 4. delivery reports arrive while the report page refreshes itself
            expect(page.locator("[data-testid=stat-delivered]")).to_have_text(_fa(COUNT), timeout=120000)
            expect(page.locator("[data-testid=bulk-report]")).to_have_attribute("data-status", "done")
            page.wait_for_selector("[data-testid=chart-donut][data-chart-ready]", state="attached")
            page.wait_for_selector("[data-testid=chart-donut] svg", state="attached")
            page.screenshot(path=str(shots / "messaging-bulk-report-fa.png"), full_page=True)
            received = gateway.wait_received(COUNT)
            assert len(received) == COUNT
            texts = {sms.text for sms in received}
            assert "سلام مشتری7، کد باشگاه شما: K007" in texts
            assert Message.objects.filter(bulk_send=send, status=Message.Status.DELIVERED).count() == COUNT

            # 5. an email from a profile, seen in its history
            page.goto(f"{base}/messages/mail/compose/?identity={target.pk}")
            page.fill("#id_subject", "پیشنهاد ویژه باشگاه")
            page.fill("#id_body", "سلام، پیشنهاد این ماه برای شما آماده است.")
            page.click("[data-testid=compose-send]")
            page.wait_for_load_state()
            got = smtp.wait(1)
            assert got and "e2e7@example.com" in got[0].rcpt_tos
            page.goto(f"{base}/identities/{target.pk}/?tab=history")
            page.screenshot(path=str(shots / "messaging-profile-history-fa.png"), full_page=True)
            timeline = page.locator("[data-testid=timeline]")
            expect(timeline).to_contain_text("پیشنهاد ویژه باشگاه")
            expect(timeline).to_contain_text(f"K{_fa(7).rjust(3, '۰')}")  # the bulk SMS is there too
        finally:
            worker.terminate()
            worker.wait(timeout=20)
