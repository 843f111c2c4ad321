"""Month, week and day grids of the work calendar, in the Gregorian or the Jalali calendar.

Plain Python (datetime and jdatetime only, no Django), so the month boundaries a Jalali
user sees (1 Azar … 30 Azar) are exact and testable without a database. Every cell
carries its Gregorian date (what the database stores) and its year/month/day in the
calendar being shown. Placing appointments works on local, naive datetimes: the caller
converts from the database's aware ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jdatetime

JALALI = "jalali"
GREGORIAN = "gregorian"

SATURDAY = 5  # Python weekday numbers: Monday is 0
MONDAY = 0
DAY_START_HOUR = 7
DAY_END_HOUR = 21


def first_weekday(calendar: str, language: str = "") -> int:
    """The first column of a week: Saturday for Jalali or Persian, Monday otherwise."""
    return SATURDAY if calendar == JALALI or language[:2] == "fa" else MONDAY


def weekend_days(calendar: str, language: str = "") -> frozenset[int]:
    """Friday in Iran; Saturday and Sunday elsewhere."""
    return frozenset({4}) if calendar == JALALI or language[:2] == "fa" else frozenset({5, 6})


def parts(day: dt.date, calendar: str) -> tuple[int, int, int]:
    """(year, month, day) of a Gregorian date in the given calendar."""
    if calendar == JALALI:
        j = jdatetime.date.fromgregorian(date=day)
        return j.year, j.month, j.day
    return day.year, day.month, day.day


def month_length(year: int, month: int, calendar: str) -> int:
    if calendar == JALALI:
        if month <= 6:
            return 31
        if month <= 11:
            return 30
        return 30 if jdatetime.date(year, 12, 1).isleap() else 29
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def to_gregorian(year: int, month: int, day: int, calendar: str) -> dt.date:
    if calendar == JALALI:
        return jdatetime.date(year, month, day).togregorian()
    return dt.date(year, month, day)


def month_bounds(year: int, month: int, calendar: str) -> tuple[dt.date, dt.date]:
    """The first and the last day (Gregorian dates) of a month of the calendar."""
    first = to_gregorian(year, month, 1, calendar)
    return first, first + dt.timedelta(days=month_length(year, month, calendar) - 1)


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def week_start(day: dt.date, first: int) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - first) % 7)


def week_days(day: dt.date, first: int) -> list[dt.date]:
    start = week_start(day, first)
    return [start + dt.timedelta(days=i) for i in range(7)]


def weekday_order(first: int) -> list[int]:
    """Python weekday numbers in column order, e.g. [5, 6, 0, 1, 2, 3, 4] from Saturday."""
    return [(first + i) % 7 for i in range(7)]


@dataclass
class Day:
    date: dt.date
    year: int
    month: int
    day: int
    in_month: bool = True
    is_weekend: bool = False
    is_today: bool = False
    items: list[Any] = field(default_factory=list)


@dataclass
class MonthGrid:
    calendar: str
    year: int
    month: int
    first: dt.date  # first day of the month
    last: dt.date  # last day of the month
    weeks: list[list[Day]]

    @property
    def start(self) -> dt.date:
        """The first cell (may belong to the month before)."""
        return self.weeks[0][0].date

    @property
    def end(self) -> dt.date:
        """The day after the last cell."""
        return self.weeks[-1][-1].date + dt.timedelta(days=1)

    def days(self) -> list[Day]:
        return [d for week in self.weeks for d in week]


def make_day(day: dt.date, calendar: str, *, weekend: frozenset[int], today: dt.date | None, month: int = 0) -> Day:
    y, m, d = parts(day, calendar)
    return Day(
        date=day,
        year=y,
        month=m,
        day=d,
        in_month=not month or m == month,
        is_weekend=day.weekday() in weekend,
        is_today=day == today,
    )


def month_grid(
    year: int,
    month: int,
    calendar: str,
    *,
    first: int = MONDAY,
    weekend: frozenset[int] = frozenset(),
    today: dt.date | None = None,
) -> MonthGrid:
    """Whole weeks covering the month; days of the neighbouring months are marked."""
    month_first, month_last = month_bounds(year, month, calendar)
    start = week_start(month_first, first)
    cells = (month_last - start).days + 1
    total = cells + (-cells) % 7
    days = [
        make_day(start + dt.timedelta(days=i), calendar, weekend=weekend, today=today, month=month)
        for i in range(total)
    ]
    weeks = [days[i : i + 7] for i in range(0, total, 7)]
    return MonthGrid(calendar, year, month, month_first, month_last, weeks)


def spread_over_days(
    days: list[Day], items: Iterable[Any], span: Callable[[Any], tuple[dt.datetime, dt.datetime]]
) -> None:
    """Put each item (with local start/end from `span`) on every day it covers."""
    index = {d.date: d for d in days}
    for item in items:
        start, end = span(item)
        day = start.date()
        last = (end - dt.timedelta(microseconds=1)).date() if end > start else day
        while day <= last:
            if day in index:
                index[day].items.append(item)
            day += dt.timedelta(days=1)


@dataclass
class HourRow:
    """One row of the week/day time grid: `kind` is "all_day" (the top row), "before"
    (earlier than the first hour), "hour" or "after" (from the last hour on)."""

    kind: str
    hour: int | None
    cells: list[list[Any]]
    continued: list[list[Any]]

    @property
    def label(self) -> str:
        return f"{self.hour:02d}:00" if self.kind == "hour" else ""


def time_grid(
    dates: list[dt.date],
    items: Iterable[Any],
    span: Callable[[Any], tuple[dt.datetime, dt.datetime]],
    *,
    all_day: Callable[[Any], bool] = lambda item: False,
    start_hour: int = DAY_START_HOUR,
    end_hour: int = DAY_END_HOUR,
) -> list[HourRow]:
    """Rows of hours × columns of days. An item sits in the cell of the hour it starts in
    (earlier or later hours in an extra row, all-day or multi-day items in the top row)
    and is listed as 'continued' in the following hour cells it still covers."""
    column = {day: i for i, day in enumerate(dates)}
    width = len(dates)
    hours = range(start_hour, end_hour)

    def row(kind: str, hour: int | None) -> HourRow:
        return HourRow(kind, hour, [[] for _ in dates], [[] for _ in dates])

    top, before, after = row("all_day", None), row("before", None), row("after", None)
    rows = {h: row("hour", h) for h in hours}
    for item in items:
        start, end = span(item)
        last = (end - dt.timedelta(microseconds=1)).date() if end > start else start.date()
        if all_day(item) or start.date() != last:
            day = start.date()
            while day <= last:
                if day in column:
                    top.cells[column[day]].append(item)
                day += dt.timedelta(days=1)
            continue
        col = column.get(start.date())
        if col is None:
            continue
        if start.hour < start_hour:
            before.cells[col].append(item)
        elif start.hour >= end_hour:
            after.cells[col].append(item)
        else:
            rows[start.hour].cells[col].append(item)
        for hour in hours:
            slot = dt.datetime.combine(start.date(), dt.time(hour))
            if slot > start and slot < end and hour != start.hour:
                rows[hour].continued[col].append(item)
    found = [top] if any(top.cells[i] for i in range(width)) else []
    found += [before] if any(before.cells[i] for i in range(width)) else []
    found += [rows[h] for h in hours]
    found += [after] if any(after.cells[i] for i in range(width)) else []
    return found
