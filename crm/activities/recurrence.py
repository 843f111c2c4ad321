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
    window_start = timezone.localtime(since - length).replace(tzinfo=None)
    interval = max(1, meeting.repeat_interval)
    # skip ahead: a daily or weekly repeat started years ago is not walked from its first
    # occurrence; start the rule at the last step on or before the window (same times)
    skipped = 0
    step_days = {"DAILY": interval, "WEEKLY": 7 * interval}.get(meeting.repeat)
    if step_days and window_start > local_start:
        skipped = max(0, (window_start - local_start).days // step_days - 1)
    count = None if end_rule else MAX_OCCURRENCES - skipped
    if count is not None and count <= 0:
        return
    rule = rrule(
        _FREQ[meeting.repeat],
        dtstart=local_start + dt.timedelta(days=skipped * step_days) if skipped and step_days else local_start,
        interval=interval,
        until=end_rule,
        count=count,
    )
    window_end = timezone.localtime(until).replace(tzinfo=None)
    for local in rule.between(window_start, window_end, inc=True):
        start = timezone.make_aware(local, tz)
        end = start + length
        if start < until and end > since:
            yield start, end
