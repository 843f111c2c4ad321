"""Work report pages and performance figures (AC-11): staff write a draft, add lines
about identities and submit; a submitted report is frozen; managers see their
department's reports and figures, nobody else's; the figures follow the user's calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.activities import services
from crm.activities.models import WorkReport
from crm.core.timeline.models import TimelineEntry
from crm.identities import services as identity_services
from crm.org.testing import appoint, fresh, make_position, make_user

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def lines_data(rows: list[dict], total: int | None = None) -> dict:
    data = {
        "lines-TOTAL_FORMS": str(total if total is not None else len(rows)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"lines-{index}-{key}"] = value
    return data


@pytest.fixture
def reza(alice):
    return identity_services.identity_create(actor=alice, first_name="Reza", last_name="Karimi")


@pytest.fixture
def manager(bob_position):
    """Dana manages bob's department and may read its work reports."""
    post = make_position("Sales manager", ["activities.view_department_workreport"], department=bob_position.department)
    post.is_manager = True
    post.save(update_fields=["is_manager"])
    dana = make_user("dana", first_name="Dana")
    appoint(dana, post)
    return fresh(dana)


@pytest.fixture
def bob_report(bob):
    return services.work_report_save(
        actor=bob,
        values={"period": "daily", "date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 1), "summary": "Busy"},
        lines=[{"text": "Visited Bob's customer", "minutes": 90}],
    )


class TestWriteAReport:
    def test_draft_with_lines_then_submit(self, client, alice, reza):
        client.force_login(alice)

        response = client.post(
            reverse("activities:report_create"),
            {
                "period": "daily",
                "date_from": "1404/12/10",  # 1 March 2026
                "summary": "Calls and a visit",
                "action": "draft",
                **lines_data(
                    [
                        {"text": "Called about the invoice", "identity": reza.pk, "minutes": "۲۰"},
                        {"text": "", "minutes": ""},
                    ]
                ),
            },
        )

        report = WorkReport.objects.get()
        assert response.status_code == 302
        assert (report.date_from, report.date_to, report.submitted_at) == (
            dt.date(2026, 3, 1),
            dt.date(2026, 3, 1),
            None,
        )
        line = report.lines.get()
        assert (line.text, line.identity_id, line.minutes) == ("Called about the invoice", reza.pk, 20)
        assert TimelineEntry.objects.filter(identity_id=reza.pk, item_type=services.REPORT_LINE).exists()

        edit = reverse("activities:report_edit", args=[report.pk])
        page = html(client.get(edit))
        assert "Called about the invoice" in page
        response = client.post(
            edit,
            {
                "period": "daily",
                "date_from": "2026-03-01",
                "summary": "Final",
                "action": "submit",
                **lines_data([{"text": "Called about the invoice", "identity": reza.pk, "minutes": "25"}]),
            },
        )

        report.refresh_from_db()
        assert response.status_code == 302
        assert report.submitted_at is not None and report.summary == "Final"
        detail = html(client.get(reverse("activities:report_detail", args=[report.pk])))
        assert 'data-testid="report-submitted"' in detail
        assert reverse("identity_detail", args=[reza.pk]) in detail

    def test_weekly_report_runs_six_days_on(self, client, bob):
        client.force_login(bob)

        client.post(
            reverse("activities:report_create"),
            {"period": "weekly", "date_from": "2026-03-07", "action": "draft", **lines_data([])},
        )

        report = WorkReport.objects.get()
        assert (report.date_from, report.date_to) == (dt.date(2026, 3, 7), dt.date(2026, 3, 13))

    def test_end_before_start_is_refused_on_the_field(self, client, bob):
        client.force_login(bob)

        response = client.post(
            reverse("activities:report_create"),
            {
                "period": "daily",
                "date_from": "2026-03-07",
                "date_to": "2026-03-01",
                "action": "draft",
                **lines_data([]),
            },
        )

        assert response.status_code == 200
        assert "The end must not be before the start." in html(response)
        assert not WorkReport.objects.exists()

    def test_second_report_for_the_same_day_is_explained(self, client, bob, bob_report):
        client.force_login(bob)

        response = client.post(
            reverse("activities:report_create"),
            {"period": "daily", "date_from": "2026-03-01", "action": "draft", **lines_data([])},
        )

        assert response.status_code == 200
        assert "You already have a report for this period." in html(response)

    def test_add_a_line_without_saving(self, client, bob):
        client.force_login(bob)

        response = client.post(
            reverse("activities:report_create"),
            {"period": "daily", "date_from": "", "add_row": "lines", **lines_data([{"text": "kept"}], total=1)},
        )

        page = html(response)
        assert response.status_code == 200
        assert page.count('data-testid="report-line"') == 2
        assert 'value="kept"' in page
        assert "This field is required." not in page
        assert not WorkReport.objects.exists()

    def test_prefilled_identity_on_the_first_line(self, client, alice, reza):
        client.force_login(alice)

        page = html(client.get(reverse("activities:report_create"), {"identity": reza.pk}))

        assert f'value="{reza.pk}" id="lines-0-identity-{reza.pk}" checked' in page

    def test_submitted_report_is_not_editable(self, client, bob, bob_report):
        services.work_report_save(actor=bob, values={}, lines=[{"text": "x"}], report=bob_report, submit=True)
        client.force_login(bob)

        response = client.get(reverse("activities:report_edit", args=[bob_report.pk]))

        assert response.status_code == 302
        assert response["Location"] == reverse("activities:report_detail", args=[bob_report.pk])

    def test_a_manager_reads_but_does_not_edit(self, client, manager, bob_report):
        client.force_login(manager)

        assert client.get(reverse("activities:report_detail", args=[bob_report.pk])).status_code == 200
        response = client.post(
            reverse("activities:report_edit", args=[bob_report.pk]),
            {"period": "daily", "date_from": "2026-03-01", "action": "draft", **lines_data([])},
        )
        assert response.status_code == 302
        assert WorkReport.objects.get(pk=bob_report.pk).summary == "Busy"


class TestReportList:
    def test_bob_sees_his_reports(self, client, bob, bob_report):
        client.force_login(bob)

        page = html(client.get(reverse("activities:report_list")))

        assert reverse("activities:report_detail", args=[bob_report.pk]) in page
        assert 'name="staff"' not in page

    def test_manager_sees_the_department_and_filters_by_person(self, client, manager, bob, bob_report):
        own = services.work_report_save(
            actor=manager,
            values={"period": "daily", "date_from": dt.date(2026, 3, 2), "date_to": dt.date(2026, 3, 2)},
            lines=[],
        )
        client.force_login(manager)

        page = html(client.get(reverse("activities:report_list")))
        only_bob = html(client.get(reverse("activities:report_list"), {"staff": bob.pk}))

        assert reverse("activities:report_detail", args=[bob_report.pk]) in page
        assert reverse("activities:report_detail", args=[own.pk]) in page
        assert 'name="staff"' in page
        assert reverse("activities:report_detail", args=[own.pk]) not in only_bob

    def test_charlie_meets_none_of_bobs_reports(self, client, charlie, bob_report):
        client.force_login(charlie)

        assert client.get(reverse("activities:report_detail", args=[bob_report.pk])).status_code == 404
        assert client.get(reverse("activities:report_edit", args=[bob_report.pk])).status_code == 404
        page = html(client.get(reverse("activities:report_list"), {"staff": bob_report.user_id}))
        assert reverse("activities:report_detail", args=[bob_report.pk]) not in page


class TestPerformance:
    def test_manager_sees_figures_per_person_with_totals(self, client, manager, bob):
        today = timezone.localdate()
        for hours in (1, 2):
            services.call_log(
                actor=bob, values={"direction": "in", "started_at": timezone.now() - dt.timedelta(hours=hours)}
            )
        services.call_log(actor=manager, values={"direction": "out"})
        client.force_login(manager)

        response = client.get(
            reverse("activities:report_performance"),
            {"since": (today - dt.timedelta(days=3)).isoformat(), "until": today.isoformat()},
        )

        page = html(response)
        assert response.status_code == 200
        assert [row["user"].username for row in response.context["rows"]] == ["bob", "dana"]
        assert response.context["totals"]["calls"] == 3
        assert 'data-testid="performance-totals"' in page

    def test_default_period_is_this_month_in_the_users_calendar(self, client, bob):
        bob.language = "fa"
        bob.save(update_fields=["language"])
        client.force_login(bob)

        response = client.get(reverse("activities:report_performance"))

        since = response.context["since"]
        assert response.status_code == 200
        from crm.core.i18n.calendars import to_jalali

        assert to_jalali(since).day == 1
        assert response.context["until"] == timezone.localdate()

    def test_charlie_sees_only_himself(self, client, charlie, bob):
        services.call_log(actor=bob, values={"direction": "in"})
        client.force_login(charlie)

        response = client.get(reverse("activities:report_performance"))

        assert [row["user"].username for row in response.context["rows"]] == ["charlie"]

    def test_a_reversed_period_is_explained(self, client, bob):
        client.force_login(bob)

        response = client.get(reverse("activities:report_performance"), {"since": "2026-03-10", "until": "2026-03-01"})

        assert "The end must not be before the start." in html(response)
        assert response.context["rows"] == []
