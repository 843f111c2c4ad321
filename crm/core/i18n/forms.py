"""Form fields that show and accept dates in the user's calendar (PL-2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.i18n.calendars import JALALI, get_calendar, parse_user_date
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.formatting import input_date_value


class UserDateInput(forms.TextInput):
    """Text input enhanced by the front-end date picker (data-datepicker)."""

    kind = "date"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        calendar = get_calendar()
        attrs = {
            **(attrs or {}),
            "data-datepicker": self.kind,
            "data-calendar": calendar,
            "autocomplete": "off",
            "dir": "ltr",
            "placeholder": "1405/01/31" if calendar == JALALI else "2026-04-20",
            "inputmode": "numeric",
        }
        if self.kind == "datetime":
            attrs["placeholder"] += " 09:30"
        return super().get_context(name, value, attrs)

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, dt.datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            return f"{input_date_value(local.date())} {local:%H:%M}"
        if isinstance(value, dt.date):
            return input_date_value(value)
        return super().format_value(value)


class UserDateTimeInput(UserDateInput):
    kind = "datetime"


class UserDateField(forms.DateField):
    widget = UserDateInput
    default_error_messages = {"invalid": _("Enter a valid date, e.g. 1405/01/31 or 2026-04-20.")}

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        parsed = parse_user_date(str(value))
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class UserDateTimeField(forms.DateTimeField):
    widget = UserDateTimeInput
    default_error_messages = {"invalid": _("Enter a valid date and time, e.g. 1405/01/31 09:30.")}

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value
        text = to_latin_digits(str(value)).strip().replace("T", " ")
        date_part, _sep, time_part = text.partition(" ")
        day = parse_user_date(date_part)
        try:
            clock = dt.time.fromisoformat(time_part.strip() or "00:00")
        except ValueError:
            clock = None
        if day is None or clock is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return timezone.make_aware(dt.datetime.combine(day, clock))
