"""Calendar and appointment pages (AC-1, AC-2): "my work calendar" (month, week, day in
the user's calendar), the appointment form with its live free/busy check and people
pickers, the appointment page and cartable, the iCalendar feed, and the calendars and
rooms admin. Each view parses input, reads through selectors, calls one service and
renders; the grids themselves are built by `crm.activities.calendar_grid`.

One module for the whole calendar area (over the soft size limit): the pages share the
query/label helpers below and splitting them would scatter one feature over files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.activities import calendar_grid, selectors, services
from crm.activities.access import MANAGE_CALENDARS, can_write_meeting, readable_calendar_ids
from crm.activities.errors import ActivityErrorCode
from crm.activities.ical import feed_bytes
from crm.activities.models import Meeting, MeetingAttendee
from crm.activities.recurrence import occurrences as meeting_occurrences
from crm.activities.web.calendar_forms import (
    REMINDER_CHOICES,
    CalendarFilterForm,
    CalendarForm,
    FreeBusyForm,
    MeetingForm,
    RoomForm,
    active_users,
    int_list,
)
from crm.core.audit.selectors import audit_entries_for
from crm.core.customfields.forms import add_custom_fields, custom_data_from_form
from crm.core.customfields.selectors import custom_values_display
from crm.core.errors import ApplicationError
from crm.core.i18n.calendars import JALALI, JALALI_MONTHS, get_calendar, parse_user_date
from crm.core.i18n.digits import localize_digits, to_latin_digits
from crm.core.i18n.formatting import format_date, format_datetime
from crm.core.permissions.access import field_access, hidden_fields
from crm.core.web.admin_forms import bootstrapify
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.identities.selectors import identity_base_for_user, identity_quick_search

MONTH_CHIPS = 3  # appointments listed in a month cell before "+n more"
CARTABLE_BOXES = [
    ("upcoming", pgettext_lazy("meeting", "Upcoming")),
    ("invitations", pgettext_lazy("meeting", "Invitations")),
    ("organised", pgettext_lazy("meeting", "Organised by me")),
    ("past", pgettext_lazy("meeting", "Past")),
]
RESPONSES = [
    (MeetingAttendee.Response.ACCEPTED, gettext_lazy("Accept"), "bi-check-lg", "btn-outline-success"),
    (MeetingAttendee.Response.TENTATIVE, gettext_lazy("Maybe"), "bi-question-lg", "btn-outline-secondary"),
    (MeetingAttendee.Response.DECLINED, gettext_lazy("Decline"), "bi-x-lg", "btn-outline-danger"),
]


# --- small helpers ----------------------------------------------------------------------


def _digits(text: str) -> str:
    return localize_digits(text, get_language())


def _clock(moment: dt.datetime) -> str:
    return _digits(timezone.localtime(moment).strftime("%H:%M"))


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _meeting_or_404(request: HttpRequest, pk: int) -> Meeting:
    meeting = selectors.meeting_get_for_user(user=request.user, pk=pk)
    if meeting is None:
        raise Http404
    return meeting


def _visible_meeting_ids(user: Any, ids: list[int]) -> set[int]:
    return set(selectors.meeting_base_for_user(user=user).filter(pk__in=ids).values_list("pk", flat=True))


@dataclass
class Entry:
    """One occurrence as the calendar shows it (local times, labels, link)."""

    occurrence: selectors.Occurrence
    start: dt.datetime  # local, naive
    end: dt.datetime
    url: str

    @property
    def meeting(self) -> Meeting:
        return self.occurrence.meeting

    @property
    def time_range(self) -> str:
        if self.meeting.all_day:
            return _("All day")
        return f"{_clock(self.occurrence.start)}–{_clock(self.occurrence.end)}"

    @property
    def start_time(self) -> str:
        return _clock(self.occurrence.start)

    @property
    def where(self) -> str:
        return str(self.meeting.room) if self.meeting.room_id else self.meeting.place


def _entry(occurrence: selectors.Occurrence) -> Entry:
    url = reverse("activities:meeting_detail", args=[occurrence.meeting.pk])
    if occurrence.meeting.repeat:
        url += "?" + urlencode({"at": timezone.localtime(occurrence.start).isoformat(timespec="minutes")})
    return Entry(
        occurrence,
        timezone.localtime(occurrence.start).replace(tzinfo=None),
        timezone.localtime(occurrence.end).replace(tzinfo=None),
        url,
    )


# --- the work calendar ------------------------------------------------------------------


@dataclass
class CalendarQuery:
    view: str
    anchor: dt.date
    calendars: list[int]
    users: list[int]
    room: int | None
    place: str

    def url(self, **changes: Any) -> str:
        values = {
            "view": self.view,
            "date": self.anchor.isoformat(),
            "calendars": self.calendars,
            "users": self.users,
            "room": self.room or "",
            "place": self.place,
        } | changes
        query = urlencode({k: v for k, v in values.items() if v not in ("", None, [])}, doseq=True)
        return f"{reverse('activities:calendar')}?{query}"

    @property
    def filtered(self) -> bool:
        return bool(self.calendars or self.users or self.room or self.place)


def _calendar_query(request: HttpRequest) -> CalendarQuery:
    form = CalendarFilterForm(request.GET)
    form.is_valid()  # what does not parse is left out
    data = form.cleaned_data
    anchor = data.get("date")
    if anchor is None and request.GET.get("date"):
        anchor = parse_user_date(request.GET["date"])
    return CalendarQuery(
        view=data.get("view") or "month",
        anchor=anchor or timezone.localdate(),
        calendars=data.get("calendars") or [],
        users=data.get("users") or [],
        room=data.get("room"),
        place=(data.get("place") or "").strip(),
    )


def _month_name(month: int, calendar: str) -> str:
    return str(JALALI_MONTHS[month - 1] if calendar == JALALI else MONTHS[month])


def _month_title(year: int, month: int, calendar: str) -> str:
    return _digits(f"{_month_name(month, calendar)} {year}")


def _day_title(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {format_date(day, long=True)}"


@dataclass
class Cell:
    """One day as a month cell or a week/day column header (labels in the user's digits)."""

    date: dt.date
    label: str
    other: str  # the Gregorian day number under a Jalali one
    long: str
    url: str  # the day view
    create_url: str
    in_month: bool
    is_today: bool
    is_weekend: bool
    weekday_name: str = ""
    weekday_short: str = ""
    chips: list[tuple[Entry, bool]] = field(default_factory=list)  # (entry, starts that day)

    @property
    def more(self) -> int:
        return max(0, len(self.chips) - MONTH_CHIPS)

    @property
    def fillers(self) -> range:
        return range(max(0, MONTH_CHIPS - len(self.chips)))


@dataclass
class TimeRow:
    kind: str  # all_day, before, hour, after
    hour: int | None
    text: str
    start: str  # HH:MM of an hour row, for the create link
    range: str
    columns: list[tuple[Cell, list[Entry], list[Entry]]]


def _cell(query: CalendarQuery, day: calendar_grid.Day, calendar: str, *, month_label: bool = False) -> Cell:
    iso = day.date.isoformat()
    label = str(day.day)
    if month_label and day.day == 1:
        label = f"1 {_month_name(day.month, calendar)}"
    return Cell(
        date=day.date,
        label=_digits(label),
        other=_digits(str(day.date.day)) if calendar == JALALI else "",
        long=format_date(day.date, long=True),
        url=query.url(view="day", date=iso),
        create_url=f"{reverse('activities:meeting_create')}?date={iso}",
        in_month=day.in_month,
        is_today=day.is_today,
        is_weekend=day.is_weekend,
        weekday_name=str(WEEKDAYS[day.date.weekday()]),
        weekday_short=str(WEEKDAYS_ABBR[day.date.weekday()]),
        chips=[(e, e.start.date() == day.date and not e.meeting.all_day) for e in day.items],
    )


def _month_context(query: CalendarQuery, calendar: str, first: int, weekend: frozenset[int]) -> dict[str, Any]:
    year, month, _day = calendar_grid.parts(query.anchor, calendar)
    grid = calendar_grid.month_grid(year, month, calendar, first=first, weekend=weekend, today=timezone.localdate())
    prev_y, prev_m = calendar_grid.shift_month(year, month, -1)
    next_y, next_m = calendar_grid.shift_month(year, month, 1)
    return {
        "grid": grid,
        "since": grid.start,
        "until": grid.end,
        "title": _month_title(year, month, calendar),
        "prev": calendar_grid.to_gregorian(prev_y, prev_m, 1, calendar),
        "next": calendar_grid.to_gregorian(next_y, next_m, 1, calendar),
    }


def _fill_month(query: CalendarQuery, context: dict[str, Any], entries: list[Entry], calendar: str) -> None:
    grid: calendar_grid.MonthGrid = context["grid"]
    calendar_grid.spread_over_days(grid.days(), entries, lambda e: (e.start, e.end))
    context["weeks"] = [[_cell(query, day, calendar, month_label=True) for day in week] for week in grid.weeks]


def _time_context(query: CalendarQuery, calendar: str, first: int, weekend: frozenset[int]) -> dict[str, Any]:
    today = timezone.localdate()
    if query.view == "week":
        dates = calendar_grid.week_days(query.anchor, first)
        step = dt.timedelta(days=7)
        title = f"{format_date(dates[0], long=True)} – {format_date(dates[-1], long=True)}"
    else:
        dates = [query.anchor]
        step = dt.timedelta(days=1)
        title = _day_title(query.anchor)
    days = [_cell(query, calendar_grid.make_day(d, calendar, weekend=weekend, today=today), calendar) for d in dates]
    return {
        "days": days,
        "since": dates[0],
        "until": dates[-1] + dt.timedelta(days=1),
        "title": title,
        "prev": query.anchor - step,
        "next": query.anchor + step,
    }


def _fill_time_grid(context: dict[str, Any], entries: list[Entry]) -> None:
    days: list[Cell] = context["days"]
    rows = calendar_grid.time_grid(
        [d.date for d in days], entries, lambda e: (e.start, e.end), all_day=lambda e: e.meeting.all_day
    )
    context["rows"] = [
        TimeRow(
            kind=row.kind,
            hour=row.hour,
            text=_digits(row.label),
            start=row.label,
            range=_digits(f"{row.hour:02d}:00–{row.hour + 1:02d}:00") if row.hour is not None else "",
            columns=list(zip(days, row.cells, row.continued, strict=True)),
        )
        for row in rows
    ]


@login_required
@require_GET
def calendar_view(request: HttpRequest) -> HttpResponse:
    query = _calendar_query(request)
    calendar = get_calendar()
    first = calendar_grid.first_weekday(calendar, get_language() or "")
    weekend = calendar_grid.weekend_days(calendar, get_language() or "")
    if query.view == "month":
        context = _month_context(query, calendar, first, weekend)
    else:
        context = _time_context(query, calendar, first, weekend)
    found = selectors.work_calendar(
        user=request.user,
        since=_aware(context["since"]),
        until=_aware(context["until"]),
        calendar_ids=query.calendars or None,
        user_ids=query.users or None,
        room_ids=[query.room] if query.room else None,
        place=query.place,
    )
    entries = [_entry(o) for o in found]
    if query.view == "month":
        _fill_month(query, context, entries, calendar)
        context["weekdays"] = [
            (WEEKDAYS[d], WEEKDAYS_ABBR[d], d in weekend) for d in calendar_grid.weekday_order(first)
        ]
    else:
        _fill_time_grid(context, entries)
    today = timezone.localdate()
    context |= {
        "query": query,
        "count": len(entries),
        "count_text": _digits(str(len(entries))),
        "prev_url": query.url(date=context["prev"].isoformat()),
        "next_url": query.url(date=context["next"].isoformat()),
        "today_url": query.url(date=today.isoformat()),
        "view_urls": [(v, label, query.url(view=v)) for v, label in _view_labels()],
        "calendars": selectors.calendar_list_for_user(user=request.user),
        "people": active_users(),
        "rooms": selectors.room_list(),
        "can_manage": request.user.has_perm(MANAGE_CALENDARS),
    }
    template = "activities/calendar/calendar.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not (htmx.boosted or htmx.history_restore_request):
        template += "#calendar-body"
    return render(request, template, context)


def _view_labels() -> list[tuple[str, str]]:
    return [("month", _("Month")), ("week", _("Week")), ("day", _("Day"))]


# --- the appointment form ---------------------------------------------------------------


def _prefill_start(request: HttpRequest) -> tuple[dt.datetime, dt.datetime]:
    day = parse_user_date(request.GET.get("date", "")) if request.GET.get("date") else None
    raw = to_latin_digits(request.GET.get("start", "")).strip()
    start: dt.datetime | None = None
    try:
        if "T" in raw or "-" in raw:
            parsed = dt.datetime.fromisoformat(raw)
            start = timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed
        elif raw:
            start = timezone.make_aware(dt.datetime.combine(day or timezone.localdate(), dt.time.fromisoformat(raw)))
    except ValueError:
        start = None
    if start is None and day is not None:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    if start is None:  # the next full hour
        now = timezone.localtime()
        start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    end = start + dt.timedelta(hours=1)
    raw_end = to_latin_digits(request.GET.get("end", "")).strip()
    try:
        if raw_end:
            end = timezone.make_aware(
                dt.datetime.combine(timezone.localtime(start).date(), dt.time.fromisoformat(raw_end))
            )
    except ValueError:
        pass
    return start, end if end > start else start + dt.timedelta(hours=1)


def _create_initial(request: HttpRequest) -> dict[str, Any]:
    personal = services.calendar_personal(user=request.user)
    start, end = _prefill_start(request)
    initial: dict[str, Any] = {"calendar": personal.pk, "start": start, "end": end, "repeat_interval": 1}
    wanted_calendar = int_list([request.GET.get("calendar")])
    if (
        wanted_calendar
        and selectors.calendar_list_for_user(user=request.user, writable=True).filter(pk=wanted_calendar[0]).exists()
    ):
        initial["calendar"] = wanted_calendar[0]
    identity_ids = int_list(request.GET.getlist("identity"))
    if identity_ids:
        visible = list(
            identity_base_for_user(user=request.user).filter(pk__in=identity_ids).values_list("pk", flat=True)
        )
        initial["identities"] = visible
        initial["invited_identities"] = visible
    room = int_list([request.GET.get("room")])
    if room and selectors.room_list().filter(pk=room[0]).exists():
        initial["room"] = room[0]
    attendees = int_list(request.GET.getlist("attendee"))
    if attendees:
        initial["attendees"] = [u for u in attendees if u != request.user.pk]
    if request.GET.get("subject"):
        initial["subject"] = request.GET["subject"][:250]
    return initial


def _edit_initial(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    names = [
        "subject",
        "description",
        "start",
        "end",
        "all_day",
        "place",
        "repeat",
        "repeat_interval",
        "repeat_until",
        "status",
    ]
    initial = {n: getattr(meeting, n) for n in names}
    if meeting.all_day:  # shown as the days it covers: the end is the last day, not the day after
        initial["end"] = meeting.end - dt.timedelta(days=1)
    rows = list(meeting.identity_rows.all())
    visible = set(
        identity_base_for_user(user=request.user)
        .filter(pk__in=[r.identity_id for r in rows])
        .values_list("pk", flat=True)
    )
    return initial | {
        "calendar": meeting.calendar_id,
        "room": meeting.room_id,
        "remind_minutes": str(meeting.remind_minutes) if meeting.remind_minutes else "",
        "attendees": [r.user_id for r in meeting.attendee_rows.all()],
        "identities": [r.identity_id for r in rows if r.identity_id in visible],
        "invited_identities": [r.identity_id for r in rows if r.invited and r.identity_id in visible],
    }


def _hidden_links(request: HttpRequest, meeting: Meeting | None) -> tuple[list[int], list[int]]:
    """Identities on the appointment the user may not see: kept as they are on save."""
    if meeting is None:
        return [], []
    rows = list(meeting.identity_rows.all())
    visible = set(
        identity_base_for_user(user=request.user)
        .filter(pk__in=[r.identity_id for r in rows])
        .values_list("pk", flat=True)
    )
    hidden = [r for r in rows if r.identity_id not in visible]
    return [r.identity_id for r in hidden], [r.identity_id for r in hidden if r.invited]


def _service_error(form: MeetingForm, exc: ApplicationError) -> None:
    code = getattr(exc, "code", None)
    if code == ActivityErrorCode.ROOM_BUSY:
        form.add_error(None, exc.message)
        form.add_error("room", _("Choose another room or time."))
    elif code == ActivityErrorCode.BUSY:
        form.add_error(None, exc.message)
        form.busy_people = True
    elif code == ActivityErrorCode.ROOM_INACTIVE:
        form.add_error("room", exc.message)
    elif code == ActivityErrorCode.CALENDAR_READ_ONLY:
        form.add_error("calendar", exc.message)
    else:
        error_to_form(form, exc, prefix="cf_")


def _save_meeting(request: HttpRequest, form: MeetingForm, meeting: Meeting | None) -> Meeting:
    data = form.cleaned_data
    hidden_linked, hidden_invited = _hidden_links(request, meeting)
    people = {
        "attendee_ids": data["attendees"],
        "identity_ids": [*data["identities"], *hidden_linked],
        "invited_identity_ids": [*data["invited_identities"], *hidden_invited],
        "custom": custom_data_from_form(form),
        "allow_busy_people": data["allow_busy_people"],
    }
    if form.errors:  # a refused upload in a custom field
        raise _FormInvalid
    if meeting is None:
        return services.meeting_create(actor=request.user, values=form.meeting_values(), **people)
    return services.meeting_update(actor=request.user, meeting=meeting, values=form.meeting_values(), **people)


class _FormInvalid(Exception):
    pass


def _mark_invalid(form: Any) -> None:
    """Bootstrap's red outline on the inputs with errors."""
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def _picker_context(user: Any, initial_or_data: dict[str, Any], organiser_id: int) -> dict[str, Any]:
    attendee_ids = int_list(initial_or_data.get("attendees"))
    identity_ids = int_list(initial_or_data.get("identities"))
    invited_ids = int_list(initial_or_data.get("invited_identities"))
    return {
        **_attendee_picker(attendee_ids, organiser_id),
        **_identity_picker(user, identity_ids, invited_ids, "", []),
    }


def _form_values(request: HttpRequest, form: MeetingForm, name: str) -> list[Any]:
    if form.is_bound:
        return request.POST.getlist(name)
    return list(form.initial.get(name) or [])


@login_required
def meeting_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    meeting = _meeting_or_404(request, pk) if pk else None
    if meeting is not None and not can_write_meeting(request.user, meeting):
        messages.error(request, pgettext("meeting", "You may not change this appointment."))
        return redirect("activities:meeting_detail", meeting.pk)
    initial = _edit_initial(request, meeting) if meeting else _create_initial(request)
    form = MeetingForm(request.POST or None, user=request.user, meeting=meeting, initial=initial)
    add_custom_fields(
        form, model=Meeting, values=meeting.custom if meeting else {}, access=dict(field_access(request.user, Meeting))
    )
    bootstrapify(form)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save_meeting(request, form, meeting)
        except _FormInvalid:
            pass
        except ApplicationError as exc:
            _service_error(form, exc)
        else:
            messages.success(request, pgettext_lazy("meeting", "The appointment was saved."))
            return redirect("activities:meeting_detail", saved.pk)
    _mark_invalid(form)
    organiser_id: int = meeting.organiser_id if meeting else request.user.pk  # type: ignore[assignment]
    values = {n: _form_values(request, form, n) for n in ("attendees", "identities", "invited_identities")}
    context = {
        "form": form,
        "meeting": meeting,
        "organiser": meeting.organiser if meeting else request.user,
        **_picker_context(request.user, values, organiser_id),
    }
    return render(request, "activities/meetings/form.html", context)


# --- pickers and free/busy (htmx fragments of the form) ---------------------------------


def _attendee_picker(chosen: list[int], organiser_id: int) -> dict[str, Any]:
    users = list(active_users(chosen))
    by_pk = {u.pk: u for u in users}
    picked = [by_pk[pk] for pk in chosen if pk in by_pk and pk != organiser_id]
    taken = {u.pk for u in picked} | {organiser_id}
    return {
        "chosen_users": picked,
        "addable_users": [u for u in users if u.pk not in taken and u.is_active],
        "picker_organiser": organiser_id,
    }


def _identity_picker(user: Any, linked: list[int], invited: list[int], text: str, exclude: list[int]) -> dict[str, Any]:
    wanted = [*linked, *[i for i in invited if i not in linked]]
    found = {i.pk: i for i in identity_base_for_user(user=user).filter(pk__in=wanted)}
    chosen = [(found[pk], pk in invited) for pk in wanted if pk in found]
    taken = set(found) | set(exclude)
    results = [i for i in identity_quick_search(user=user, text=text, limit=8) if i.pk not in taken] if text else []
    return {"chosen_identities": chosen, "identity_results": results, "identity_q": text}


@login_required
@require_GET
def meeting_attendee_picker(request: HttpRequest) -> HttpResponse:
    chosen = int_list(request.GET.getlist("attendees"))
    chosen += int_list([request.GET.get("add_attendee")])
    removed = int_list([request.GET.get("remove")])
    chosen = [pk for pk in dict.fromkeys(chosen) if pk not in removed]
    organiser = int_list([request.GET.get("organiser")])
    organiser_id = organiser[0] if organiser else int(request.user.pk or 0)
    response = render(request, "activities/meetings/form.html#attendee-picker", _attendee_picker(chosen, organiser_id))
    response["HX-Trigger-After-Settle"] = "attendees-changed"
    return response


@login_required
@require_GET
def meeting_identity_picker(request: HttpRequest) -> HttpResponse:
    linked = int_list(request.GET.getlist("identities"))
    invited = int_list(request.GET.getlist("invited_identities"))
    added = int_list([request.GET.get("add")])
    removed = int_list([request.GET.get("remove")])
    linked = [pk for pk in dict.fromkeys([*linked, *added]) if pk not in removed]
    invited = [pk for pk in invited if pk not in removed]
    text = request.GET.get("identity_q", "").strip()[:100]
    context = _identity_picker(request.user, linked, invited, text, [])
    return render(request, "activities/meetings/identity_picker.html", context | {"oob": True})


def _windows(data: dict[str, Any]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The occurrences a new or changed appointment would take (like the service checks)."""
    start, end = data["start"], data["end"]
    if data.get("all_day"):
        start = _aware(timezone.localtime(start).date())
        end = _aware(max(timezone.localtime(start).date(), timezone.localtime(end).date()) + dt.timedelta(days=1))
    probe = Meeting(
        start=start,
        end=end,
        repeat=data.get("repeat") or "",
        repeat_interval=data.get("repeat_interval") or 1,
        repeat_until=data.get("repeat_until") if data.get("repeat") else None,
    )
    found = list(meeting_occurrences(probe, start, end + dt.timedelta(days=366)))[:50]
    return found or [(start, end)]


@dataclass
class ConflictRow:
    kind: str
    who: str
    start: dt.datetime
    end: dt.datetime
    subject: str  # '' when the viewer may not read the calendar holding it

    @property
    def when(self) -> str:
        start, end = timezone.localtime(self.start), timezone.localtime(self.end)
        last = _clock(end) if start.date() == end.date() else format_datetime(end)
        return f"{format_datetime(start)}–{last}"


@login_required
@require_GET
def freebusy(request: HttpRequest) -> HttpResponse:
    form = FreeBusyForm(request.GET)
    template = "activities/meetings/freebusy.html"
    if not form.is_valid() or not form.cleaned_data.get("start") or not form.cleaned_data.get("end"):
        return render(request, template, {"state": "incomplete"})
    data = form.cleaned_data
    if data["end"] <= data["start"] and not data.get("all_day"):
        return render(request, template, {"state": "order"})
    exclude = data.get("exclude")
    meeting = selectors.meeting_get_for_user(user=request.user, pk=exclude) if exclude else None
    organiser_id: int = meeting.organiser_id if meeting else request.user.pk  # type: ignore[assignment]
    user_ids = [organiser_id, *[u for u in data.get("attendees") or [] if u != organiser_id]]
    room = selectors.room_list(active_only=False).filter(pk=data["room"]).first() if data.get("room") else None
    seen: set[tuple[Any, ...]] = set()
    conflicts = []
    for start, end in _windows(data):
        for c in selectors.busy(
            start=start,
            end=end,
            user_ids=user_ids,
            room_id=room.pk if room else None,
            exclude_meeting_id=meeting.pk if meeting else None,
        ):
            key = (c.kind, c.who.pk, c.meeting.pk, c.start)
            if key not in seen:
                seen.add(key)
                conflicts.append(c)
    visible = _visible_meeting_ids(request.user, [c.meeting.pk for c in conflicts])
    rows = [
        ConflictRow(
            c.kind,
            str(c.who) if c.kind == "room" else (c.who.get_full_name() or c.who.get_username()),
            c.start,
            c.end,
            c.meeting.subject if c.meeting.pk in visible else "",
        )
        for c in conflicts
    ]
    rows.sort(key=lambda r: (r.kind != "room", r.start, r.who))
    return render(
        request,
        template,
        {
            "state": "busy" if rows else "free",
            "rooms_busy": [r for r in rows if r.kind == "room"][:10],
            "people_busy": [r for r in rows if r.kind == "user"][:10],
            "more": max(0, len(rows) - 20),
            "people_count": len(user_ids),
            "room": room,
        },
    )


# --- the appointment page and its actions -----------------------------------------------


def _occurrence_at(request: HttpRequest, meeting: Meeting) -> dt.datetime | None:
    raw = request.GET.get("at", "")
    try:
        at = dt.datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    if at is None or not meeting.repeat:
        return None
    return timezone.make_aware(at) if timezone.is_naive(at) else at


def _repeat_text(meeting: Meeting) -> str:
    if not meeting.repeat:
        return ""
    n = max(1, meeting.repeat_interval)
    if n == 1:
        text = str(meeting.get_repeat_display())  # "every day", "every week" …
    else:
        texts = {
            "DAILY": ngettext("every %(n)s day", "every %(n)s days", n),
            "WEEKLY": ngettext("every %(n)s week", "every %(n)s weeks", n),
            "MONTHLY": ngettext("every %(n)s month", "every %(n)s months", n),
            "YEARLY": ngettext("every %(n)s year", "every %(n)s years", n),
        }
        text = texts[meeting.repeat] % {"n": n}
    if meeting.repeat_until:
        text = _("%(rule)s, until %(date)s") % {"rule": text, "date": format_date(meeting.repeat_until, long=True)}
    return _digits(text)


def _reminder_text(minutes: int | None) -> str:
    if not minutes:
        return ""
    label = dict(REMINDER_CHOICES).get(str(minutes))
    return _digits(str(label)) if label else _digits(_("%(n)s minutes before") % {"n": minutes})


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    rows = list(meeting.identity_rows.all())
    visible = set(
        identity_base_for_user(user=request.user)
        .filter(pk__in=[r.identity_id for r in rows])
        .values_list("pk", flat=True)
    )
    attendees = list(meeting.attendee_rows.all())
    mine = next((a for a in attendees if a.user_id == request.user.pk), None)
    at = _occurrence_at(request, meeting)
    context = {
        "meeting": meeting,
        "attendees": attendees,
        "my_row": mine,
        "responses": RESPONSES,
        "identity_rows": [r for r in rows if r.identity_id in visible],
        "hidden_identities": len([r for r in rows if r.identity_id not in visible]),
        "can_write": can_write_meeting(request.user, meeting),
        "custom_values": custom_values_display(obj=meeting, hidden=hidden_fields(request.user, Meeting)),
        "occurrence_start": at,
        "occurrence_end": at + (meeting.end - meeting.start) if at else None,
        "history": audit_entries_for(target=meeting),
        "calendar_readable": meeting.calendar_id in readable_calendar_ids(request.user),
        "repeat_text": _repeat_text(meeting),
        "reminder_text": _reminder_text(meeting.remind_minutes),
        "all_day_last": meeting.end - dt.timedelta(days=1) if meeting.all_day else None,
    }
    return render(request, "activities/meetings/detail.html", context)


def _post_action(request: HttpRequest, pk: int, action: Any, done: str, success_url: str = "") -> HttpResponse:
    """Run one service on a visible appointment; errors come back as a message on its page."""
    meeting = _meeting_or_404(request, pk)
    detail = reverse("activities:meeting_detail", args=[meeting.pk])
    try:
        action(meeting)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect(detail)
    messages.success(request, done)
    return redirect(success_url or detail)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda m: services.meeting_cancel(actor=request.user, meeting=m),
        str(pgettext_lazy("meeting", "The appointment was cancelled. The attendees were told.")),
    )


@login_required
@require_POST
def meeting_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda m: services.meeting_delete(actor=request.user, meeting=m),
        str(pgettext_lazy("meeting", "The appointment was deleted.")),
        reverse("activities:calendar"),
    )


@login_required
@require_POST
def meeting_respond(request: HttpRequest, pk: int) -> HttpResponse:
    answer = request.POST.get("response", "")
    return _post_action(
        request,
        pk,
        lambda m: services.meeting_respond(actor=request.user, meeting=m, response=answer),
        _("Your answer was saved."),
    )


@login_required
@require_GET
def meeting_cartable(request: HttpRequest) -> HttpResponse:
    box = request.GET.get("box", "upcoming")
    box = box if box in dict(CARTABLE_BOXES) else "upcoming"
    qs: QuerySet[Meeting] = selectors.meeting_cartable(user=request.user, box=box)
    page = paginate(request, qs, per_page=25)
    selectors.with_next_occurrence(page["rows"])
    prefetch_related_objects(
        page["rows"],
        Prefetch(
            "attendee_rows", queryset=MeetingAttendee.objects.filter(user_id=request.user.pk or 0), to_attr="my_rows"
        ),
    )
    invitations = selectors.meeting_cartable(user=request.user, box="invitations").count()
    return render(
        request,
        "activities/meetings/cartable.html",
        {**page, "box": box, "boxes": CARTABLE_BOXES, "invitations": invitations},
    )


# --- iCalendar feed -----------------------------------------------------------------------


@require_GET
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret feed address: no sign-in, the token is the key (services.calendar_feed_token)."""
    user = selectors.feed_user(token=token)
    if user is None:
        raise Http404
    found = selectors.ical_meetings(user=user)
    body = feed_bytes(
        found,
        name=f"{_('Work calendar')} · {user.get_full_name() or user.get_username()}",
        domain=request.get_host().split(":")[0] or "crm",
        url=lambda m: request.build_absolute_uri(reverse("activities:meeting_detail", args=[m.pk])),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def calendar_feed(request: HttpRequest) -> HttpResponse:
    regenerate = request.method == "POST"
    token = services.calendar_feed_token(user=request.user, regenerate=regenerate)
    if regenerate:
        messages.success(request, _("A new address was made. Calendars subscribed to the old one stop updating."))
        return redirect("activities:calendar_feed")
    url = request.build_absolute_uri(reverse("activities:ical_feed", args=[token]))
    webcal = "webcal://" + url.split("://", 1)[1]
    return render(request, "activities/calendar/feed.html", {"feed_url": url, "webcal_url": webcal})


# --- calendars and rooms (admin) ----------------------------------------------------------


def _require_manager(user: Any) -> None:
    if not user.has_perm(MANAGE_CALENDARS):
        raise PermissionDenied


@login_required
def calendar_admin(request: HttpRequest) -> HttpResponse:
    _require_manager(request.user)
    calendars = list(
        selectors.calendar_list_for_admin(user=request.user)
        .prefetch_related("access")
        .order_by("-active", "kind", "name")
    )
    return render(
        request,
        "activities/calendar/admin.html",
        {"calendars": calendars, "rooms": selectors.room_list(active_only=False)},
    )


@login_required
def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    manager = request.user.has_perm(MANAGE_CALENDARS)
    calendar = None
    if pk is not None:
        calendar = selectors.calendar_list_for_admin(user=request.user).prefetch_related("access").filter(pk=pk).first()
        if calendar is None:
            raise Http404
        if not (manager or calendar.owner_id == request.user.pk):
            raise PermissionDenied
    else:
        _require_manager(request.user)
    initial = CalendarForm.initial_for(calendar) if calendar else {}
    form = CalendarForm(request.POST or None, initial=initial, manager=manager)
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_save(actor=request.user, values=form.values(), calendar=calendar, grants=form.grants())
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("The calendar was saved."))
            return redirect("activities:calendar_admin" if manager else "activities:calendar")
    _mark_invalid(form)
    return render(
        request, "activities/calendar/calendar_form.html", {"form": form, "calendar": calendar, "manager": manager}
    )


@login_required
def room_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_manager(request.user)
    room = selectors.room_list(active_only=False).filter(pk=pk).first() if pk else None
    if pk and room is None:
        raise Http404
    initial = {f: getattr(room, f) for f in ("name", "location", "capacity", "active")} if room else {}
    form = RoomForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.room_save(actor=request.user, values=form.cleaned_data, room=room)
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("The meeting room was saved."))
            return redirect("activities:calendar_admin")
    _mark_invalid(form)
    return render(request, "activities/calendar/room_form.html", {"form": form, "room": room})


urlpatterns = [
    path("calendar/", calendar_view, name="calendar"),
    path("calendar/feed/", calendar_feed, name="calendar_feed"),
    path("calendar/feed/<str:token>.ics", ical_feed, name="ical_feed"),
    path("calendar/freebusy/", freebusy, name="freebusy"),
    path("calendar/manage/", calendar_admin, name="calendar_admin"),
    path("calendar/manage/new/", calendar_edit, name="calendar_create"),
    path("calendar/manage/<int:pk>/", calendar_edit, name="calendar_edit"),
    path("calendar/rooms/new/", room_edit, name="room_create"),
    path("calendar/rooms/<int:pk>/", room_edit, name="room_edit"),
    path("appointments/", meeting_cartable, name="meeting_cartable"),
    path("appointments/new/", meeting_edit, name="meeting_create"),
    path("appointments/pick/people/", meeting_attendee_picker, name="meeting_attendee_picker"),
    path("appointments/pick/identities/", meeting_identity_picker, name="meeting_identity_picker"),
    path("appointments/<int:pk>/", meeting_detail, name="meeting_detail"),
    path("appointments/<int:pk>/edit/", meeting_edit, name="meeting_edit"),
    path("appointments/<int:pk>/cancel/", meeting_cancel, name="meeting_cancel"),
    path("appointments/<int:pk>/delete/", meeting_delete, name="meeting_delete"),
    path("appointments/<int:pk>/respond/", meeting_respond, name="meeting_respond"),
]
