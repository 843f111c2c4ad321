"""The shared item panel (AC-6/7/8): comments with mentions, personal follow-ups and
files with versions, on a test item type that alice and bob may see and charlie may not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from crm.core.i18n.calendars import GREGORIAN, JALALI, calendar_override
from crm.core.i18n.formatting import input_date_value
from crm.core.items.models import Attachment, Comment, FollowUp, Mention
from crm.core.items.services import attachment_add, comment_add, followup_set
from crm.core.notifications.models import Notification
from crm.core.timeline import registry
from crm.core.timeline.registry import ItemType

THING = "test.thing"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def thing(monkeypatch: pytest.MonkeyPatch) -> str:
    """Item "test.thing" #7: alice and bob may see it, nobody else."""

    def visible(user: Any, ids: Any) -> set[str]:
        return set(ids) if user.username in {"alice", "bob"} else set()

    monkeypatch.setitem(
        registry._types,
        THING,
        ItemType(
            key=THING,
            label="Thing",
            icon="bi-box",
            url=lambda item_id: f"/things/{item_id}/",
            visible_ids=visible,
            titles=lambda ids: {i: f"Thing {i}" for i in ids},
        ),
    )
    return "7"


def url(name: str, *args: Any) -> str:
    return reverse(name, args=[THING, "7", *args])


def later(days: int = 2, calendar: str = GREGORIAN) -> str:
    """A time in the future as the date-time input writes it, in the given calendar."""
    moment = timezone.localtime(timezone.now() + dt.timedelta(days=days))
    with calendar_override(calendar):
        return f"{input_date_value(moment.date())} 10:30"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# ---- the panel ---------------------------------------------------------------------------


def test_panel_shows_sections_to_who_may_see_the_item(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    response = client.get(url("item_panel"))
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("panel-comments", "panel-followups", "panel-files"):
        assert f'data-testid="{section}"' in html
    assert 'data-mention-url="/mentions/suggest/"' in html
    assert 'data-datepicker="datetime"' in html  # the follow-up time uses the date picker


def test_panel_section_alone(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    html = client.get(url("item_panel") + "?section=files").content.decode()
    assert 'data-testid="panel-files"' in html
    assert 'data-testid="panel-comments"' not in html


def test_panel_is_404_for_charlie_and_unknown_types(client: Any, charlie: Any, alice: Any, thing: str) -> None:
    client.force_login(charlie)
    assert client.get(url("item_panel")).status_code == 404
    client.force_login(alice)
    assert client.get(reverse("item_panel", args=["nope.nothing", "1"])).status_code == 404


def test_panel_tag_renders_nothing_for_charlie(rf: RequestFactory, bob: Any, charlie: Any, thing: str) -> None:
    template = Template('{% load crm_items %}{% item_panel "test.thing" 7 %}')
    request = rf.get("/things/7/")
    request.user = charlie
    assert "item-panel" not in template.render(Context({"request": request}))
    request.user = bob
    html = template.render(Context({"request": request}))
    assert 'id="item-panel-testthing-7"' in html
    assert 'name="next" value="/things/7/"' in html


def test_login_required(client: Any, thing: str) -> None:
    response = client.get(url("item_panel"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ---- comments ----------------------------------------------------------------------------


def test_comment_add_with_htmx_rerenders_the_section(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    response = client.post(url("item_comment_add"), {"body": "First look <b>done</b>", "next": "/things/7/"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="item-panel-testthing-7-comments"' in html
    assert "First look &lt;b&gt;done&lt;/b&gt;" in html  # escaped
    assert 'id="item-panel-testthing-7-count-comments" hx-swap-oob="true"' in html
    assert Comment.objects.filter(item_type=THING, item_id="7", author=bob).count() == 1


def test_comment_add_without_js_redirects_back(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    response = client.post(url("item_comment_add"), {"body": "Hello", "next": "/things/7/?tab=details"})
    assert response.status_code == 302
    assert response["Location"] == "/things/7/?tab=details#item-panel-testthing-7"
    # an outside `next` is not followed
    response = client.post(url("item_comment_add"), {"body": "Again", "next": "https://evil.example/"})
    assert response["Location"].startswith("/things/7/")


def test_empty_comment_shows_the_error(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    response = client.post(url("item_comment_add"), {"body": "   "}, **HX)
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not Comment.objects.exists()


def test_charlie_cannot_comment_on_an_item_he_cannot_see(client: Any, charlie: Any, thing: str) -> None:
    client.force_login(charlie)
    assert client.post(url("item_comment_add"), {"body": "sneaky"}, **HX).status_code == 404
    assert not Comment.objects.exists()


def test_mention_is_highlighted_and_notifies(client: Any, alice: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    response = client.post(url("item_comment_add"), {"body": "Please check, @alice"}, **HX)
    html = response.content.decode()
    assert '<span class="crm-mention" dir="auto">@alice</span>' in html
    assert Mention.objects.filter(user=alice).count() == 1
    notification = Notification.objects.get(user=alice)
    assert notification.kind == "comment.mention" and notification.url == "/things/7/"


def test_replies_are_indented_under_their_comment(client: Any, alice: Any, bob: Any, thing: str) -> None:
    parent = comment_add(actor=alice, item_type=THING, item_id="7", body="Question?")
    client.force_login(bob)
    response = client.post(url("item_comment_add"), {"body": "Answer.", "parent": parent.pk}, **HX)
    html = response.content.decode()
    reply = Comment.objects.get(body="Answer.")
    assert reply.parent_id == parent.pk
    thread_start = html.index('class="list-unstyled mt-2 mb-0 ms-3 ps-3 border-start crm-comment-thread"')
    assert html.index(f'id="comment-{parent.pk}"') < thread_start < html.index(f'id="comment-{reply.pk}"')


def test_reply_to_a_comment_of_another_item_is_404(client: Any, bob: Any, thing: str) -> None:
    other = comment_add(actor=bob, item_type=THING, item_id="8", body="elsewhere")
    client.force_login(bob)
    assert client.post(url("item_comment_add"), {"body": "x", "parent": other.pk}, **HX).status_code == 404


def test_only_the_author_edits(client: Any, alice: Any, bob: Any, thing: str) -> None:
    comment = comment_add(actor=bob, item_type=THING, item_id="7", body="Draft")
    client.force_login(alice)
    response = client.post(url("item_comment_edit", comment.pk), {"body": "Hijacked"}, **HX)
    assert response.status_code == 200
    assert "Only the author may change" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Draft" and comment.edited_at is None

    client.force_login(bob)
    html = client.post(url("item_comment_edit", comment.pk), {"body": "Final"}, **HX).content.decode()
    comment.refresh_from_db()
    assert comment.body == "Final" and comment.edited_at is not None
    assert 'data-testid="edited"' in html


def test_edit_and_delete_buttons_only_for_the_author(client: Any, alice: Any, bob: Any, thing: str) -> None:
    comment = comment_add(actor=alice, item_type=THING, item_id="7", body="Alice's note")
    client.force_login(bob)
    html = client.get(url("item_panel")).content.decode()
    assert url("item_comment_edit", comment.pk) not in html
    assert url("item_comment_delete", comment.pk) not in html


def test_delete_own_comment_but_not_others(client: Any, alice: Any, bob: Any, thing: str) -> None:
    mine = comment_add(actor=bob, item_type=THING, item_id="7", body="mine")
    hers = comment_add(actor=alice, item_type=THING, item_id="7", body="hers")
    client.force_login(bob)
    response = client.post(url("item_comment_delete", hers.pk), **HX)
    assert "Only the author may change" in response.content.decode()
    hers.refresh_from_db()
    assert hers.deleted_at is None
    client.post(url("item_comment_delete", mine.pk), **HX)
    mine.refresh_from_db()
    assert mine.deleted_at is not None
    assert client.post(url("item_comment_delete", mine.pk), **HX).status_code == 404  # already gone


def test_comment_routes_are_404_for_charlie(client: Any, bob: Any, charlie: Any, thing: str) -> None:
    comment = comment_add(actor=bob, item_type=THING, item_id="7", body="secret")
    client.force_login(charlie)
    assert client.post(url("item_comment_edit", comment.pk), {"body": "x"}).status_code == 404
    assert client.post(url("item_comment_delete", comment.pk)).status_code == 404


def test_mention_suggest(client: Any, alice: Any, bob: Any) -> None:
    client.force_login(bob)
    data = client.get(reverse("mention_suggest"), {"q": "al"}).json()
    assert {"token": "alice", "label": "Alice", "kind": "user"} in data["results"]
    html = client.get(reverse("mention_suggest"), {"q": "al"}, **HX).content.decode()
    assert 'data-token="alice"' in html


def test_mention_suggest_needs_login(client: Any) -> None:
    assert client.get(reverse("mention_suggest"), {"q": "a"}).status_code == 302


# ---- follow-ups --------------------------------------------------------------------------


def test_followup_add_in_the_users_calendar(client: Any, bob: Any, thing: str) -> None:
    bob.calendar = JALALI
    bob.save(update_fields=["calendar"])
    client.force_login(bob)
    due = later(calendar=JALALI)
    response = client.post(url("item_followup_add"), {"due_at": due, "note": "Call back", "remind": "on"}, **HX)
    assert response.status_code == 200
    followup = FollowUp.objects.get(user=bob)
    assert followup.note == "Call back" and followup.remind
    assert timezone.localtime(followup.due_at).strftime("%H:%M") == "10:30"
    assert "Call back" in response.content.decode()


def test_followup_in_the_past_with_reminder_is_refused(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    response = client.post(url("item_followup_add"), {"due_at": later(days=-2), "remind": "on"}, **HX)
    assert "Choose a time in the future" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_followups_are_personal(client: Any, alice: Any, bob: Any, thing: str) -> None:
    followup = followup_set(
        actor=bob, item_type=THING, item_id="7", due_at=timezone.now() + dt.timedelta(days=1), note="bob's own"
    )
    client.force_login(alice)
    assert "bob&#x27;s own" not in client.get(url("item_panel")).content.decode()
    for name in ("item_followup_done", "item_followup_delete"):
        assert client.post(url(name, followup.pk), **HX).status_code == 404
    assert client.post(url("item_followup_reschedule", followup.pk), {"due_at": later()}).status_code == 404
    followup.refresh_from_db()
    assert followup.done_at is None


def test_charlie_cannot_see_or_set_followups(client: Any, bob: Any, charlie: Any, thing: str) -> None:
    followup = followup_set(actor=bob, item_type=THING, item_id="7", due_at=timezone.now() + dt.timedelta(days=1))
    client.force_login(charlie)
    assert client.post(url("item_followup_add"), {"due_at": later(), "remind": "on"}).status_code == 404
    assert client.post(url("item_followup_done", followup.pk)).status_code == 404
    assert client.get(url("item_panel") + "?section=followups").status_code == 404
    assert FollowUp.objects.count() == 1


def test_followup_done_undo_reschedule_delete(client: Any, bob: Any, thing: str) -> None:
    followup = followup_set(actor=bob, item_type=THING, item_id="7", due_at=timezone.now() + dt.timedelta(days=1))
    client.force_login(bob)
    client.post(url("item_followup_done", followup.pk), {"done": "1"}, **HX)
    followup.refresh_from_db()
    assert followup.done_at is not None
    html = client.post(url("item_followup_done", followup.pk), {"done": "0"}, **HX).content.decode()
    followup.refresh_from_db()
    assert followup.done_at is None and "item-panel-testthing-7-followups" in html

    response = client.post(url("item_followup_reschedule", followup.pk), {"due_at": later(days=5), "note": "moved"})
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.note == "moved" and followup.due_at > timezone.now() + dt.timedelta(days=4)

    client.post(url("item_followup_delete", followup.pk), **HX)
    assert not FollowUp.objects.exists()


def test_reschedule_error_stays_in_its_form(client: Any, bob: Any, thing: str) -> None:
    followup = followup_set(actor=bob, item_type=THING, item_id="7", due_at=timezone.now() + dt.timedelta(days=1))
    client.force_login(bob)
    html = client.post(url("item_followup_reschedule", followup.pk), {"due_at": "not a date"}, **HX).content.decode()
    assert "Enter a valid date and time" in html
    assert '<details class="mt-1" open>' in html


# ---- files -------------------------------------------------------------------------------


def test_upload_preview_and_download(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    response = client.post(url("item_attachment_add"), {"file": upload("photo.png", PNG), "name": "Shop front"}, **HX)
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    html = response.content.decode()
    download = reverse("item_attachment_download", args=[attachment.public_id])
    assert f'<img src="{download}?v=1"' in html
    assert "Shop front" in html

    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


def test_pdf_is_previewed_in_a_frame(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    html = client.post(url("item_attachment_add"), {"file": upload("offer.pdf", PDF)}, **HX).content.decode()
    attachment = Attachment.objects.get()
    assert "<iframe src=" in html
    response = client.get(reverse("item_attachment_download", args=[attachment.public_id]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_other_files_download_as_attachments(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    client.post(url("item_attachment_add"), {"file": upload("notes.txt", b"<script>alert(1)</script>")}, **HX)
    attachment = Attachment.objects.get()
    response = client.get(reverse("item_attachment_download", args=[attachment.public_id]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_refused_upload_shows_why(client: Any, bob: Any, thing: str) -> None:
    client.force_login(bob)
    html = client.post(url("item_attachment_add"), {"file": upload("fake.png", b"not an image")}, **HX)
    assert "are not accepted" in html.content.decode()
    assert not Attachment.objects.exists()


def test_versions(client: Any, bob: Any, thing: str) -> None:
    attachment = attachment_add(actor=bob, item_type=THING, item_id="7", upload=upload("a.txt", b"one"))
    client.force_login(bob)
    html = client.post(
        url("item_attachment_version", attachment.public_id), {"file": upload("a.txt", b"two")}, **HX
    ).content.decode()
    assert 'data-testid="versions"' in html
    download = reverse("item_attachment_download", args=[attachment.public_id])
    assert b"".join(client.get(download).streaming_content) == b"two"
    assert b"".join(client.get(download + "?v=1").streaming_content) == b"one"
    assert client.get(download + "?v=9").status_code == 404
    assert client.get(download + "?v=x").status_code == 404


def test_charlie_cannot_download_or_upload(client: Any, bob: Any, charlie: Any, thing: str) -> None:
    attachment = attachment_add(actor=bob, item_type=THING, item_id="7", upload=upload("a.txt", b"secret"))
    client.force_login(charlie)
    download = reverse("item_attachment_download", args=[attachment.public_id])
    assert client.get(download).status_code == 404
    assert client.get(download + "?v=1").status_code == 404
    assert client.post(url("item_attachment_add"), {"file": upload("b.txt", b"x")}).status_code == 404
    version_url = url("item_attachment_version", attachment.public_id)
    assert client.post(version_url, {"file": upload("b.txt", b"x")}).status_code == 404
    assert client.post(url("item_attachment_delete", attachment.public_id)).status_code == 404
    assert Attachment.objects.count() == 1


def test_only_the_uploader_deletes(client: Any, alice: Any, bob: Any, thing: str) -> None:
    hers = attachment_add(actor=alice, item_type=THING, item_id="7", upload=upload("a.txt", b"a"))
    mine = attachment_add(actor=bob, item_type=THING, item_id="7", upload=upload("b.txt", b"b"))
    client.force_login(bob)
    html = client.post(url("item_attachment_delete", hers.public_id), **HX).content.decode()
    assert "Only the one who attached this file may delete it." in html
    client.post(url("item_attachment_delete", mine.public_id), **HX)
    hers.refresh_from_db()
    mine.refresh_from_db()
    assert hers.deleted_at is None and mine.deleted_at is not None
    assert client.get(reverse("item_attachment_download", args=[mine.public_id])).status_code == 404


def test_followup_set_in_the_form_reminds_at_its_time(client: Any, bob: Any, thing: str) -> None:
    """The time typed in the user's zone must still match the reminder job's key."""
    from crm.core.scheduling.services import due_job_run, due_jobs_claim

    client.force_login(bob)
    client.post(url("item_followup_add"), {"due_at": later(days=1), "note": "ring", "remind": "on"}, **HX)
    followup = FollowUp.objects.get()
    for job in due_jobs_claim(worker_id="test", now=followup.due_at + dt.timedelta(seconds=1)):
        due_job_run(job=job, worker_id="test")
    notification = Notification.objects.get(user=bob)
    assert notification.kind == "followup.due" and "Thing 7" in notification.title
    followup.refresh_from_db()
    assert followup.reminded_at is not None
