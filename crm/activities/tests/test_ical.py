"""The per-user iCalendar feed (AC-2): a secret address without sign-in, the user's own
appointments as events, nothing for an unknown or replaced token."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar as ICalendar

from crm.activities.models import Calendar, Meeting
from crm.activities.services import calendar_feed_token, calendar_personal, meeting_create

pytestmark = pytest.mark.django_db


def at(days: int, hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def events(response) -> list:
    return [c for c in ICalendar.from_ical(response.content).walk() if c.name == "VEVENT"]


def test_feed_lists_the_users_appointments(client, alice, bob):
    calendar = calendar_personal(user=alice)
    meeting = meeting_create(
        actor=alice,
        values={
            "calendar": calendar,
            "subject": "Budget review",
            "start": at(2, 10),
            "end": at(2, 11),
            "place": "Head office",
            "description": "Bring the numbers",
        },
        attendee_ids=[bob.pk],
    )
    meeting_create(
        actor=bob,
        values={"calendar": calendar_personal(user=bob), "subject": "Bob's own", "start": at(3, 9), "end": at(3, 10)},
    )
    token = calendar_feed_token(user=alice)

    response = client.get(reverse("activities:ical_feed", args=[token]))  # no sign-in

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response)
    assert [str(e["SUMMARY"]) for e in found] == ["Budget review"]
    event = found[0]
    assert event.decoded("DTSTART") == meeting.start
    assert event.decoded("DTEND") == meeting.end
    assert str(event["LOCATION"]) == "Head office"
    assert str(event["DESCRIPTION"]) == "Bring the numbers"
    assert str(event["UID"]).startswith(f"meeting-{meeting.pk}@")
    assert str(event["URL"]).endswith(reverse("activities:meeting_detail", args=[meeting.pk]))

    bobs = events(client.get(reverse("activities:ical_feed", args=[calendar_feed_token(user=bob)])))
    assert sorted(str(e["SUMMARY"]) for e in bobs) == ["Bob's own", "Budget review"]  # invited to alice's


def test_repeating_and_all_day_appointments(client, alice):
    calendar = calendar_personal(user=alice)
    meeting_create(
        actor=alice,
        values={
            "calendar": calendar,
            "subject": "Stand-up",
            "start": at(1, 9),
            "end": at(1, 10),
            "repeat": Meeting.Repeat.DAILY,
            "repeat_until": timezone.localdate() + dt.timedelta(days=3),
        },
    )
    start = at(5, 0)
    meeting_create(
        actor=alice,
        values={
            "calendar": calendar,
            "subject": "Holiday",
            "start": start,
            "end": start + dt.timedelta(days=1),
            "all_day": True,
        },
    )

    found = events(client.get(reverse("activities:ical_feed", args=[calendar_feed_token(user=alice)])))

    standups = [e for e in found if str(e["SUMMARY"]) == "Stand-up"]
    assert len(standups) == 3
    assert len({str(e["UID"]) for e in standups}) == 3
    holiday = next(e for e in found if str(e["SUMMARY"]) == "Holiday")
    assert holiday.decoded("DTSTART") == timezone.localdate() + dt.timedelta(days=5)
    assert holiday.decoded("DTEND") == timezone.localdate() + dt.timedelta(days=6)


def test_unknown_or_replaced_token_is_not_found(client, alice):
    old = calendar_feed_token(user=alice)
    assert client.get(reverse("activities:ical_feed", args=["not-a-token"])).status_code == 404

    new = calendar_feed_token(user=alice, regenerate=True)

    assert new != old
    assert client.get(reverse("activities:ical_feed", args=[old])).status_code == 404
    assert client.get(reverse("activities:ical_feed", args=[new])).status_code == 200


def test_inactive_users_feed_is_closed(client, alice, bob):
    token = calendar_feed_token(user=bob)
    bob.is_active = False
    bob.save(update_fields=["is_active"])

    assert client.get(reverse("activities:ical_feed", args=[token])).status_code == 404


def test_cancelled_appointments_leave_the_feed(client, alice):
    from crm.activities.services import meeting_cancel

    meeting = meeting_create(
        actor=alice,
        values={
            "calendar": Calendar.objects.create(name="Shared", owner=alice),
            "subject": "Gone",
            "start": at(1, 9),
            "end": at(1, 10),
        },
    )
    meeting_cancel(actor=alice, meeting=meeting)

    found = events(client.get(reverse("activities:ical_feed", args=[calendar_feed_token(user=alice)])))

    assert found == []
