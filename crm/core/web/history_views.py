"""The global CRM history (AC-9): every CRM item the user may see, newest first, with
filters (item type, user, identity, date range in the user's calendar), saved filters
and cursor paging ("older" carries `before=<time>,<id>` of the last row shown)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.forms import UserDateField
from crm.core.lists.selectors import saved_filters_for
from crm.core.timeline.registry import item_title, item_type_get, item_types, item_url, item_visible
from crm.core.timeline.selectors import crm_history_page

LIST_KEY = "crm_history"
PER_PAGE = 30
# identity profiles are registered as an item type by the identities context; the
# platform only knows the key (it never imports a context)
IDENTITY_ITEM_TYPE = "identities.identity"


class HistoryFilterForm(forms.Form):
    """The query string. Invalid parts are ignored (with a note), not shown as errors."""

    type = forms.ChoiceField(label=gettext_lazy("Item type"), required=False)
    user = forms.ChoiceField(label=gettext_lazy("User"), required=False)
    identity = forms.IntegerField(label=gettext_lazy("Identity (ID)"), required=False, min_value=1)
    since = UserDateField(label=gettext_lazy("From"), required=False)
    until = UserDateField(label=gettext_lazy("To"), required=False)

    def __init__(self, *args: Any, users: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["type"]).choices = [
            ("", _("All types")),
            *((t.key, str(t.label)) for t in item_types(history_only=True)),
        ]
        cast(forms.ChoiceField, self.fields["user"]).choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            *((str(u.pk), str(u)) for u in users),
        ]
        self.fields["identity"].widget = forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"})
        for field in self.fields.values():
            widget = field.widget
            css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control form-control-sm"
            widget.attrs["class"] = css

    def value(self, name: str) -> Any:
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


def _users() -> list[Any]:
    return list(get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username"))


def _cursor(raw: str) -> tuple[dt.datetime, int] | None:
    at, _sep, pk = raw.rpartition(",")
    try:
        moment = dt.datetime.fromisoformat(at)
        number = int(pk)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment, number


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@login_required
@require_GET
def crm_history(request: HttpRequest) -> HttpResponse:
    users = _users()
    data = request.GET.copy()
    if data.get("identity"):
        data["identity"] = to_latin_digits(str(data.get("identity", ""))).strip()
    form = HistoryFilterForm(data, users=users)
    form.is_valid()
    for name in form.errors:
        label = form.fields[name].label if name in form.fields else name
        messages.warning(request, _("The filter on “%(field)s” is not valid.") % {"field": label})

    item_type = form.value("type") or ""
    user_choice = form.value("user") or ""
    actor_ids: list[int] | None = None
    if user_choice == "me":
        actor_ids = [cast(int, request.user.pk)]
    elif user_choice.isdigit():
        actor_ids = [int(user_choice)]
    since_day, until_day = form.value("since"), form.value("until")
    identity_id = form.value("identity")
    identity_name = identity_url = None
    blocked = False
    if identity_id:
        if item_type_get(IDENTITY_ITEM_TYPE) and item_visible(request.user, IDENTITY_ITEM_TYPE, identity_id):
            identity_name = item_title(IDENTITY_ITEM_TYPE, identity_id)
            identity_url = item_url(IDENTITY_ITEM_TYPE, identity_id)
        else:
            blocked = True  # an identity one may not see has no history to show
    before = _cursor(request.GET.get("before", "")) if request.GET.get("before") else None

    if blocked:
        page: dict[str, Any] = {"rows": [], "next": None}
    else:
        page = crm_history_page(
            user=request.user,
            item_types=[item_type] if item_type else None,
            actor_ids=actor_ids,
            identity_id=identity_id,
            since=_day_start(since_day) if since_day else None,
            until=_day_start(until_day + dt.timedelta(days=1)) if until_day else None,
            before=before,
            per_page=PER_PAGE,
        )
    older = f"{page['next'][0].isoformat()},{page['next'][1]}" if page["next"] else ""
    return render(
        request,
        "core/history/crm_history.html",
        {
            "form": form,
            "rows": page["rows"],
            "older": older,
            "is_first": before is None,
            "identity_id": identity_id,
            "identity_name": identity_name,
            "identity_url": identity_url,
            "identity_blocked": blocked,
            "list_key": LIST_KEY,
            "saved_filters": saved_filters_for(user=request.user, list_key=LIST_KEY),
            "filtered": any(request.GET.get(k) for k in ("type", "user", "identity", "since", "until")),
        },
    )


urlpatterns = [
    path("history/", crm_history, name="crm_history"),
]
