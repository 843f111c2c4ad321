"""Calls, notes, files and work reports through their services (AC-4, AC-5, AC-6, AC-11):
numbers are normalised and find their identity, telephony's call id is idempotent, note
bodies lose their scripts, uploads are sniffed and capped, file versions count up,
report lines land in the identity's history, a submitted report is frozen, and the
performance figures count what each person did in the period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.activities import selectors, services
from crm.activities.demo import tiny_pdf, tiny_png
from crm.activities.errors import ActivityError, ActivityErrorCode
from crm.activities.models import Call, Document, WorkReport
from crm.core.items.errors import ItemError, ItemErrorCode
from crm.core.items.models import Attachment
from crm.core.timeline.models import TimelineEntry
from crm.identities import services as identity_services
from crm.org.models import Department
from crm.org.testing import appoint, fresh, make_position, make_user

pytestmark = pytest.mark.django_db


def make_identity(actor, **values):
    values.setdefault("first_name", "Reza")
    values.setdefault("last_name", "Karimi")
    return identity_services.identity_create(actor=actor, **values)


def png(name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, tiny_png(16, 8), content_type="image/png")


# ---- calls (AC-4) ---------------------------------------------------------------------------------


class TestCalls:
    def test_number_in_any_format_is_normalised_and_finds_the_identity(self, alice):
        reza = make_identity(alice, phones=[{"number": "09121234567"}])

        call = services.call_log(actor=alice, values={"direction": "in", "their_number": "۰۹۱۲ ۱۲۳ ۴۵۶۷"})

        assert call.their_number == "+989121234567"
        assert call.identity_id == reza.pk
        assert call.user_id == alice.pk  # handled by the one who logged it

    def test_a_chosen_identity_wins_over_the_number(self, alice):
        make_identity(alice, phones=[{"number": "09121234567"}])
        other = make_identity(alice, first_name="Sara")

        call = services.call_log(
            actor=alice, values={"direction": "out", "their_number": "+98 912 123 4567", "identity": other}
        )

        assert call.identity_id == other.pk

    def test_unknown_number_is_kept_without_identity(self, alice):
        call = services.call_log(actor=alice, values={"direction": "in", "their_number": "0935 000 1122"})

        assert call.their_number == "+989350001122"
        assert call.identity_id is None

    def test_text_that_is_no_number_is_refused_on_the_field(self, alice):
        with pytest.raises(ActivityError) as caught:
            services.call_log(actor=alice, values={"direction": "in", "their_number": "abc"})

        assert caught.value.code == ActivityErrorCode.NUMBER_INVALID
        assert "their_number" in caught.value.fields
        assert not Call.objects.exists()

    def test_external_id_makes_logging_idempotent(self, alice):
        values = {"direction": "in", "their_number": "09121234567", "duration_seconds": 42}

        first = services.call_log(actor=alice, values=values, external_id="pbx-7781")
        second = services.call_log(actor=alice, values={**values, "duration_seconds": 99}, external_id="pbx-7781")

        assert first.pk == second.pk
        assert Call.objects.filter(external_id="pbx-7781").count() == 1
        assert Call.objects.get(pk=first.pk).duration_seconds == 42

    def test_call_lands_in_the_identity_history(self, alice):
        reza = make_identity(alice, phones=[{"number": "09121234567"}])

        call = services.call_log(
            actor=alice, values={"direction": "in", "their_number": "09121234567", "subject": "Order"}
        )

        entry = TimelineEntry.objects.get(identity_id=reza.pk, item_type=services.CALL, item_id=str(call.pk))
        assert entry.summary == "Order"

    def test_only_creator_or_handler_changes_a_call(self, alice, bob, charlie):
        call = services.call_log(actor=bob, values={"direction": "in", "their_number": "09121234567"})

        with pytest.raises(ActivityError):
            services.call_update(actor=charlie, call=call, values={"subject": "mine now"})
        services.call_update(actor=bob, call=call, values={"subject": "Price enquiry"})

        assert Call.objects.get(pk=call.pk).subject == "Price enquiry"

    def test_deleted_call_leaves_list_and_history(self, alice):
        reza = make_identity(alice, phones=[{"number": "09121234567"}])
        call = services.call_log(actor=alice, values={"direction": "in", "their_number": "09121234567"})

        services.call_delete(actor=alice, call=call)

        assert not selectors.call_list_for_user(user=alice).filter(pk=call.pk).exists()
        assert TimelineEntry.objects.get(identity_id=reza.pk, item_type=services.CALL, item_id=str(call.pk)).hidden

    def test_recording_is_an_attachment_of_the_call(self, alice):
        call = services.call_log(actor=alice, values={"direction": "in"})
        wav = SimpleUploadedFile("rec.wav", b"RIFF....WAVEfmt " + b"\x00" * 64, content_type="audio/wav")

        attachment = services.call_attach_recording(actor=alice, call=call, upload=wav)

        call.refresh_from_db()
        assert call.recording_id == attachment.pk
        assert attachment.item_type == services.CALL and attachment.item_id == str(call.pk)


class TestCallVisibility:
    def test_bob_sees_his_calls_only_and_charlie_none(self, alice, bob, charlie):
        mine = services.call_log(actor=bob, values={"direction": "in"})
        services.call_log(actor=alice, values={"direction": "out"})

        assert list(selectors.call_list_for_user(user=bob)) == [mine]
        assert not selectors.call_list_for_user(user=charlie).exists()
        assert selectors.call_get_for_user(user=charlie, pk=mine.pk) is None


# ---- notes (AC-5) ---------------------------------------------------------------------------------


class TestNotes:
    def test_body_is_sanitised(self, alice):
        note = services.note_create(
            actor=alice,
            title="  Visit  ",
            body='<p onclick="steal()">Hello <b>there</b></p><script>alert(1)</script>'
            '<a href="javascript:alert(2)">x</a><img src=x onerror=alert(3)>',
        )

        assert note.title == "Visit"
        assert "<script" not in note.body and "alert(1)" not in note.body
        assert "onclick" not in note.body and "onerror" not in note.body and "<img" not in note.body
        assert "javascript:" not in note.body
        assert "<b>there</b>" in note.body

    def test_update_sanitises_too_and_moves_the_history(self, alice):
        first, second = make_identity(alice), make_identity(alice, first_name="Sara")
        note = services.note_create(actor=alice, title="n", body="x", identity_ids=[first.pk])

        services.note_update(actor=alice, note=note, title="n", body="<script>x()</script>ok", identity_ids=[second.pk])

        note.refresh_from_db()
        assert note.body == "ok"
        assert not TimelineEntry.objects.filter(identity_id=first.pk, item_type=services.NOTE).exists()
        assert TimelineEntry.objects.filter(identity_id=second.pk, item_type=services.NOTE).exists()

    def test_others_may_not_change_a_note(self, alice, bob):
        note = services.note_create(actor=alice, title="mine", body="")

        with pytest.raises(ActivityError):
            services.note_update(actor=bob, note=note, title="his", body="")


# ---- files (AC-6) ----------------------------------------------------------------------------------


class TestDocuments:
    def test_upload_is_version_one_and_new_versions_count_up(self, alice):
        document = services.document_create(actor=alice, title="", upload=png("logo.png"))

        services.document_new_version(actor=alice, document=document, upload=png("logo-2.png"))
        services.document_new_version(
            actor=alice, document=document, upload=SimpleUploadedFile("logo.pdf", tiny_pdf(["v3"]))
        )

        attachment = services.document_file(document)
        assert document.title == "logo.png"  # the file name when no title is given
        assert Attachment.objects.filter(item_type=services.DOCUMENT, item_id=str(document.pk)).count() == 1
        assert list(attachment.versions.order_by("number").values_list("number", "content_type")) == [
            (1, "image/png"),
            (2, "image/png"),
            (3, "application/pdf"),
        ]
        assert attachment.current.number == 3

    def test_fake_png_is_refused_and_nothing_is_kept(self, alice):
        fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 this is a program", content_type="image/png")

        with pytest.raises(ItemError) as caught:
            services.document_create(actor=alice, title="Photo", upload=fake)

        assert caught.value.code == ItemErrorCode.FILE_TYPE_REFUSED
        assert not Document.all_objects.exists()

    def test_oversize_upload_is_refused(self, alice, settings):
        settings.CRM_UPLOAD_MAX_BYTES = 100

        with pytest.raises(ItemError) as caught:
            services.document_create(actor=alice, title="big", upload=png())

        assert caught.value.code == ItemErrorCode.FILE_TOO_LARGE
        assert not Document.all_objects.exists()

    def test_no_file_is_refused_on_the_field(self, alice):
        with pytest.raises(ActivityError) as caught:
            services.document_create(actor=alice, title="nothing", upload=None)

        assert caught.value.code == ActivityErrorCode.NO_FILE
        assert "upload" in caught.value.fields

    def test_only_the_owner_adds_versions(self, alice, bob):
        document = services.document_create(actor=alice, title="Price list", upload=png())

        with pytest.raises(ActivityError):
            services.document_new_version(actor=bob, document=document, upload=png())

    def test_linked_identities_see_the_file_in_their_history(self, alice):
        reza = make_identity(alice)

        document = services.document_create(actor=alice, title="Contract", upload=png(), identity_ids=[reza.pk])

        assert TimelineEntry.objects.filter(
            identity_id=reza.pk, item_type=services.DOCUMENT, item_id=str(document.pk)
        ).exists()


# ---- work reports and figures (AC-11) ------------------------------------------------------------


def report_values(day: dt.date, period: str = "daily") -> dict:
    return {"period": period, "date_from": day, "date_to": day, "summary": "A good day"}


class TestWorkReports:
    def test_lines_about_an_identity_land_in_its_history(self, alice, bob):
        reza = make_identity(alice)
        day = dt.date(2026, 3, 1)

        report = services.work_report_save(
            actor=bob,
            values=report_values(day),
            lines=[
                {"text": "Called about the invoice", "identity_id": reza.pk, "minutes": 20},
                {"text": "Team meeting", "minutes": 60},
                {"text": "   "},  # empty lines are dropped
            ],
        )

        assert [ln.text for ln in report.lines.all()] == ["Called about the invoice", "Team meeting"]
        line = report.lines.get(identity=reza)
        entry = TimelineEntry.objects.get(identity_id=reza.pk, item_type=services.REPORT_LINE, item_id=str(line.pk))
        assert entry.summary == "Called about the invoice"
        assert timezone.localtime(entry.occurred_at).date() == day
        assert report.submitted_at is None

    def test_rewriting_the_lines_replaces_the_history_rows(self, alice, bob):
        reza = make_identity(alice)
        report = services.work_report_save(
            actor=bob, values=report_values(dt.date(2026, 3, 1)), lines=[{"text": "a", "identity_id": reza.pk}]
        )
        old = report.lines.get()

        services.work_report_save(actor=bob, values={}, report=report, lines=[{"text": "b", "identity_id": reza.pk}])

        shown = TimelineEntry.objects.filter(identity_id=reza.pk, item_type=services.REPORT_LINE, hidden=False)
        assert [e.summary for e in shown] == ["b"]
        assert TimelineEntry.objects.get(item_type=services.REPORT_LINE, item_id=str(old.pk)).hidden

    def test_submitted_report_cannot_change(self, bob):
        report = services.work_report_save(
            actor=bob, values=report_values(dt.date(2026, 3, 2)), lines=[{"text": "x"}], submit=True
        )

        assert report.submitted_at is not None
        with pytest.raises(ActivityError) as caught:
            services.work_report_save(actor=bob, values={"summary": "changed"}, report=report, lines=[])
        assert caught.value.code == ActivityErrorCode.REPORT_SUBMITTED
        assert WorkReport.objects.get(pk=report.pk).summary == "A good day"

    def test_only_the_author_changes_a_report(self, alice, bob):
        report = services.work_report_save(actor=bob, values=report_values(dt.date(2026, 3, 3)), lines=[])

        with pytest.raises(ActivityError) as caught:
            services.work_report_save(actor=alice, values={"summary": "x"}, report=report, lines=[])
        assert caught.value.code == ActivityErrorCode.NOT_ALLOWED

    def test_one_report_per_period_and_day(self, bob):
        services.work_report_save(actor=bob, values=report_values(dt.date(2026, 3, 4)), lines=[])

        with pytest.raises(ActivityError) as caught:
            services.work_report_save(actor=bob, values=report_values(dt.date(2026, 3, 4)), lines=[])
        assert caught.value.code == ActivityErrorCode.REPORT_EXISTS

    def test_rewrite_onto_another_reports_day_is_a_clear_error(self, bob):
        services.work_report_save(actor=bob, values=report_values(dt.date(2026, 3, 5)), lines=[])
        second = services.work_report_save(actor=bob, values=report_values(dt.date(2026, 3, 6)), lines=[])

        with pytest.raises(ActivityError) as clash:
            services.work_report_save(actor=bob, values=report_values(dt.date(2026, 3, 5)), report=second, lines=[])
        assert clash.value.code == ActivityErrorCode.REPORT_EXISTS
        with pytest.raises(ActivityError) as backwards:
            services.work_report_save(
                actor=bob,
                values={**report_values(dt.date(2026, 3, 6)), "date_to": dt.date(2026, 3, 1)},
                report=second,
                lines=[],
            )
        assert backwards.value.code == ActivityErrorCode.INVALID
        assert "date_to" in backwards.value.fields


class TestPerformance:
    def test_counts_per_person_in_the_period(self, alice, bob):
        today = timezone.localdate()
        inside = timezone.make_aware(dt.datetime.combine(today, dt.time(10, 0)))
        outside = inside - dt.timedelta(days=40)
        for at in (inside, inside - dt.timedelta(hours=1), outside):
            services.call_log(actor=bob, values={"direction": "in", "started_at": at})
        services.call_log(actor=alice, values={"direction": "in", "started_at": inside})
        task = services.task_create(actor=alice, values={"title": "Send the offer"}, user_ids=[bob.pk])
        services.task_done(actor=bob, task=task)
        services.task_create(actor=alice, values={"title": "Still open"}, user_ids=[bob.pk])
        calendar = services.calendar_personal(user=bob)
        services.meeting_create(
            actor=bob,
            values={"calendar": calendar, "subject": "Visit", "start": inside, "end": inside + dt.timedelta(hours=1)},
        )
        services.work_report_save(actor=bob, values=report_values(today), lines=[{"text": "x"}])

        rows = selectors.performance(user=bob, since=today - dt.timedelta(days=7), until=today)

        assert [(r["user"].pk, r["tasks_done"], r["calls"], r["meetings"], r["reports"]) for r in rows] == [
            (bob.pk, 1, 2, 1, 1)
        ]

    def test_manager_sees_department_staff_and_others_only_themselves(self, alice, bob, bob_position, charlie):
        department = bob_position.department
        boss_post = make_position("Sales manager", ["activities.view_department_workreport"], department=department)
        boss_post.is_manager = True
        boss_post.save(update_fields=["is_manager"])
        boss = make_user("dana", first_name="Dana")
        appoint(boss, boss_post)
        boss = fresh(boss)
        other_department = Department.objects.create(name="Elsewhere", path="")
        stranger = make_user("erin")
        appoint(stranger, make_position("Clerk", department=other_department))

        seen = {
            r["user"].username
            for r in selectors.performance(user=boss, since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 31))
        }

        assert seen == {"dana", "bob"}
        assert [
            r["user"].username
            for r in selectors.performance(user=charlie, since=dt.date(2026, 1, 1), until=dt.date(2026, 1, 2))
        ] == ["charlie"]
