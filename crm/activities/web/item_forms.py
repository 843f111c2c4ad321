"""Forms of the call, note and file pages (AC-4 … AC-6), and the identity picker they
share with the work report lines: a search box (htmx) whose results are checkboxes or
radio buttons of identities the user may see; nothing else can be chosen."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.activities.models import Call
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.forms import UserDateField, UserDateTimeField
from crm.core.web.admin_forms import bootstrapify
from crm.identities.selectors import identity_base_for_user

PICKER_FIELD = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")


class IdentityPicker(forms.Widget):
    """Chosen identities as checked boxes (or one checked radio) plus a live search that
    offers more (activities:identity_pick). `queryset` is set by the form: the identities
    the user may see, so labels never leak one they may not."""

    template_name = "activities/calls/identity_picker.html"

    def __init__(self, *, multiple: bool = False, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.multiple = multiple
        self.queryset: Any = None

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if self.multiple:
            return data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # nothing ticked means "none"

    def format_value(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        return [str(getattr(v, "pk", v)) for v in values if str(getattr(v, "pk", v)).isdigit()]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        ids = [int(v) for v in context["widget"]["value"]]
        chosen = list(self.queryset.filter(pk__in=ids)) if ids and self.queryset is not None else []
        context["widget"].update(
            {
                "multiple": self.multiple,
                "chosen": chosen,
                "found": [],
                "pick_url": reverse("activities:identity_pick"),
            }
        )
        return context


def identity_field(user: Any, *, multiple: bool, label: Any, required: bool = False) -> forms.Field:
    queryset = identity_base_for_user(user=user)
    widget = IdentityPicker(multiple=multiple)
    widget.queryset = queryset
    if multiple:
        return forms.ModelMultipleChoiceField(queryset=queryset, required=required, label=label, widget=widget)
    return forms.ModelChoiceField(queryset=queryset, required=required, label=label, widget=widget)


def parse_duration(text: str) -> int | None:
    """'4:05' → 245, '1:02:03' → 3723, '90' → 90 (seconds); Persian digits welcome."""
    text = to_latin_digits(text or "").strip().replace("٫", ":").replace(".", ":")
    if not text:
        return 0
    parts = text.split(":")
    if len(parts) > 3 or not all(p.strip().isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts]
    if len(numbers) > 1 and any(n >= 60 for n in numbers[1:]):
        return None
    seconds = 0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds if seconds <= 7 * 24 * 3600 else None


def format_duration(seconds: int | None) -> str:
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class CallForm(forms.Form):
    direction = forms.ChoiceField(label=_("Direction"), choices=Call.Direction.choices, initial=Call.Direction.INCOMING)
    their_number = forms.CharField(
        label=_("Their number"),
        max_length=40,
        required=False,
        help_text=_("Any format; the identity is found from the number when none is chosen."),
    )
    our_number = forms.CharField(label=_("Our number / extension"), max_length=20, required=False)
    started_at = UserDateTimeField(label=_("Time"), initial=timezone.now)
    duration = forms.CharField(
        label=pgettext_lazy("call", "Duration"),
        max_length=12,
        required=False,
        help_text=_("Minutes:seconds (4:05) or seconds (245)."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=250, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["identity"] = identity_field(user, multiple=False, label=_("Identity"))
        order = ["direction", "their_number", "our_number", "started_at", "duration", "identity", "subject"]
        self.order_fields([*order, "description"])
        for name in ("their_number", "our_number", "duration"):
            self.fields[name].widget.attrs.update(
                {"dir": "ltr", "inputmode": "tel" if name != "duration" else "numeric"}
            )
        self.fields["duration"].widget.attrs["placeholder"] = "m:ss"
        bootstrapify(self)

    def clean_duration(self) -> int:
        seconds = parse_duration(self.cleaned_data.get("duration") or "")
        if seconds is None:
            raise forms.ValidationError(_("Write the duration as minutes:seconds, e.g. 4:05."))
        return seconds

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "direction": data["direction"],
            "their_number": data["their_number"],
            "our_number": to_latin_digits(data["our_number"]).strip(),
            "started_at": data["started_at"],
            "duration_seconds": data["duration"],
            "identity": data.get("identity"),
            "subject": data["subject"].strip(),
            "description": data["description"],
        }


def call_initial(call: Call) -> dict[str, Any]:
    from crm.identities.phones import display_phone

    return {
        "direction": call.direction,
        "their_number": display_phone(call.their_number) if call.their_number else "",
        "our_number": call.our_number,
        "started_at": call.started_at,
        "duration": format_duration(call.duration_seconds),
        "identity": call.identity_id,
        "subject": call.subject,
        "description": call.description,
    }


class DateRangeMixin(forms.Form):
    since = UserDateField(label=_("From"), required=False)
    until = UserDateField(label=_("Until"), required=False)

    def window(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[since 00:00, the day after until 00:00) in the server's time zone."""
        data = self.cleaned_data if self.is_valid() else {}
        since, until = data.get("since"), data.get("until")
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min)) if since else None
        end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min)) if until else None
        return start, end


class CallFilterForm(DateRangeMixin):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, choices=[("", _("Any direction")), *Call.Direction.choices]
    )

    def __init__(self, *args: Any, user: Any, users: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if users is not None:
            self.fields["user"] = forms.ModelChoiceField(
                label=_("Handled by"), queryset=users, required=False, empty_label=_("Anyone")
            )
        self.fields["identity"] = identity_field(user, multiple=False, label=_("Identity"))
        bootstrapify(self)

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


class ItemFilterForm(DateRangeMixin):
    """Notes and files: text and linked identity."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["identity"] = identity_field(user, multiple=False, label=_("Identity"))
        bootstrapify(self)

    def value(self, name: str) -> Any:
        return self.cleaned_data.get(name) if self.is_valid() else None


class NoteForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=250)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Simple formatting (HTML) is kept; scripts and styles are removed."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["identities"] = identity_field(user, multiple=True, label=_("Identities"))
        bootstrapify(self)


class DocumentForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=250, required=False, help_text=_("The file name when left empty.")
    )
    upload = forms.FileField(label=_("File"))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["identities"] = identity_field(user, multiple=True, label=_("Identities"))
        bootstrapify(self)


class NewVersionForm(forms.Form):
    upload = forms.FileField(label=_("New version"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        bootstrapify(self)
