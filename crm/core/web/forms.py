from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

CALENDAR_CHOICES = [("", _("By language")), ("jalali", _("Jalali (Solar Hijri)")), ("gregorian", _("Gregorian"))]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("By browser")), *settings.LANGUAGES], required=False
    )
    calendar = forms.ChoiceField(label=_("Calendar"), choices=CALENDAR_CHOICES, required=False)
    notify_by_email = forms.BooleanField(label=_("Also send my notifications by email"), required=False)
    notify_by_sms = forms.BooleanField(label=_("Also send my notifications by SMS to my mobile"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field, forms.BooleanField):
                field.widget.attrs["class"] = "form-select"


class SavedFilterForm(forms.Form):
    list_key = forms.SlugField(max_length=64)
    name = forms.CharField(max_length=120)
    query = forms.CharField(max_length=2000, required=False)
    shared = forms.BooleanField(required=False)


class WidgetOrderForm(forms.Form):
    order = forms.CharField(max_length=2000)
