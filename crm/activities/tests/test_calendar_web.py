"""Calendar and appointment pages (AC-1, AC-2): the work calendar in Jalali and Gregorian,
the appointment form with free/busy and its conflicts, the appointment page and its
actions, the cartable, the feed page, calendars and rooms — and who is refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from crm.activities.models import Calendar, CalendarAccess, CalendarFeed, Meeting, MeetingAttendee, Room
from crm.activities.selectors import Occurrence
from crm.activities.services import calendar_personal, calendar_save, meeting_create, meeting_update, room_save
from crm.identities.services import identity_create
from crm.org.testing import fresh, make_position, perms

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 1, 15)  # a Tuesday; 26 Dey 1408


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def local_text(moment: dt.datetime) -> str:
    """What a Gregorian user types in the date-time input."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def room(alice) -> Room:
    return room_save(actor=alice, values={"name": "Board room", "capacity": 10})


@pytest.fixture
def managers(alice, bob) -> Calendar:
    """Alice's managers' calendar: bob may read it, charlie may not."""
    return calendar_save(
        actor=alice,
        values={"name": "Managers", "kind": Calendar.Kind.MANAGERS, "colour": "#6f42c1"},
        grants=[("user", bob.pk, CalendarAccess.Level.READ)],
    )


@pytest.fixture
def board_meeting(alice, managers, room) -> Meeting:
    return meeting_create(
        actor=alice,
        values={"calendar": managers, "subject": "Board meeting", "start": at(10), "end": at(11), "room": room},
    )


@pytest.fixture
def bob_sees_identities(bob, bob_position):
    bob_position.permissions.add(*perms("identities.view_identity", "identities.view_all_identity"))
    return fresh(bob)


def form_data(calendar: Calendar, **extra) -> dict:
    data = {
        "calendar": calendar.pk,
        "subject": "Planning",
        "start": local_text(at(10, 30)),
        "end": local_text(at(11, 30)),
        "repeat": "",
        "repeat_interval": "1",
        "remind_minutes": "",
    }
    data.update(extra)
    return data


def use_language(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


# --- the work calendar ------------------------------------------------------------------


class TestWorkCalendar:
    def test_month_in_jalali_with_persian_digits(self, client, alice, board_meeting):
        use_language(alice, "fa")
        client.force_login(alice)

        response = client.get(reverse("activities:calendar"), {"date": "2026-11-22"})

        html = response.content.decode()
        assert response.status_code == 200
        assert "آذر ۱۴۰۵" in html  # the title: Azar 1405
        cells = re.findall(r'data-date="([0-9-]+)"', html)
        assert cells[0] == "2026-11-21"  # Saturday 30 Aban: the week starts on Saturday
        assert cells[1] == "2026-11-22"  # 1 Azar
        assert len(cells) == 35 and cells[-1] == "2026-12-25"
        assert "۱ آذر" in html and "۱ دی" in html  # month boundaries are Jalali
        assert "شنبه" in html

    def test_month_in_gregorian_for_english(self, client, alice, board_meeting):
        use_language(alice, "en")
        client.force_login(alice)

        response = client.get(reverse("activities:calendar"), {"date": DAY.isoformat()})

        html = response.content.decode()
        assert "January 2030" in html
        cells = re.findall(r'data-date="([0-9-]+)"', html)
        assert cells[0] == "2029-12-31"  # Monday
        assert "Board meeting" in html
        assert reverse("activities:meeting_detail", args=[board_meeting.pk]) in html
        assert f"{reverse('activities:meeting_create')}?date=2030-01-15" in html

    def test_week_and_day_place_appointments_by_hour(self, client, alice, board_meeting):
        client.force_login(alice)

        week = client.get(reverse("activities:calendar"), {"view": "week", "date": DAY.isoformat()})
        day = client.get(reverse("activities:calendar"), {"view": "day", "date": DAY.isoformat()})

        for response in (week, day):
            html = response.content.decode()
            assert response.status_code == 200
            row = html.split('data-hour="10"', 1)[1].split('data-hour="11"', 1)[0]
            assert "Board meeting" in row and "10:00–11:00" in row
            assert "start=10:00" in html
        assert html.count('data-hour="') == 14  # 07:00 … 20:00

    def test_htmx_navigation_returns_only_the_calendar_body(self, client, alice):
        client.force_login(alice)

        response = client.get(
            reverse("activities:calendar"), {"view": "week", "date": DAY.isoformat()}, headers={"HX-Request": "true"}
        )

        html = response.content.decode()
        assert html.lstrip().startswith('<div id="calendar-body"')
        assert "<html" not in html

    def test_filters_by_calendar_room_person_and_place(self, client, alice, bob, managers, board_meeting, room):
        personal = calendar_personal(user=alice)
        alice = fresh(alice)  # the access cache on the object predates the personal calendar
        own = meeting_create(
            actor=alice,
            values={
                "calendar": personal,
                "subject": "Lunch with Bob",
                "start": at(13),
                "end": at(14),
                "place": "Cafe",
            },
            attendee_ids=[bob.pk],
        )
        client.force_login(alice)
        url = reverse("activities:calendar")

        def shown(**params) -> set[str]:
            html = client.get(url, {"date": DAY.isoformat(), **params}).content.decode()
            return {s for s in ("Board meeting", "Lunch with Bob") if s in html}

        assert shown() == {"Board meeting", "Lunch with Bob"}
        assert shown(calendars=managers.pk) == {"Board meeting"}
        assert shown(room=room.pk) == {"Board meeting"}
        assert shown(users=bob.pk) == {"Lunch with Bob"}
        assert shown(place="cafe") == {"Lunch with Bob"}
        assert own.pk

    def test_what_bob_and_charlie_see(self, client, bob, charlie, board_meeting):
        client.force_login(bob)
        assert "Board meeting" in client.get(reverse("activities:calendar"), {"date": DAY.isoformat()}).content.decode()

        client.force_login(charlie)
        response = client.get(reverse("activities:calendar"), {"date": DAY.isoformat()})
        assert response.status_code == 200
        assert "Board meeting" not in response.content.decode()

    def test_needs_sign_in(self, client):
        response = client.get(reverse("activities:calendar"))
        assert response.status_code == 302 and "login" in response["Location"]


# --- the appointment form ---------------------------------------------------------------


class TestCreate:
    def test_form_prefills_from_the_query(self, client, alice, bob_sees_identities, room):
        bob = bob_sees_identities
        identity = identity_create(actor=alice, kind="person", first_name="Sara", last_name="Karimi")
        client.force_login(bob)

        response = client.get(
            reverse("activities:meeting_create"),
            {"date": DAY.isoformat(), "start": "14:30", "identity": identity.pk, "room": room.pk},
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert 'value="2030-01-15 14:30"' in html
        assert 'value="2030-01-15 15:30"' in html
        assert f'<option value="{room.pk}" selected>' in html
        assert f'name="identities" value="{identity.pk}"' in html
        assert re.search(rf'name="invited_identities" value="{identity.pk}"[^>]*checked', html)
        personal = Calendar.objects.get(owner=bob, kind=Calendar.Kind.PERSONAL)
        assert f'<option value="{personal.pk}" selected>' in html
        assert 'hx-get="/work/calendar/freebusy/"' in html

    def test_jalali_user_gets_the_jalali_picker_values(self, client, alice):
        use_language(alice, "fa")
        client.force_login(alice)

        html = client.get(
            reverse("activities:meeting_create"), {"date": DAY.isoformat(), "start": "09:00"}
        ).content.decode()

        assert 'value="1408/10/26 09:00"' in html
        assert 'data-calendar="jalali"' in html

    def test_bob_books_in_his_calendar_with_people_and_identities(self, client, alice, bob_sees_identities, room):
        bob = bob_sees_identities
        identity = identity_create(actor=alice, kind="person", first_name="Sara")
        other = identity_create(actor=alice, kind="organisation", organisation_name="Acme")
        client.force_login(bob)
        personal = calendar_personal(user=bob)

        response = client.post(
            reverse("activities:meeting_create"),
            form_data(
                personal,
                room=room.pk,
                attendees=[alice.pk],
                identities=[identity.pk, other.pk],
                invited_identities=[identity.pk],
                remind_minutes="30",
            ),
        )

        meeting = Meeting.objects.get(subject="Planning")
        assert response.status_code == 302
        assert response["Location"] == reverse("activities:meeting_detail", args=[meeting.pk])
        assert (meeting.organiser, meeting.room, meeting.remind_minutes) == (bob, room, 30)
        assert meeting.start == at(10, 30)
        assert list(meeting.attendee_rows.values_list("user_id", flat=True)) == [alice.pk]
        rows = dict(meeting.identity_rows.values_list("identity_id", "invited"))
        assert rows == {identity.pk: True, other.pk: False}

    def test_all_day_covers_whole_days(self, client, bob):
        client.force_login(bob)

        client.post(
            reverse("activities:meeting_create"),
            form_data(calendar_personal(user=bob), all_day="on", start="2030-01-15 00:00", end="2030-01-16 00:00"),
        )

        meeting = Meeting.objects.get()
        assert (meeting.start, meeting.end) == (at(0), at(0, day=DAY + dt.timedelta(days=2)))

    def test_end_before_start_is_refused(self, client, bob):
        client.force_login(bob)

        response = client.post(
            reverse("activities:meeting_create"),
            form_data(calendar_personal(user=bob), start=local_text(at(12)), end=local_text(at(11))),
        )

        assert response.status_code == 200
        assert "The end must be after the start." in response.content.decode()
        assert not Meeting.objects.exists()

    def test_charlie_cannot_book_in_a_calendar_he_only_reads(self, client, charlie, managers):
        managers.public_to_staff = True
        managers.save(update_fields=["public_to_staff"])
        client.force_login(charlie)

        page = client.get(reverse("activities:meeting_create")).content.decode()
        response = client.post(reverse("activities:meeting_create"), form_data(managers))

        assert f'<option value="{managers.pk}"' not in page
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert not Meeting.objects.exists()

    def test_charlie_cannot_link_an_identity_he_cannot_see(self, client, alice, charlie):
        hidden = identity_create(actor=alice, kind="person", first_name="Secret")
        client.force_login(charlie)

        response = client.post(
            reverse("activities:meeting_create"), form_data(calendar_personal(user=charlie), identities=[hidden.pk])
        )

        assert response.status_code == 200
        assert "could not be found" in response.content.decode()
        assert not Meeting.objects.exists()

    def test_a_busy_room_is_a_form_error_and_nothing_is_saved(self, client, bob, board_meeting, room):
        client.force_login(bob)

        response = client.post(
            reverse("activities:meeting_create"), form_data(calendar_personal(user=bob), room=room.pk)
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="form-errors"' in html
        assert "The room “Board room” is booked at that time: Board meeting" in html
        assert Meeting.objects.count() == 1

    def test_busy_people_need_book_anyway(self, client, alice, bob, board_meeting):
        client.force_login(bob)
        data = form_data(calendar_personal(user=bob), attendees=[alice.pk])

        refused = client.post(reverse("activities:meeting_create"), data)
        booked = client.post(reverse("activities:meeting_create"), {**data, "allow_busy_people": "on"})

        assert refused.status_code == 200
        assert "Not free at that time: Alice" in refused.content.decode()
        assert "Book anyway when colleagues are busy" in refused.content.decode()
        assert booked.status_code == 302
        assert Meeting.objects.filter(subject="Planning").count() == 1


class TestEdit:
    def test_organiser_edits_and_hidden_identities_stay(self, client, alice, bob, managers):
        secret = identity_create(actor=alice, kind="person", first_name="Secret")
        meeting = meeting_create(
            actor=bob,
            values={"calendar": calendar_personal(user=bob), "subject": "Old", "start": at(9), "end": at(10)},
        )
        # linked by someone who may see it (bob himself could not link it)
        meeting_update(actor=alice, meeting=meeting, values={}, identity_ids=[secret.pk])
        client.force_login(bob)  # bob has no identity rights: the linked one is hidden from him

        page = client.get(reverse("activities:meeting_edit", args=[meeting.pk])).content.decode()
        response = client.post(
            reverse("activities:meeting_edit", args=[meeting.pk]),
            form_data(meeting.calendar, subject="New", status="planned"),
        )

        assert f'name="identities" value="{secret.pk}"' not in page
        assert response.status_code == 302
        meeting.refresh_from_db()
        assert meeting.subject == "New"
        assert list(meeting.identity_rows.values_list("identity_id", flat=True)) == [secret.pk]

    def test_a_reader_is_sent_back_and_charlie_gets_404(self, client, bob, charlie, board_meeting):
        client.force_login(bob)
        response = client.get(reverse("activities:meeting_edit", args=[board_meeting.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("activities:meeting_detail", args=[board_meeting.pk])

        client.force_login(charlie)
        assert client.get(reverse("activities:meeting_edit", args=[board_meeting.pk])).status_code == 404
        assert client.post(reverse("activities:meeting_edit", args=[board_meeting.pk]), {}).status_code == 404


# --- free/busy and the pickers ----------------------------------------------------------


class TestFreeBusy:
    url = "/work/calendar/freebusy/"

    def test_url_name(self):
        assert reverse("activities:freebusy") == self.url

    def test_busy_room_and_person_with_subject_for_readers(self, client, alice, bob, board_meeting, room):
        client.force_login(bob)

        response = client.get(
            self.url,
            {"start": local_text(at(10, 30)), "end": local_text(at(11, 30)), "room": room.pk, "attendees": alice.pk},
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="freebusy-room"' in html
        assert 'data-testid="freebusy-people"' in html
        assert "Board room" in html and "Alice" in html
        assert "Board meeting" in html  # bob may read the managers' calendar
        assert "10:00–11:00" in html

    def test_others_see_only_busy(self, client, alice, charlie, board_meeting, room):
        client.force_login(charlie)

        html = client.get(
            self.url, {"start": local_text(at(10)), "end": local_text(at(12)), "room": room.pk, "attendees": alice.pk}
        ).content.decode()

        assert 'data-testid="freebusy-room"' in html
        assert "Board meeting" not in html
        assert "busy" in html

    def test_free_when_nothing_overlaps_or_the_meeting_itself(self, client, alice, board_meeting, room):
        client.force_login(alice)
        free = {"start": local_text(at(11)), "end": local_text(at(12)), "room": room.pk}

        assert 'data-testid="freebusy-free"' in client.get(self.url, free).content.decode()
        itself = {
            "start": local_text(at(10)),
            "end": local_text(at(11)),
            "room": room.pk,
            "exclude": board_meeting.pk,
        }
        assert 'data-testid="freebusy-free"' in client.get(self.url, itself).content.decode()

    def test_incomplete_input_asks_for_times(self, client, alice):
        client.force_login(alice)
        assert "freebusy-incomplete" in client.get(self.url, {"start": "nonsense"}).content.decode()
        order = client.get(self.url, {"start": local_text(at(12)), "end": local_text(at(11))}).content.decode()
        assert "freebusy-order" in order

    def test_repeating_appointment_is_checked_on_later_dates(self, client, alice, board_meeting, room):
        client.force_login(alice)

        html = client.get(
            self.url,
            {
                "start": local_text(at(10, day=DAY - dt.timedelta(days=7))),
                "end": local_text(at(11, day=DAY - dt.timedelta(days=7))),
                "room": room.pk,
                "repeat": "WEEKLY",
                "repeat_interval": "1",
            },
        ).content.decode()

        assert 'data-testid="freebusy-room"' in html


class TestPickers:
    def test_identity_search_add_and_remove(self, client, alice, bob_sees_identities):
        bob = bob_sees_identities
        sara = identity_create(actor=alice, kind="person", first_name="Sara", last_name="Rahimi")
        saeed = identity_create(actor=alice, kind="person", first_name="Saeed", last_name="Rahimi")
        client.force_login(bob)
        url = reverse("activities:meeting_identity_picker")

        search = client.get(url, {"identity_q": "Rahimi", "identities": [sara.pk]}).content.decode()
        added = client.get(url, {"identity_q": "Rahimi", "identities": [sara.pk], "add": saeed.pk}).content.decode()
        removed = client.get(url, {"identities": [sara.pk, saeed.pk], "remove": sara.pk}).content.decode()

        assert f'name="identities" value="{sara.pk}"' in search
        assert f'data-add-identity="{saeed.pk}"' in search and f'data-add-identity="{sara.pk}"' not in search
        assert 'hx-swap-oob="true"' in search
        assert f'name="identities" value="{saeed.pk}"' in added
        assert f'name="identities" value="{sara.pk}"' not in removed

    def test_charlie_finds_nothing(self, client, alice, charlie):
        identity_create(actor=alice, kind="person", first_name="Sara", last_name="Rahimi")
        client.force_login(charlie)

        html = client.get(reverse("activities:meeting_identity_picker"), {"identity_q": "Rahimi"}).content.decode()

        assert "Rahimi" not in html.replace('value="Rahimi"', "")

    def test_attendee_picker_adds_and_removes(self, client, alice, bob, charlie):
        client.force_login(alice)
        url = reverse("activities:meeting_attendee_picker")

        added = client.get(url, {"attendees": [bob.pk], "add_attendee": charlie.pk})
        removed = client.get(url, {"attendees": [bob.pk, charlie.pk], "remove": bob.pk}).content.decode()

        html = added.content.decode()
        assert f'name="attendees" value="{bob.pk}"' in html and f'name="attendees" value="{charlie.pk}"' in html
        assert f'<option value="{alice.pk}">' not in html  # the organiser is always in
        assert added["HX-Trigger-After-Settle"] == "attendees-changed"
        assert f'name="attendees" value="{bob.pk}"' not in removed


# --- the appointment page and its actions ----------------------------------------------


class TestDetail:
    def test_alice_sees_everything(self, client, alice, bob, managers, room):
        identity = identity_create(actor=alice, kind="person", first_name="Sara")
        meeting = meeting_create(
            actor=alice,
            values={
                "calendar": managers,
                "subject": "Quarterly plan",
                "description": "Numbers first",
                "start": at(10),
                "end": at(11),
                "room": room,
                "remind_minutes": 15,
                "repeat": "WEEKLY",
                "repeat_interval": 2,
            },
            attendee_ids=[bob.pk],
            identity_ids=[identity.pk],
            invited_identity_ids=[identity.pk],
        )
        client.force_login(alice)

        html = client.get(reverse("activities:meeting_detail", args=[meeting.pk])).content.decode()

        for text in ("Quarterly plan", "Numbers first", "Board room", "Managers", "15 minutes before", "every 2 weeks"):
            assert text in html
        assert reverse("identity_detail", args=[identity.pk]) in html
        assert f'data-attendee="{bob.pk}"' in html and "invited" in html
        assert 'data-testid="edit"' in html and 'data-testid="delete"' in html
        assert 'data-testid="respond"' not in html  # alice organises, she does not answer
        assert "crm-item-panel" in html or "item-panel" in html

    def test_bob_reads_and_answers_charlie_gets_404(self, client, alice, bob, charlie, managers):
        meeting = meeting_create(
            actor=alice,
            values={"calendar": managers, "subject": "Review", "start": at(15), "end": at(16)},
            attendee_ids=[bob.pk],
        )
        client.force_login(bob)

        page = client.get(reverse("activities:meeting_detail", args=[meeting.pk])).content.decode()
        client.post(reverse("activities:meeting_respond", args=[meeting.pk]), {"response": "accepted"})

        assert 'data-testid="respond"' in page and 'data-testid="edit"' not in page
        row = MeetingAttendee.objects.get(meeting=meeting, user=bob)
        assert row.response == MeetingAttendee.Response.ACCEPTED

        client.force_login(charlie)
        assert client.get(reverse("activities:meeting_detail", args=[meeting.pk])).status_code == 404
        assert (
            client.post(reverse("activities:meeting_respond", args=[meeting.pk]), {"response": "declined"}).status_code
            == 404
        )
        assert MeetingAttendee.objects.get(meeting=meeting, user=bob).response == MeetingAttendee.Response.ACCEPTED

    def test_only_writers_cancel_and_delete(self, client, alice, bob, charlie, board_meeting):
        client.force_login(bob)  # reads the calendar, may not change it
        client.post(reverse("activities:meeting_cancel", args=[board_meeting.pk]))
        client.post(reverse("activities:meeting_delete", args=[board_meeting.pk]))
        board_meeting.refresh_from_db()
        assert board_meeting.status == Meeting.Status.PLANNED and not board_meeting.is_deleted

        client.force_login(charlie)
        assert client.post(reverse("activities:meeting_cancel", args=[board_meeting.pk])).status_code == 404
        assert client.post(reverse("activities:meeting_delete", args=[board_meeting.pk])).status_code == 404

        client.force_login(alice)
        assert client.get(reverse("activities:meeting_cancel", args=[board_meeting.pk])).status_code == 405
        client.post(reverse("activities:meeting_cancel", args=[board_meeting.pk]))
        board_meeting.refresh_from_db()
        assert board_meeting.status == Meeting.Status.CANCELLED
        response = client.post(reverse("activities:meeting_delete", args=[board_meeting.pk]))
        assert response["Location"] == reverse("activities:calendar")
        assert not Meeting.objects.filter(pk=board_meeting.pk).exists()


class TestCartable:
    def test_boxes(self, client, alice, bob, managers):
        soon = timezone.now() + dt.timedelta(days=2)
        meeting = meeting_create(
            actor=alice,
            values={
                "calendar": managers,
                "subject": "Invite for Bob",
                "start": soon,
                "end": soon + dt.timedelta(hours=1),
            },
            attendee_ids=[bob.pk],
        )
        client.force_login(bob)
        url = reverse("activities:meeting_cartable")

        upcoming = client.get(url).content.decode()
        invitations = client.get(url, {"box": "invitations"}).content.decode()
        organised = client.get(url, {"box": "organised"}).content.decode()
        past = client.get(url, {"box": "past"}).content.decode()

        assert "Invite for Bob" in upcoming and "Invite for Bob" in invitations
        assert "Invite for Bob" not in organised and "Invite for Bob" not in past
        assert f'data-meeting="{meeting.pk}"' in invitations
        client.force_login(alice)
        assert "Invite for Bob" in client.get(url, {"box": "organised"}).content.decode()

    def test_charlie_sees_an_empty_cartable(self, client, charlie, board_meeting):
        client.force_login(charlie)
        html = client.get(reverse("activities:meeting_cartable")).content.decode()
        assert "Board meeting" not in html and 'data-testid="cartable-empty"' in html


# --- feed page, calendars and rooms ----------------------------------------------------


class TestFeedPage:
    def test_shows_and_regenerates_the_address(self, client, bob):
        client.force_login(bob)

        page = client.get(reverse("activities:calendar_feed")).content.decode()
        token = CalendarFeed.objects.get(user=bob).token
        client.post(reverse("activities:calendar_feed"))

        assert reverse("activities:ical_feed", args=[token]) in page
        assert "webcal://" in page
        assert CalendarFeed.objects.get(user=bob).token != token


class TestCalendarAdmin:
    def test_alice_manages_calendars_and_rooms(self, client, alice, bob, bob_position, managers, room):
        client.force_login(alice)

        listing = client.get(reverse("activities:calendar_admin"))
        created = client.post(
            reverse("activities:calendar_create"),
            {
                "name": "Sales team",
                "kind": "staff",
                "colour": "#198754",
                "active": "on",
                "read_positions": [bob_position.pk],
                "write_users": [bob.pk],
            },
        )
        edited = client.post(
            reverse("activities:room_edit", args=[room.pk]), {"name": "Big room", "capacity": "12", "active": "on"}
        )
        new_room = client.post(reverse("activities:room_create"), {"name": "Small room", "active": "on"})

        assert listing.status_code == 200 and "Managers" in listing.content.decode()
        assert created.status_code == edited.status_code == new_room.status_code == 302
        sales = Calendar.objects.get(name="Sales team")
        grants = {(a.user_id, a.position_id, a.level) for a in sales.access.all()}
        assert grants == {(bob.pk, None, "write"), (None, bob_position.pk, "read")}
        room.refresh_from_db()
        assert (room.name, room.capacity) == ("Big room", 12)
        assert Room.objects.filter(name="Small room").exists()

        page = client.get(reverse("activities:calendar_edit", args=[sales.pk])).content.decode()
        assert re.search(rf'<option value="{bob.pk}" selected>', page)

    def test_bob_and_charlie_are_refused(self, client, bob, charlie, managers, room):
        for user in (bob, charlie):
            client.force_login(user)
            assert client.get(reverse("activities:calendar_admin")).status_code == 403
            assert client.get(reverse("activities:calendar_create")).status_code == 403
            assert client.post(reverse("activities:room_create"), {"name": "X"}).status_code == 403
            assert client.get(reverse("activities:room_edit", args=[room.pk])).status_code == 403
        client.force_login(bob)  # bob reads the managers' calendar but does not own it
        assert client.get(reverse("activities:calendar_edit", args=[managers.pk])).status_code == 403
        client.force_login(charlie)  # charlie does not even see it
        assert client.get(reverse("activities:calendar_edit", args=[managers.pk])).status_code == 404

    def test_an_owner_shares_their_own_calendar(self, client, bob, charlie):
        personal = calendar_personal(user=bob)
        client.force_login(bob)

        page = client.get(reverse("activities:calendar_edit", args=[personal.pk])).content.decode()
        response = client.post(
            reverse("activities:calendar_edit", args=[personal.pk]),
            {"name": "Bob", "colour": "#198754", "read_users": [charlie.pk]},
        )

        assert 'name="kind"' not in page and 'name="owner"' not in page
        assert response.status_code == 302
        assert CalendarAccess.objects.filter(calendar=personal, user=charlie, level="read").exists()

    def test_a_manager_position_may_manage(self, client, charlie):
        position = make_position("Office manager", ["activities.manage_calendars"])
        from crm.org.testing import appoint

        appoint(charlie, position)
        client.force_login(charlie)
        assert client.get(reverse("activities:calendar_admin")).status_code == 200


# --- the dashboard widget ----------------------------------------------------------------


def test_today_widget_lists_occurrences_and_has_an_empty_state(alice, managers, room):
    meeting = meeting_create(
        actor=alice,
        values={"calendar": managers, "subject": "Stand-up", "start": at(9), "end": at(9, 30), "room": room},
    )

    filled = render_to_string(
        "activities/widgets/today_meetings.html", {"w": {"occurrences": [Occurrence(meeting, at(9), at(9, 30))]}}
    )
    empty = render_to_string("activities/widgets/today_meetings.html", {"w": {"occurrences": []}})

    assert "Stand-up" in filled and "09:00–09:30" in filled and "Board room" in filled
    assert reverse("activities:meeting_detail", args=[meeting.pk]) in filled
    assert "No appointments today." in empty
