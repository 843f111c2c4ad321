"""Forms of the work report pages (AC-11): the report with its lines (a small formset),
the list filter and the period of the performance figures, in the user's calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.activities.models import WorkReport
from crm.activities.web.item_forms import identity_field
from crm.core.i18n.calendars import JALALI, from_jalali, get_calendar, to_jalali
from crm.core.i18n.forms import UserDateField
from crm.core.web.admin_forms import bootstrapify

MAX_LINES = 30


class WorkReportForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=WorkReport.Period.choices, initial=WorkReport.Period.DAILY)
    date_from = UserDateField(label=_("From"), initial=timezone.localdate)
    date_to = UserDateField(
        label=_("Until"),
        required=False,
        help_text=_("Empty: the same day for a daily report, six days on for a weekly one."),
    )
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and not end:
            end = start + dt.timedelta(days=6) if data.get("period") == WorkReport.Period.WEEKLY else start
            data["date_to"] = end
        if start and end and end < start:
            self.add_error("date_to", _("The end must not be before the start."))
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "period": data["period"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "summary": data["summary"],
        }


class LineForm(forms.Form):
    text = forms.CharField(label=_("What was done"), max_length=500, required=False)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=7 * 24 * 60, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["identity"] = identity_field(user, multiple=False, label=_("About identity"))
        self.order_fields(["text", "identity", "minutes"])
        bootstrapify(self)
        self.fields["minutes"].widget.attrs.update({"inputmode": "numeric", "dir": "ltr"})

    def payload(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        text = (data.get("text") or "").strip()
        if not text:
            return None
        identity = data.get("identity")
        return {"text": text, "identity_id": identity.pk if identity else None, "minutes": data.get("minutes")}


def line_formset(data: Any, *, user: Any, initial: list[dict[str, Any]] | None, extra: int) -> Any:
    factory = forms.formset_factory(LineForm, extra=extra, max_num=MAX_LINES, validate_max=True, absolute_max=MAX_LINES)
    return factory(data, prefix="lines", initial=initial, form_kwargs={"user": user})


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"), required=False, choices=[("", _("Any period")), *WorkReport.Period.choices]
    )

    def __init__(self, *args: Any, staff: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        if len(staff) > 1:
            self.fields["staff"] = forms.TypedChoiceField(
                label=_("Staff"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("Everyone I may see")), *[(u.pk, str(u)) for u in staff]],
            )
        bootstrapify(self)

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


def month_start(day: dt.date) -> dt.date:
    """The first day of `day`'s month in the user's calendar."""
    if get_calendar() == JALALI:
        j = to_jalali(day)
        return from_jalali(j.year, j.month, 1)
    return day.replace(day=1)


class PerformanceForm(forms.Form):
    since = UserDateField(label=_("From"))
    until = UserDateField(label=_("Until"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end must not be before the start."))
        if since and until and (until - since).days > 366 * 3:
            self.add_error("until", _("Choose a period of at most three years."))
        return data
