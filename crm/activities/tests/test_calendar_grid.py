"""The calendar grids (no database): Jalali and Gregorian month boundaries, the first
day of the week, weeks, and where appointments land in month cells and hour rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crm.activities import calendar_grid as g


@dataclass
class Item:
    start: dt.datetime
    end: dt.datetime
    all_day: bool = False


def span(item: Item) -> tuple[dt.datetime, dt.datetime]:
    return item.start, item.end


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute)


class TestJalaliMonth:
    def test_azar_1405_starts_on_a_sunday_and_has_30_days(self):
        grid = g.month_grid(1405, 9, g.JALALI, first=g.SATURDAY, weekend=frozenset({4}))

        assert grid.first == dt.date(2026, 11, 22)  # 1 Azar 1405
        assert grid.last == dt.date(2026, 12, 21)  # 30 Azar 1405
        assert g.month_length(1405, 9, g.JALALI) == 30
        first_week = grid.weeks[0]
        assert first_week[0].date == dt.date(2026, 11, 21)  # the Saturday before: 30 Aban
        assert first_week[0].date.weekday() == g.SATURDAY
        assert (first_week[0].month, first_week[0].day, first_week[0].in_month) == (8, 30, False)
        assert (first_week[1].month, first_week[1].day, first_week[1].in_month) == (9, 1, True)
        in_month = [d for d in grid.days() if d.in_month]
        assert [d.day for d in in_month] == list(range(1, 31))
        assert all(len(week) == 7 for week in grid.weeks)
        assert len(grid.weeks) == 5
        assert grid.start == dt.date(2026, 11, 21)
        assert grid.end == dt.date(2026, 12, 26)  # the day after the last cell (a Friday)

    def test_friday_is_the_weekend_and_today_is_marked(self):
        grid = g.month_grid(1405, 9, g.JALALI, first=g.SATURDAY, weekend=frozenset({4}), today=dt.date(2026, 11, 23))

        fridays = [d for d in grid.days() if d.is_weekend]
        assert fridays and all(d.date.weekday() == 4 for d in fridays)
        assert [d.date for d in grid.days() if d.is_today] == [dt.date(2026, 11, 23)]

    def test_month_lengths_and_leap_esfand(self):
        assert g.month_length(1405, 1, g.JALALI) == 31
        assert g.month_length(1405, 7, g.JALALI) == 30
        assert g.month_length(1403, 12, g.JALALI) == 30  # leap year
        assert g.month_length(1404, 12, g.JALALI) == 29

    def test_parts_and_round_trip(self):
        assert g.parts(dt.date(2026, 11, 22), g.JALALI) == (1405, 9, 1)
        assert g.to_gregorian(1405, 1, 1, g.JALALI) == dt.date(2026, 3, 21)
        assert g.month_bounds(1404, 12, g.JALALI) == (dt.date(2026, 2, 20), dt.date(2026, 3, 20))


class TestGregorianMonth:
    def test_november_2026_from_monday(self):
        grid = g.month_grid(2026, 11, g.GREGORIAN, first=g.MONDAY, weekend=frozenset({5, 6}))

        assert (grid.first, grid.last) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        assert grid.weeks[0][0].date == dt.date(2026, 10, 26)
        assert grid.weeks[0][6].date == dt.date(2026, 11, 1)
        assert grid.weeks[0][6].in_month and not grid.weeks[0][5].in_month
        assert len(grid.weeks) == 6
        assert sum(d.in_month for d in grid.days()) == 30
        assert grid.weeks[0][5].is_weekend and grid.weeks[0][6].is_weekend

    def test_february_in_a_leap_year(self):
        assert g.month_length(2028, 2, g.GREGORIAN) == 29
        assert g.month_length(2026, 2, g.GREGORIAN) == 28
        assert g.month_length(2026, 12, g.GREGORIAN) == 31


def test_first_weekday_and_weekend_follow_calendar_and_language():
    assert g.first_weekday(g.JALALI) == g.SATURDAY
    assert g.first_weekday(g.GREGORIAN, "fa") == g.SATURDAY
    assert g.first_weekday(g.GREGORIAN, "en") == g.MONDAY
    assert g.weekend_days(g.JALALI) == frozenset({4})
    assert g.weekend_days(g.GREGORIAN, "uk") == frozenset({5, 6})
    assert g.weekday_order(g.SATURDAY) == [5, 6, 0, 1, 2, 3, 4]


def test_months_shift_across_years():
    assert g.shift_month(1405, 12, 1) == (1406, 1)
    assert g.shift_month(1405, 1, -1) == (1404, 12)
    assert g.shift_month(2026, 11, 14) == (2028, 1)


def test_week_days_start_on_the_chosen_weekday():
    days = g.week_days(dt.date(2026, 11, 25), g.SATURDAY)  # a Wednesday
    assert days[0] == dt.date(2026, 11, 21) and days[-1] == dt.date(2026, 11, 27)
    assert g.week_days(dt.date(2026, 11, 21), g.SATURDAY)[0] == dt.date(2026, 11, 21)
    assert g.week_days(dt.date(2026, 11, 25), g.MONDAY)[0] == dt.date(2026, 11, 23)


def test_items_spread_over_every_day_they_cover():
    grid = g.month_grid(2026, 11, g.GREGORIAN, first=g.MONDAY)
    short = Item(at(23, 10), at(23, 11))
    long = Item(at(24, 22), at(26, 9))
    ends_at_midnight = Item(at(27, 0), at(28, 0), all_day=True)

    g.spread_over_days(grid.days(), [short, long, ends_at_midnight], span)

    cells = {d.date.day: d.items for d in grid.days() if d.in_month}
    assert cells[23] == [short]
    assert cells[24] == cells[25] == cells[26] == [long]
    assert cells[27] == [ends_at_midnight]
    assert cells[28] == []


class TestTimeGrid:
    def test_items_sit_in_their_starting_hour_and_continue_below(self):
        days = [dt.date(2026, 11, 23), dt.date(2026, 11, 24)]
        meeting = Item(at(23, 9, 30), at(23, 11, 15))
        early = Item(at(24, 6), at(24, 7, 30))
        late = Item(at(24, 21, 30), at(24, 22))
        all_day = Item(at(23, 0), at(24, 0), all_day=True)
        two_days = Item(at(23, 18), at(24, 10))

        rows = g.time_grid(days, [meeting, early, late, all_day, two_days], span, all_day=lambda i: i.all_day)

        by_hour = {row.hour: row for row in rows if row.kind == "hour"}
        extra = {row.kind: row for row in rows if row.kind != "hour"}
        assert [r.kind for r in rows[:2]] == ["all_day", "before"]
        assert rows[-1].kind == "after"
        assert extra["all_day"].cells == [[all_day, two_days], [two_days]]
        assert extra["before"].cells == [[], [early]]
        assert extra["after"].cells == [[], [late]]
        assert by_hour[9].cells[0] == [meeting]
        assert by_hour[10].continued[0] == [meeting]
        assert by_hour[11].continued[0] == [meeting]
        assert by_hour[12].continued[0] == []
        assert by_hour[7].continued[1] == [early]
        assert list(by_hour) == list(range(7, 21))
        assert extra["after"].label == "" and by_hour[20].label == "20:00"

    def test_no_extra_rows_when_nothing_is_outside_working_hours(self):
        rows = g.time_grid([dt.date(2026, 11, 23)], [Item(at(23, 8), at(23, 9))], span)

        assert [r.hour for r in rows] == list(range(7, 21))
        assert {r.kind for r in rows} == {"hour"}
        assert rows[0].label == "07:00"
        assert rows[1].cells == [[Item(at(23, 8), at(23, 9))]]
