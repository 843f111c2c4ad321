"""Appointments (AC-1, AC-2): calendars and their access, free/busy of people and rooms,
repeating appointments, invitations and reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crm.activities.errors import ActivityError, ActivityErrorCode
from crm.activities.models import Calendar, CalendarAccess, Meeting, MeetingAttendee, Room
from crm.activities.selectors import busy, calendar_list_for_user, meeting_get_for_user, meetings_today, work_calendar
from crm.activities.services import (
    calendar_personal,
    calendar_save,
    meeting_cancel,
    meeting_create,
    meeting_delete,
    meeting_respond,
    meeting_update,
)
from crm.core.notifications.models import Notification
from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_jobs_run_batch
from crm.core.timeline.models import HistoryItem, TimelineEntry
from crm.identities.services import identity_create
from crm.org.testing import fresh, make_user

pytestmark = pytest.mark.django_db


def at(days: int = 1, hour: int = 10, minute: int = 0) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def room(db) -> Room:
    return Room.objects.create(name="Meeting room 1", capacity=8)


@pytest.fixture
def staff_calendar(alice, bob) -> Calendar:
    return calendar_save(
        actor=alice,
        values={"name": "Staff", "kind": Calendar.Kind.STAFF},
        grants=[("user", bob.pk, CalendarAccess.Level.WRITE)],
    )


def book(actor, calendar, start, end, **extra) -> Meeting:
    values = {"calendar": calendar, "subject": extra.pop("subject", "Weekly sales"), "start": start, "end": end}
    values.update(extra.pop("values", {}))
    return meeting_create(actor=actor, values=values, **extra)


def test_a_room_cannot_be_booked_twice(bob, staff_calendar, room):
    book(bob, staff_calendar, at(1, 10), at(1, 11), values={"room": room})
    with pytest.raises(ActivityError) as taken:
        book(bob, staff_calendar, at(1, 10, 30), at(1, 11, 30), values={"room": room}, subject="Other")
    assert taken.value.code == ActivityErrorCode.ROOM_BUSY
    assert "Meeting room 1" in taken.value.message
    assert Meeting.objects.count() == 1
    # back to back is fine
    book(bob, staff_calendar, at(1, 11), at(1, 12), values={"room": room}, subject="Next")


def test_a_busy_person_needs_book_anyway(alice, bob, staff_calendar):
    book(alice, staff_calendar, at(1, 10), at(1, 11), attendee_ids=[bob.pk])
    with pytest.raises(ActivityError) as conflict:
        book(alice, staff_calendar, at(1, 10, 30), at(1, 12), attendee_ids=[bob.pk], subject="Clash")
    assert conflict.value.code == ActivityErrorCode.BUSY
    assert "bob" in conflict.value.message.lower()
    book(
        alice, staff_calendar, at(1, 10, 30), at(1, 12), attendee_ids=[bob.pk], subject="Clash", allow_busy_people=True
    )
    assert Meeting.objects.count() == 2


def test_free_busy_lists_people_and_rooms(alice, bob, staff_calendar, room):
    meeting = book(alice, staff_calendar, at(1, 10), at(1, 11), attendee_ids=[bob.pk], values={"room": room})
    conflicts = busy(start=at(1, 10, 30), end=at(1, 10, 45), user_ids=[bob.pk], room_id=room.pk)
    assert {(c.kind, c.meeting.pk) for c in conflicts} == {("user", meeting.pk), ("room", meeting.pk)}
    assert busy(start=at(1, 11), end=at(1, 12), user_ids=[bob.pk], room_id=room.pk) == []
    # declined attendees are free; cancelled meetings hold nobody
    meeting_respond(actor=bob, meeting=meeting, response=MeetingAttendee.Response.DECLINED)
    assert [c.kind for c in busy(start=at(1, 10), end=at(1, 11), user_ids=[bob.pk])] == []
    meeting_cancel(actor=alice, meeting=meeting)
    assert busy(start=at(1, 10), end=at(1, 11), room_id=room.pk) == []


def test_repeating_appointments_occupy_every_occurrence(alice, bob, staff_calendar, room):
    weekly = book(
        alice,
        staff_calendar,
        at(1, 9),
        at(1, 10),
        values={
            "room": room,
            "repeat": Meeting.Repeat.WEEKLY,
            "repeat_until": timezone.localdate() + dt.timedelta(days=30),
        },
        subject="Stand-up",
    )
    with pytest.raises(ActivityError) as taken:
        book(bob, staff_calendar, at(15, 9, 30), at(15, 10, 30), values={"room": room})
    assert taken.value.code == ActivityErrorCode.ROOM_BUSY
    seen = work_calendar(user=alice, since=at(0, 0), until=at(40, 0))
    starts = [o.start for o in seen if o.meeting.pk == weekly.pk]
    assert starts == [at(1 + 7 * week, 9) for week in range(5) if 1 + 7 * week <= 30]


def test_calendars_are_read_and_written_by_those_granted(alice, bob, charlie, staff_calendar):
    managers = calendar_save(actor=alice, values={"name": "Managers", "kind": Calendar.Kind.MANAGERS})
    calendar_save(actor=alice, calendar=managers, values={}, grants=[("user", bob.pk, CalendarAccess.Level.READ)])
    bob = fresh(bob)
    assert set(calendar_list_for_user(user=bob)) == {staff_calendar, managers}
    assert set(calendar_list_for_user(user=bob, writable=True)) == {staff_calendar}
    with pytest.raises(ActivityError) as read_only:
        book(bob, managers, at(1, 10), at(1, 11))
    assert read_only.value.code == ActivityErrorCode.CALENDAR_READ_ONLY

    secret = book(alice, managers, at(2, 10), at(2, 11), subject="Salaries")
    assert meeting_get_for_user(user=bob, pk=secret.pk) is not None
    assert meeting_get_for_user(user=charlie, pk=secret.pk) is None
    with pytest.raises(ActivityError):
        meeting_update(actor=bob, meeting=secret, values={"subject": "changed"})
    with pytest.raises(ActivityError):
        meeting_delete(actor=charlie, meeting=secret)


def test_attendees_see_the_appointment_even_without_the_calendar(alice, charlie):
    private = calendar_personal(user=alice)
    meeting = book(alice, private, at(1, 10), at(1, 11), attendee_ids=[charlie.pk])
    assert meeting_get_for_user(user=charlie, pk=meeting.pk) is not None
    assert [o.meeting for o in meetings_today(user=charlie)] == []


def test_invitations_reminders_and_histories(alice, bob, staff_calendar):
    customer = identity_create(actor=alice, kind="person", first_name="Reza", last_name="Karimi")
    start = timezone.now() + dt.timedelta(minutes=30)
    meeting = book(
        alice,
        staff_calendar,
        start,
        start + dt.timedelta(hours=1),
        attendee_ids=[bob.pk],
        invited_identity_ids=[customer.pk],
        values={"remind_minutes": 15},
    )
    invitation = Notification.objects.get(user=bob, kind="meeting.invited")
    assert "Weekly sales" in invitation.title
    assert TimelineEntry.objects.filter(identity_id=customer.pk, item_type="activities.meeting").exists()
    assert HistoryItem.objects.filter(item_type="activities.meeting", item_id=str(meeting.pk)).exists()
    job = DueJob.objects.get(kind="meeting.remind")
    assert job.due_at == start - dt.timedelta(minutes=15)

    DueJob.objects.filter(pk=job.pk).update(due_at=timezone.now() - dt.timedelta(seconds=1))
    due_jobs_run_batch(worker_id="t")
    assert set(Notification.objects.filter(kind="meeting.reminder").values_list("user__username", flat=True)) == {
        "alice",
        "bob",
    }

    # moving it re-plans the reminder and tells the attendee
    meeting_update(
        actor=alice,
        meeting=meeting,
        values={"start": start + dt.timedelta(hours=2), "end": start + dt.timedelta(hours=3)},
    )
    assert Notification.objects.filter(user=bob, kind="meeting.changed").exists()
    assert DueJob.objects.filter(kind="meeting.remind", status=DueJob.Status.PENDING).count() == 1
    meeting_delete(actor=alice, meeting=meeting)
    assert not HistoryItem.objects.filter(item_type="activities.meeting", hidden=False).exists()
    assert not DueJob.objects.filter(kind="meeting.remind", status=DueJob.Status.PENDING).exists()


def test_the_end_must_follow_the_start(alice, staff_calendar):
    with pytest.raises(ActivityError) as wrong:
        book(alice, staff_calendar, at(1, 11), at(1, 10))
    assert wrong.value.code == ActivityErrorCode.ENDS_BEFORE_START


def test_only_invited_users_respond(alice, bob, charlie, staff_calendar):
    meeting = book(alice, staff_calendar, at(1, 10), at(1, 11), attendee_ids=[bob.pk])
    meeting_respond(actor=bob, meeting=meeting, response="accepted")
    with pytest.raises(ActivityError):
        meeting_respond(actor=charlie, meeting=meeting, response="accepted")
    other = make_user("dora")
    with pytest.raises(ActivityError):
        meeting_respond(actor=other, meeting=meeting, response="maybe-not")


def test_a_repeating_appointment_shows_its_next_occurrence_in_the_cartable(alice, staff_calendar):
    from crm.activities.selectors import meeting_cartable, with_next_occurrence

    daily = book(alice, staff_calendar, at(-3, 9), at(-3, 10), values={"repeat": Meeting.Repeat.DAILY})
    [row] = with_next_occurrence(list(meeting_cartable(user=alice, box="upcoming")))
    assert row.pk == daily.pk
    now = timezone.now()
    assert now <= row.shown_start <= now + dt.timedelta(days=1)
    assert timezone.localtime(row.shown_start).hour == 9


def test_an_appointment_lasts_at_most_the_maximum_length(alice, staff_calendar):
    with pytest.raises(ActivityError) as wrong:
        book(alice, staff_calendar, at(1, 10), at(33, 10))
    assert wrong.value.code == ActivityErrorCode.TOO_LONG
    long_one = book(alice, staff_calendar, at(1, 10), at(31, 10), subject="Exhibition")
    # seen in a window at its very end, though it started a month before
    window = (at(30, 0), at(31, 0))
    assert long_one.pk in {o.meeting.pk for o in work_calendar(user=alice, since=window[0], until=window[1])}


def test_repeats_started_long_ago_keep_their_times_and_steps():
    """Skipping ahead to the window gives the same occurrences as walking from the start."""
    from crm.activities.recurrence import occurrences

    first = timezone.make_aware(dt.datetime(2019, 3, 4, 10, 0))  # a Monday, years before the window
    since = timezone.make_aware(dt.datetime(2026, 3, 1))
    until = since + dt.timedelta(days=31)
    for repeat, interval in (("DAILY", 1), ("DAILY", 3), ("WEEKLY", 1), ("WEEKLY", 2), ("MONTHLY", 1)):
        meeting = Meeting(start=first, end=first + dt.timedelta(hours=1), repeat=repeat, repeat_interval=interval)
        meeting.repeat_until = dt.date(2030, 1, 1)
        got = list(occurrences(meeting, since, until))
        assert got, repeat
        for start, end in got:
            local = timezone.localtime(start)
            assert (local.hour, local.minute) == (10, 0) and end - start == dt.timedelta(hours=1)
            assert since <= end and start < until
            if repeat == "DAILY":
                assert (local.date() - first.date()).days % interval == 0
            if repeat == "WEEKLY":
                assert local.weekday() == 0 and (local.date() - first.date()).days % (7 * interval) == 0
        step = {"DAILY": interval, "WEEKLY": 7 * interval}.get(repeat)
        if step:
            assert len(got) in (31 // step, 31 // step + 1)
