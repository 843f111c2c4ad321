"""The per-user iCalendar feed (AC-2): the appointments a user organises or attends, as
one VEVENT per occurrence, for calendar programs subscribed to the secret address."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.utils import timezone
from icalendar import Calendar, Event

from crm.activities.models import Meeting
from crm.activities.selectors import Occurrence

PRODID = "-//Open CRM//Work calendar//EN"
_STATUS: dict[str, str] = {
    Meeting.Status.PLANNED: "CONFIRMED",
    Meeting.Status.DONE: "CONFIRMED",
    Meeting.Status.CANCELLED: "CANCELLED",
}


def _uid(occurrence: Occurrence, domain: str) -> str:
    meeting = occurrence.meeting
    if not meeting.repeat:
        return f"meeting-{meeting.pk}@{domain}"
    stamp = occurrence.start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"meeting-{meeting.pk}-{stamp}@{domain}"


def _event(occurrence: Occurrence, *, domain: str, url: Callable[[Meeting], str]) -> Event:
    meeting = occurrence.meeting
    event = Event()
    event.add("uid", _uid(occurrence, domain))
    event.add("dtstamp", (meeting.updated_at or timezone.now()).astimezone(dt.UTC))
    if meeting.all_day:
        first = timezone.localtime(occurrence.start).date()
        last = timezone.localtime(occurrence.end - dt.timedelta(microseconds=1)).date()
        event.add("dtstart", first)
        event.add("dtend", last + dt.timedelta(days=1))
    else:
        event.add("dtstart", occurrence.start.astimezone(dt.UTC))
        event.add("dtend", occurrence.end.astimezone(dt.UTC))
    event.add("summary", meeting.subject)
    where = ", ".join(x for x in (str(meeting.room) if meeting.room_id else "", meeting.place) if x)
    if where:
        event.add("location", where)
    if meeting.description:
        event.add("description", meeting.description)
    event.add("status", _STATUS.get(meeting.status, "CONFIRMED"))
    event.add("url", url(meeting))
    return event


def feed_bytes(occurrences: Iterable[Occurrence], *, name: str, domain: str, url: Callable[[Meeting], str]) -> bytes:
    """The feed as text/calendar bytes; `url` gives the absolute address of an appointment."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone.get_current_timezone_name())
    calendar.add("refresh-interval", dt.timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    for occurrence in occurrences:
        calendar.add_component(_event(occurrence, domain=domain, url=url))
    return calendar.to_ical()
