"""The call, note and file pages (AC-4, AC-5, AC-6, AC-10): lists with filters, forms
that prefill from a profile, detail pages with the item panel, the recording player and
file previews; charlie never meets bob's items (404), and the demo data loads twice."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from crm.activities import services
from crm.activities.demo import tiny_pdf, tiny_png
from crm.activities.models import Call, Document, Note
from crm.core.items.models import AttachmentVersion
from crm.identities import services as identity_services
from crm.org.testing import appoint, fresh, make_position, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:
    return response.content.decode()


def make_identity(actor, **values):
    values.setdefault("first_name", "Reza")
    values.setdefault("last_name", "Karimi")
    return identity_services.identity_create(actor=actor, **values)


def downloads_ready() -> bool:
    try:
        reverse("item_attachment_download", args=["00000000-0000-0000-0000-000000000000"])
    except NoReverseMatch:
        return False
    return True


@pytest.fixture
def bob_call(bob):
    return services.call_log(
        actor=bob, values={"direction": "in", "their_number": "09121112233", "subject": "Bob's customer"}
    )


@pytest.fixture
def bob_note(bob):
    return services.note_create(actor=bob, title="Bob's note", body="<p>secret</p>")


@pytest.fixture
def bob_document(bob):
    return services.document_create(
        actor=bob, title="Bob's file", upload=SimpleUploadedFile("b.png", tiny_png(8, 8), "image/png")
    )


# ---- calls ---------------------------------------------------------------------------------------


class TestCallList:
    def test_alice_sees_calls_with_number_identity_and_duration(self, client, alice):
        reza = make_identity(alice, phones=[{"number": "09121234567"}])
        services.call_log(
            actor=alice,
            values={"direction": "in", "their_number": "09121234567", "duration_seconds": 245, "subject": "Offer"},
        )
        client.force_login(alice)

        response = client.get(reverse("activities:call_list"))

        page = html(response)
        assert response.status_code == 200
        assert "0912 123 4567" in page
        assert str(reza) in page and reverse("identity_detail", args=[reza.pk]) in page
        assert "4:05" in page and "Offer" in page

    def test_filters_direction_text_number_identity_and_dates(self, client, alice):
        reza = make_identity(alice, phones=[{"number": "09121234567"}])
        day = dt.date(2026, 3, 10)
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
        services.call_log(
            actor=alice, values={"direction": "in", "their_number": "09121234567", "subject": "Alpha", "started_at": at}
        )
        services.call_log(
            actor=alice,
            values={
                "direction": "out",
                "their_number": "09350001122",
                "subject": "Beta",
                "started_at": at - dt.timedelta(days=30),
            },
        )
        client.force_login(alice)
        url = reverse("activities:call_list")

        def subjects(**params) -> set[str]:
            page = html(client.get(url, params))
            return {s for s in ("Alpha", "Beta") if s in page}

        assert subjects() == {"Alpha", "Beta"}
        assert subjects(direction="out") == {"Beta"}
        assert subjects(q="alp") == {"Alpha"}
        assert subjects(q="۰۹۳۵ ۰۰۰ ۱۱۲۲") == {"Beta"}  # a number, typed any way
        assert subjects(identity=reza.pk) == {"Alpha"}
        assert subjects(since="1404/12/15", until="1404/12/25") == {"Alpha"}  # Jalali dates: 5–15 March 2026
        assert subjects(since="2026-03-11") == set()

    def test_bob_sees_only_his_calls_and_no_user_filter(self, client, alice, bob, bob_call):
        services.call_log(actor=alice, values={"direction": "in", "subject": "Alice's customer"})
        client.force_login(bob)

        page = html(client.get(reverse("activities:call_list")))

        assert "Bob&#x27;s customer" in page
        assert "Alice&#x27;s customer" not in page
        assert 'name="user"' not in page

    def test_anonymous_is_sent_to_sign_in(self, client, db):
        response = client.get(reverse("activities:call_list"))

        assert response.status_code == 302
        assert reverse("login") in response["Location"]


class TestCallForm:
    def test_log_a_call_with_any_number_format(self, client, alice):
        reza = make_identity(alice, phones=[{"number": "09121234567"}])
        client.force_login(alice)

        response = client.post(
            reverse("activities:call_create"),
            {
                "direction": "in",
                "their_number": "+98 (912) 123-4567",
                "our_number": "۱۰۲",
                "started_at": "1404/12/19 09:30",
                "duration": "۴:۰۵",
                "subject": "Price enquiry",
            },
        )

        call = Call.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("activities:call_detail", args=[call.pk])
        assert call.their_number == "+989121234567"
        assert call.our_number == "102"
        assert call.identity_id == reza.pk
        assert call.duration_seconds == 245
        assert timezone.localtime(call.started_at).replace(tzinfo=None) == dt.datetime(2026, 3, 10, 9, 30)

    def test_invalid_number_and_duration_are_shown_on_their_fields(self, client, alice):
        client.force_login(alice)

        response = client.post(
            reverse("activities:call_create"),
            {"direction": "in", "their_number": "hello", "started_at": "2026-03-10 09:30", "duration": "4:75"},
        )

        page = html(response)
        assert response.status_code == 200
        assert "Write the duration as minutes:seconds" in page
        assert not Call.objects.exists()
        response = client.post(
            reverse("activities:call_create"),
            {"direction": "in", "their_number": "hello", "started_at": "2026-03-10 09:30", "duration": "75"},
        )
        page = html(response)
        assert "Not a phone number." in page
        assert "[&#x27;" not in page  # one message, not a Python list
        assert not Call.objects.exists()

    def test_prefilled_from_a_profile_only_when_visible(self, client, alice, charlie):
        reza = make_identity(alice)
        client.force_login(alice)

        page = html(client.get(reverse("activities:call_create"), {"identity": reza.pk}))

        assert f'value="{reza.pk}" id="identity-{reza.pk}" checked' in page
        client.force_login(charlie)
        page = html(client.get(reverse("activities:call_create"), {"identity": reza.pk}))
        assert str(reza) not in page

    def test_an_identity_the_user_cannot_see_is_refused(self, client, alice, charlie):
        reza = make_identity(alice)
        client.force_login(charlie)

        response = client.post(
            reverse("activities:call_create"),
            {"direction": "in", "started_at": "2026-03-10 09:30", "identity": reza.pk},
        )

        assert response.status_code == 200
        assert not Call.objects.exists()

    def test_bob_edits_his_call(self, client, bob, bob_call):
        client.force_login(bob)
        url = reverse("activities:call_edit", args=[bob_call.pk])

        assert 'value="0912 111 2233"' in html(client.get(url))
        response = client.post(
            url, {"direction": "out", "their_number": "09121112233", "started_at": "2026-03-10 09:30", "duration": "61"}
        )

        assert response.status_code == 302
        bob_call.refresh_from_db()
        assert (bob_call.direction, bob_call.duration_seconds) == ("out", 61)


class TestCallDetail:
    def test_detail_has_the_item_panel(self, client, bob, bob_call):
        client.force_login(bob)

        response = client.get(reverse("activities:call_detail", args=[bob_call.pk]))

        page = html(response)
        assert response.status_code == 200
        assert "Bob&#x27;s customer" in page and "0912 111 2233" in page
        assert "crm-item-panel" in page

    def test_recording_plays_from_the_download_address(self, client, bob, bob_call):
        if not downloads_ready():
            pytest.skip("the core attachment download page is not there yet")
        wav = SimpleUploadedFile("rec.wav", b"RIFF....WAVEfmt " + b"\x00" * 64, content_type="audio/wav")
        attachment = services.call_attach_recording(actor=bob, call=bob_call, upload=wav)
        client.force_login(bob)

        page = html(client.get(reverse("activities:call_detail", args=[bob_call.pk])))

        src = reverse("item_attachment_download", args=[attachment.public_id]) + "?v=1"
        assert f'<audio controls preload="none" class="w-100" src="{src}"' in page

    def test_charlie_meets_none_of_bobs_calls(self, client, charlie, bob_call):
        client.force_login(charlie)

        assert client.get(reverse("activities:call_detail", args=[bob_call.pk])).status_code == 404
        assert client.get(reverse("activities:call_edit", args=[bob_call.pk])).status_code == 404
        assert client.post(reverse("activities:call_delete", args=[bob_call.pk])).status_code == 404
        assert "Bob&#x27;s customer" not in html(client.get(reverse("activities:call_list")))
        assert Call.objects.filter(pk=bob_call.pk).exists()

    def test_delete_is_post_only_and_owner_deletes(self, client, bob, bob_call):
        client.force_login(bob)
        url = reverse("activities:call_delete", args=[bob_call.pk])

        assert client.get(url).status_code == 405
        response = client.post(url)

        assert response.status_code == 302
        assert not Call.objects.filter(pk=bob_call.pk).exists()
        assert Call.all_objects.filter(pk=bob_call.pk).exists()


# ---- notes ---------------------------------------------------------------------------------------


class TestNotes:
    def test_create_sanitises_and_links_identities(self, client, alice):
        reza = make_identity(alice)
        client.force_login(alice)

        response = client.post(
            reverse("activities:note_create"),
            {"title": "Visit", "body": "<p>Good <b>talk</b></p><script>alert(1)</script>", "identities": [reza.pk]},
        )

        note = Note.objects.get()
        assert response.status_code == 302
        page = html(client.get(reverse("activities:note_detail", args=[note.pk])))
        assert "<p>Good <b>talk</b></p>" in page
        assert "alert(1)" not in page
        assert reverse("identity_detail", args=[reza.pk]) in page
        assert "crm-item-panel" in page

    def test_title_is_required(self, client, alice):
        client.force_login(alice)

        response = client.post(reverse("activities:note_create"), {"title": "", "body": "x"})

        assert response.status_code == 200
        assert not Note.objects.exists()

    def test_prefilled_identity(self, client, alice):
        reza = make_identity(alice)
        client.force_login(alice)

        page = html(client.get(reverse("activities:note_create"), {"identity": reza.pk}))

        assert f'value="{reza.pk}" id="identities-{reza.pk}" checked' in page

    def test_list_search(self, client, alice):
        services.note_create(actor=alice, title="Quarterly plan", body="numbers")
        services.note_create(actor=alice, title="Other", body="about the plan")
        services.note_create(actor=alice, title="Unrelated", body="x")
        client.force_login(alice)

        page = html(client.get(reverse("activities:note_list"), {"q": "plan"}))

        assert "Quarterly plan" in page and "Other" in page and "Unrelated" not in page

    def test_edit_by_author(self, client, bob, bob_note):
        client.force_login(bob)

        response = client.post(reverse("activities:note_edit", args=[bob_note.pk]), {"title": "Renamed", "body": "b"})

        assert response.status_code == 302
        assert Note.objects.get(pk=bob_note.pk).title == "Renamed"

    def test_charlie_meets_none_of_bobs_notes(self, client, charlie, bob_note):
        client.force_login(charlie)

        assert client.get(reverse("activities:note_detail", args=[bob_note.pk])).status_code == 404
        assert client.get(reverse("activities:note_edit", args=[bob_note.pk])).status_code == 404
        assert client.post(reverse("activities:note_delete", args=[bob_note.pk])).status_code == 404
        assert "Bob&#x27;s note" not in html(client.get(reverse("activities:note_list")))


# ---- files ---------------------------------------------------------------------------------------


class TestDocuments:
    def test_upload_a_png_and_see_it_previewed(self, client, alice):
        client.force_login(alice)

        response = client.post(
            reverse("activities:document_create"),
            {"title": "Logo", "upload": SimpleUploadedFile("logo.png", tiny_png(8, 8), "image/png")},
        )

        document = Document.objects.get()
        assert response.status_code == 302
        page = html(client.get(reverse("activities:document_detail", args=[document.pk])))
        assert "logo.png" in page and "crm-item-panel" in page
        if downloads_ready():
            version = AttachmentVersion.objects.get()
            src = reverse("item_attachment_download", args=[version.attachment.public_id]) + "?v=1"
            assert f'<img class="img-fluid border rounded crm-file-preview" src="{src}"' in page

    def test_pdf_is_previewed_in_a_frame(self, client, alice):
        if not downloads_ready():
            pytest.skip("the core attachment download page is not there yet")
        document = services.document_create(
            actor=alice, title="Catalogue", upload=SimpleUploadedFile("c.pdf", tiny_pdf(["hi"]), "application/pdf")
        )
        client.force_login(alice)

        page = html(client.get(reverse("activities:document_detail", args=[document.pk])))

        assert 'data-testid="preview-pdf"' in page and "<iframe" in page

    def test_other_types_have_no_preview(self, client, alice):
        document = services.document_create(
            actor=alice, title="Prices", upload=SimpleUploadedFile("p.csv", b"a,b\n1,2\n", "text/csv")
        )
        client.force_login(alice)

        page = html(client.get(reverse("activities:document_detail", args=[document.pk])))

        assert "No preview for this type of file." in page
        assert "<iframe" not in page and "crm-file-preview" not in page

    def test_fake_png_is_refused_on_the_file_field(self, client, alice):
        client.force_login(alice)

        response = client.post(
            reverse("activities:document_create"),
            {"title": "Photo", "upload": SimpleUploadedFile("photo.png", b"MZ not an image", "image/png")},
        )

        page = html(response)
        assert response.status_code == 200
        assert "Files of this type (.png) are not accepted." in page
        assert 'class="invalid-feedback d-block">Files of this type' in page
        assert not Document.all_objects.exists()

    def test_oversize_is_refused_on_the_file_field(self, client, alice, settings):
        settings.CRM_UPLOAD_MAX_BYTES = 10
        client.force_login(alice)

        response = client.post(
            reverse("activities:document_create"),
            {"title": "Big", "upload": SimpleUploadedFile("big.png", tiny_png(8, 8), "image/png")},
        )

        assert response.status_code == 200
        assert "The file is larger than" in html(response)
        assert not Document.all_objects.exists()

    def test_new_version_appears_in_the_versions_list(self, client, bob, bob_document):
        client.force_login(bob)

        response = client.post(
            reverse("activities:document_new_version", args=[bob_document.pk]),
            {"upload": SimpleUploadedFile("b2.png", tiny_png(9, 9), "image/png")},
        )

        assert response.status_code == 302
        page = html(client.get(reverse("activities:document_detail", args=[bob_document.pk])))
        assert "Version 2" in page and "b2.png" in page and "b.png" in page

    def test_a_bad_new_version_is_explained(self, client, bob, bob_document):
        client.force_login(bob)

        response = client.post(
            reverse("activities:document_new_version", args=[bob_document.pk]),
            {"upload": SimpleUploadedFile("b2.pdf", b"not a pdf", "application/pdf")},
        )

        assert response.status_code == 400
        assert "Files of this type (.pdf) are not accepted." in html(response)
        assert AttachmentVersion.objects.count() == 1

    def test_charlie_meets_none_of_bobs_files(self, client, charlie, bob_document):
        client.force_login(charlie)
        upload = SimpleUploadedFile("c.png", tiny_png(8, 8), "image/png")

        assert client.get(reverse("activities:document_detail", args=[bob_document.pk])).status_code == 404
        new_version = reverse("activities:document_new_version", args=[bob_document.pk])
        assert client.post(new_version, {"upload": upload}).status_code == 404
        assert client.post(reverse("activities:document_delete", args=[bob_document.pk])).status_code == 404
        assert "Bob&#x27;s file" not in html(client.get(reverse("activities:document_list")))
        assert AttachmentVersion.objects.count() == 1

    def test_list_shows_size_and_versions(self, client, bob, bob_document):
        client.force_login(bob)

        page = html(client.get(reverse("activities:document_list")))

        assert "Bob&#x27;s file" in page and "b.png" in page


# ---- the identity picker and quick create ------------------------------------------------------------


class TestIdentityPicker:
    def test_search_offers_visible_identities_and_keeps_the_chosen(self, client, alice):
        reza = make_identity(alice, first_name="Reza")
        sara = make_identity(alice, first_name="Sara", last_name="Mousavi")
        client.force_login(alice)

        response = client.get(
            reverse("activities:identity_pick"),
            {"field": "identities", "multiple": "1", "identities": [reza.pk], "identities__q": "Mousavi"},
            **HTMX,
        )

        page = html(response)
        assert f'value="{reza.pk}" id="identities-{reza.pk}" checked' in page
        assert f'value="{sara.pk}" id="identities-{sara.pk}">' in page
        assert 'type="checkbox"' in page

    def test_charlie_finds_nothing_he_may_not_see(self, client, alice, charlie):
        reza = make_identity(alice, first_name="Reza")
        client.force_login(charlie)

        page = html(
            client.get(
                reverse("activities:identity_pick"),
                {"field": "identity", "identity": reza.pk, "identity__q": "Reza"},
                **HTMX,
            )
        )

        assert "Reza" not in page
        assert 'type="radio"' in page  # only "none"

    def test_odd_field_names_are_refused(self, client, alice):
        client.force_login(alice)

        response = client.get(reverse("activities:identity_pick"), {"field": '"><script>'})

        assert response.status_code == 404


def test_quick_create_widget_lists_the_items(alice):
    request = RequestFactory().get("/")
    request.user = alice

    page = render_to_string("activities/widgets/quick_create.html", {"w": {}}, request=request)

    for name in ("call_create", "note_create", "document_create"):
        assert f'href="{reverse(f"activities:{name}")}"' in page


def test_bob_with_identity_rights_sees_his_identity_in_the_picker(client, alice, db):
    position = make_position("Expert", ["identities.view_identity", "identities.view_all_identity"])
    dana = make_user("dana")
    appoint(dana, position)
    reza = make_identity(alice)
    client.force_login(fresh(dana))

    page = html(client.get(reverse("activities:note_create"), {"identity": reza.pk}))

    assert f'value="{reza.pk}" id="identities-{reza.pk}" checked' in page


# ---- demo data -----------------------------------------------------------------------------------


def test_demo_data_loads_twice(db, monkeypatch):
    from crm.core.demo.registry import demo_loaders

    monkeypatch.setenv("CRM_DEMO_IDENTITIES", "40")
    for _round in range(2):
        for loader in demo_loaders():
            loader.load(random.Random(7))

    assert Call.objects.count() == 60
    assert Note.objects.count() == 20
    assert Document.objects.count() == 3
    assert Call.objects.filter(identity__isnull=False).exists()
    assert Call.objects.filter(recording__isnull=False).count() == 1
