"""Occurrences of repeating appointments, expanded for the window being looked at."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule
from django.utils import timezone

from crm.activities.models import Meeting

_FREQ = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
MAX_OCCURRENCES = 1000


def occurrences(meeting: Meeting, since: dt.datetime, until: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """(start, end) of each occurrence overlapping [since, until)."""
    length = meeting.end - meeting.start
    if not meeting.repeat:
        if meeting.start < until and meeting.end > since:
            yield meeting.start, meeting.end
        return
    # repeat in local time, so "every day at 10:00" stays 10:00 across clock changes
    local_start = timezone.localtime(meeting.start).replace(tzinfo=None)
    tz = timezone.get_current_timezone()
    end_rule = None
    if meeting.repeat_until:
        end_rule = dt.datetime.combine(meeting.repeat_until, dt.time(23, 59, 59))
    rule = rrule(
        _FREQ[meeting.repeat],
        dtstart=local_start,
        interval=max(1, meeting.repeat_interval),
        until=end_rule,
        count=None if end_rule else MAX_OCCURRENCES,
    )
    window_start = timezone.localtime(since - length).replace(tzinfo=None)
    window_end = timezone.localtime(until).replace(tzinfo=None)
    for local in rule.between(window_start, window_end, inc=True):
        start = timezone.make_aware(local, tz)
        end = start + length
        if start < until and end > since:
            yield start, end
