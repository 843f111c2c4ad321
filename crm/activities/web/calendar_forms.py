"""Forms of the calendar pages: the appointment form (with custom fields and the people
pickers), the work calendar's filters, the free/busy check, calendars and rooms."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.activities import selectors
from crm.activities.models import Calendar, CalendarAccess, Meeting, Room
from crm.core.i18n.forms import UserDateField, UserDateTimeField
from crm.core.web.admin_forms import BootstrapMixin
from crm.identities.selectors import identity_base_for_user
from crm.org import selectors as org_selectors
from crm.org.models import Department, Position

REMINDER_CHOICES = [
    ("", _("No reminder")),
    ("5", _("5 minutes before")),
    ("10", _("10 minutes before")),
    ("15", _("15 minutes before")),
    ("30", _("30 minutes before")),
    ("60", _("1 hour before")),
    ("120", _("2 hours before")),
    ("1440", _("1 day before")),
]
VIEWS = ("month", "week", "day")


def active_users(also: Any = ()) -> QuerySet[Any]:
    return org_selectors.colleague_choices(also=also)


def int_list(values: Any) -> list[int]:
    """Ids from a query or form list, ignoring anything that is not a positive number."""
    found: list[int] = []
    for value in values or ():
        text = str(value).strip()
        if text.isdigit() and int(text) > 0 and int(text) not in found:
            found.append(int(text))
    return found


class IdsField(forms.Field):
    """A list of ids submitted by a picker (hidden inputs or checkboxes)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if value in self.empty_values:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        if any(not str(v).strip().isdigit() for v in value):
            raise forms.ValidationError(_("Choose from the list."), code="invalid")
        return int_list(value)


class MeetingForm(BootstrapMixin, forms.Form):
    calendar = forms.ModelChoiceField(label=_("Calendar"), queryset=Calendar.objects.none())
    subject = forms.CharField(label=_("Subject"), max_length=250)
    start = UserDateTimeField(label=_("Starts"))
    end = UserDateTimeField(label=_("Ends"))
    all_day = forms.BooleanField(label=_("All day"), required=False)
    room = forms.ModelChoiceField(label=_("Meeting room"), queryset=Room.objects.none(), required=False)
    place = forms.CharField(
        label=_("Place"), max_length=250, required=False, help_text=_("An address, or a link for an online meeting.")
    )
    attendees = IdsField(label=_("Colleagues"), required=False)
    identities = IdsField(label=_("Linked identities"), required=False)
    invited_identities = IdsField(label=_("Invited identities"), required=False)
    repeat = forms.ChoiceField(label=_("Repeats"), choices=Meeting.Repeat.choices, required=False)
    repeat_interval = forms.IntegerField(label=_("Every"), min_value=1, max_value=99, initial=1, required=False)
    repeat_until = UserDateField(label=_("Until"), required=False)
    remind_minutes = forms.TypedChoiceField(
        label=_("Remind attendees"), choices=REMINDER_CHOICES, coerce=int, empty_value=None, required=False
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(label=_("Status"), choices=Meeting.Status.choices, required=False)
    allow_busy_people = forms.BooleanField(
        label=pgettext_lazy("meeting", "Book anyway when colleagues are busy"),
        required=False,
        help_text=_("A meeting room is never double-booked."),
    )

    busy_people = False  # set by the view when the service said colleagues are busy

    def __init__(self, *args: Any, user: Any, meeting: Meeting | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        calendars = selectors.calendar_list_for_user(user=user, writable=True)
        rooms = selectors.room_list()
        if meeting is not None:  # what the appointment already has stays choosable
            calendars = calendars | Calendar.objects.filter(pk=meeting.calendar_id)
            if meeting.room_id:
                rooms = rooms | selectors.room_list(active_only=False).filter(pk=meeting.room_id)
            minutes = meeting.remind_minutes
            if minutes and str(minutes) not in dict(REMINDER_CHOICES):
                reminders = cast(forms.TypedChoiceField, self.fields["remind_minutes"])
                reminders.choices = [*REMINDER_CHOICES, (str(minutes), str(minutes))]
        else:
            del self.fields["status"]
        cast(forms.ModelChoiceField, self.fields["calendar"]).queryset = calendars.distinct().order_by("name")
        cast(forms.ModelChoiceField, self.fields["room"]).queryset = rooms.distinct().order_by("name")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if data.get("all_day") and start and end:
            # whole days: from the start of the first to the start of the day after the last
            first = timezone.localtime(start).date()
            last = timezone.localtime(end).date()
            data["start"] = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
            data["end"] = timezone.make_aware(dt.datetime.combine(max(first, last) + dt.timedelta(days=1), dt.time.min))
        elif start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        until = data.get("repeat_until")
        if data.get("repeat") and until and start and until < timezone.localtime(start).date():
            self.add_error(
                "repeat_until", pgettext_lazy("meeting", "The last repeat cannot be before the first appointment.")
            )
        if not data.get("repeat"):
            data["repeat_until"] = None
        data["repeat_interval"] = data.get("repeat_interval") or 1
        return data

    def clean_identities(self) -> list[int]:
        return self._visible_identities("identities")

    def clean_invited_identities(self) -> list[int]:
        return self._visible_identities("invited_identities")

    def _visible_identities(self, name: str) -> list[int]:
        ids = self.cleaned_data.get(name) or []
        visible = set(identity_base_for_user(user=self.user).filter(pk__in=ids).values_list("pk", flat=True))
        if set(ids) - visible - set(self.initial.get(name) or ()):
            raise forms.ValidationError(_("One of the identities could not be found."), code="invalid")
        return ids

    def clean_attendees(self) -> list[int]:
        ids = self.cleaned_data.get("attendees") or []
        known = set(active_users(self.initial.get("attendees") or ()).filter(pk__in=ids).values_list("pk", flat=True))
        if set(ids) - known:
            raise forms.ValidationError(_("One of the colleagues could not be found."), code="invalid")
        return ids

    def meeting_values(self) -> dict[str, Any]:
        names = [
            "calendar",
            "subject",
            "description",
            "start",
            "end",
            "all_day",
            "place",
            "room",
            "repeat",
            "repeat_interval",
            "repeat_until",
            "remind_minutes",
        ]
        if "status" in self.fields and self.cleaned_data.get("status"):
            names.append("status")
        return {name: self.cleaned_data.get(name) for name in names} | {"repeat": self.cleaned_data.get("repeat") or ""}


class FreeBusyForm(forms.Form):
    """What the appointment form sends to the free/busy check (all optional: a half
    filled form just gets no answer yet)."""

    start = UserDateTimeField(required=False)
    end = UserDateTimeField(required=False)
    all_day = forms.BooleanField(required=False)
    attendees = IdsField(required=False)
    room = forms.IntegerField(required=False, min_value=1)
    exclude = forms.IntegerField(required=False, min_value=1)
    repeat = forms.ChoiceField(choices=Meeting.Repeat.choices, required=False)
    repeat_interval = forms.IntegerField(required=False, min_value=1, max_value=99)
    repeat_until = UserDateField(required=False)


class CalendarFilterForm(forms.Form):
    """The work calendar's query: view, anchor date, and who/what to show."""

    view = forms.ChoiceField(choices=[(v, v) for v in VIEWS], required=False)
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    calendars = IdsField(required=False)
    users = IdsField(required=False)
    room = forms.IntegerField(required=False, min_value=1)
    place = forms.CharField(required=False, max_length=100)


class CalendarForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=Calendar.Kind.choices, initial=Calendar.Kind.SHARED)
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("The owner may always read, change and share the calendar."),
    )
    colour = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#0d6efd",
        widget=forms.TextInput(attrs={"type": "color", "class": "form-control form-control-color"}),
    )
    public_to_staff = forms.BooleanField(label=_("Every staff member may read it"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    read_users = forms.ModelMultipleChoiceField(
        label=_("People"), queryset=get_user_model().objects.none(), required=False
    )
    write_users = forms.ModelMultipleChoiceField(
        label=_("People"), queryset=get_user_model().objects.none(), required=False
    )
    read_positions = forms.ModelMultipleChoiceField(
        label=_("Positions"), queryset=Position.objects.none(), required=False
    )
    write_positions = forms.ModelMultipleChoiceField(
        label=_("Positions"), queryset=Position.objects.none(), required=False
    )
    read_departments = forms.ModelMultipleChoiceField(
        label=_("Departments"), queryset=Department.objects.none(), required=False
    )
    write_departments = forms.ModelMultipleChoiceField(
        label=_("Departments"), queryset=Department.objects.none(), required=False
    )

    GRANTS = (("users", "user"), ("positions", "position"), ("departments", "department"))

    def __init__(self, *args: Any, manager: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = active_users(self.initial.get("read_users", []) + self.initial.get("write_users", []))
        positions = org_selectors.position_choices(active_only=True)
        departments = org_selectors.department_choices()
        querysets = {"users": users, "positions": positions, "departments": departments}
        for plural, _kind in self.GRANTS:
            for level in ("read", "write"):
                field = cast(forms.ModelMultipleChoiceField, self.fields[f"{level}_{plural}"])
                field.queryset = querysets[plural]
                field.widget.attrs["size"] = 6
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = active_users(
            [self.initial["owner"]] if self.initial.get("owner") else []
        )
        if not manager:  # an owner shares their own calendar; the kind and owner stay
            del self.fields["kind"], self.fields["owner"], self.fields["active"]
        self.fields["colour"].widget.attrs["class"] = "form-control form-control-color"

    def values(self) -> dict[str, Any]:
        names = ("name", "kind", "owner", "colour", "public_to_staff", "active")
        return {n: self.cleaned_data[n] for n in names if n in self.fields}

    def grants(self) -> list[tuple[str, int, str]]:
        found: dict[tuple[str, int], str] = {}
        for plural, kind in self.GRANTS:
            for obj in self.cleaned_data.get(f"read_{plural}") or ():
                found.setdefault((kind, obj.pk), CalendarAccess.Level.READ)
            for obj in self.cleaned_data.get(f"write_{plural}") or ():
                found[(kind, obj.pk)] = CalendarAccess.Level.WRITE
        return [(kind, pk, level) for (kind, pk), level in found.items()]

    @classmethod
    def initial_for(cls, calendar: Calendar) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": calendar.name,
            "kind": calendar.kind,
            "owner": calendar.owner_id,
            "colour": calendar.colour,
            "public_to_staff": calendar.public_to_staff,
            "active": calendar.active,
        }
        for plural, kind in cls.GRANTS:
            for level in ("read", "write"):
                initial[f"{level}_{plural}"] = [
                    getattr(row, f"{kind}_id")
                    for row in calendar.access.all()
                    if row.level == level and getattr(row, f"{kind}_id")
                ]
        return initial


class RoomForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=10000, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
