"""Forms of the task pages (AC-3, AC-12): the task form, refer and done, the cartable
filters, announcements and task types with their ordered steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.activities import selectors
from crm.activities.models import Task
from crm.core.i18n.digits import localize_digits
from crm.core.i18n.forms import UserDateField, UserDateTimeField
from crm.core.web.admin_forms import bootstrapify
from crm.identities.models import Identity
from crm.identities.selectors import identity_base_for_user
from crm.org import selectors as org_selectors

TASK_TYPE_HELP = _(
    "A task type with steps decides who gets the task: the first step opens now, each next one when the "
    "step before it is done. The people and positions chosen below are then ignored."
)


def active_users(also: Any = ()) -> QuerySet[Any]:
    return org_selectors.colleague_choices(also=also)


class StatusChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.label


class TaskTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        steps = len(obj.steps.all())
        return f"{obj.name} ({_('workflow')})" if steps else obj.name


class TaskForm(forms.Form):
    """New task (or, with `editing`, the fields a task keeps changeable: not its type or
    its first assignees; those change by referring it)."""

    title = forms.CharField(label=_("Title"), max_length=250)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    task_type = TaskTypeChoiceField(
        label=_("Task type"), queryset=selectors.task_types(), required=False, help_text=TASK_TYPE_HELP
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Task.Priority.choices, coerce=int, initial=Task.Priority.NORMAL
    )
    status = StatusChoiceField(label=_("Status"), queryset=selectors.task_statuses())
    due_at = UserDateTimeField(label=_("Due"), required=False)
    users = forms.ModelMultipleChoiceField(
        label=_("People"),
        queryset=active_users(),
        required=False,
        help_text=_(
            "Hold Ctrl (⌘ on a Mac) to choose more than one. Nobody and no position chosen: the task is for you."
        ),
    )
    positions = forms.ModelMultipleChoiceField(
        label=_("Positions"),
        queryset=org_selectors.position_choices(),
        required=False,
        help_text=_("A task sent to a position reaches whoever holds it today."),
    )
    identities = forms.ModelMultipleChoiceField(
        label=_("About identities"),
        queryset=Identity.objects.none(),
        required=False,
        widget=forms.MultipleHiddenInput,  # drawn by the template as chips + a search box
    )

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identities"].queryset = identity_base_for_user(user=user)  # type: ignore[attr-defined]
        self.fields["task_type"].queryset = selectors.task_types()  # type: ignore[attr-defined]
        self.fields["status"].queryset = selectors.task_statuses()  # type: ignore[attr-defined]
        if not self.initial.get("status"):
            self.fields["status"].initial = selectors.task_statuses().filter(code="open").first()
        if editing:
            for name in ("task_type", "users", "positions"):
                del self.fields[name]
        bootstrapify(self)
        for name in ("users", "positions"):
            if name in self.fields:
                self.fields[name].widget.attrs["size"] = "6"

    def chosen_identities(self) -> list[Any]:
        """The identities to draw as chosen: what was posted (if valid) or the initial ones."""
        field = self.fields["identities"]
        getlist = getattr(self.data, "getlist", None)
        raw = (getlist("identities") if getlist else []) if self.is_bound else self.initial.get("identities", [])
        ids = [int(v) for v in (str(getattr(r, "pk", r)) for r in raw) if v.isdigit()]
        return list(field.queryset.filter(pk__in=ids)) if ids else []  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            name: data[name] for name in ("title", "description", "priority", "status", "due_at") if name in data
        } | ({"task_type": data.get("task_type")} if "task_type" in self.fields else {})


class ReferForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("Refer to"), queryset=active_users())
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = active_users().exclude(pk=user.pk)  # type: ignore[attr-defined]
        bootstrapify(self)


class DoneForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


SORTS = [
    ("", _("Newest first")),
    ("due", _("Due soonest")),
    ("priority", _("Highest priority")),
]


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class CartableFilterForm(forms.Form):
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=[("", "—"), *Task.Priority.choices], coerce=int, empty_value=None, required=False
    )
    status = StatusChoiceField(label=_("Status"), queryset=selectors.task_statuses(active_only=False), required=False)
    due_from = UserDateField(label=_("Due from"), required=False)
    due_to = UserDateField(label=_("Due until"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].queryset = selectors.task_statuses(active_only=False)  # type: ignore[attr-defined]
        bootstrapify(self)
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = css.replace("form-select", "form-select form-select-sm").replace(
                "form-control", "form-control form-control-sm"
            )

    @property
    def active(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.get(n) for n in self.fields)

    def apply(self, qs: QuerySet[Any], *, tasks: bool) -> QuerySet[Any]:
        """Narrow and sort a cartable: rows of TaskAssignee, or Task rows (`tasks`) for
        the "created" box. The rows carry their task's priority and due time (one index)."""
        if not self.is_bound or not self.is_valid():
            return qs
        data = self.cleaned_data
        status = "status" if tasks else "task__status"
        if data.get("priority"):
            qs = qs.filter(priority=data["priority"])
        if data.get("status"):
            qs = qs.filter(**{status: data["status"]})
        if data.get("due_from"):
            qs = qs.filter(due_at__gte=_day_start(data["due_from"]))
        if data.get("due_to"):
            qs = qs.filter(due_at__lt=_day_start(data["due_to"] + dt.timedelta(days=1)))
        newest = "-created_at" if tasks else "-received_at"
        if data.get("sort") == "due":
            qs = qs.order_by(F("due_at").asc(nulls_last=True), "id")
        elif data.get("sort") == "priority":
            qs = qs.order_by("-priority", newest, "-id")
        return qs


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=250)
    description = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=org_selectors.department_choices(),
        required=False,
        help_text=_(
            "Nothing chosen: all staff. Sub-departments are not included unless chosen too. "
            "Hold Ctrl (⌘ on a Mac) to choose more than one."
        ),
    )
    due_at = UserDateTimeField(label=_("Due"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)
        self.fields["departments"].widget.attrs["size"] = "6"


class TaskTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)


class StepForm(forms.Form):
    title = forms.CharField(label=_("Step"), max_length=150, required=False)
    user = forms.ModelChoiceField(label=_("Person"), queryset=active_users(), required=False)
    position = forms.ModelChoiceField(
        label=_("or position"),
        queryset=org_selectors.position_choices(),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrapify(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("user") and data.get("position"):
            self.add_error("position", _("Choose a person or a position, not both."))
        elif data.get("title") and not (data.get("user") or data.get("position")) and not data.get("DELETE"):
            self.add_error("user", _("Choose who does this step: a person or a position."))
        return data

    def step(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("DELETE") or not (data.get("user") or data.get("position")):
            return None
        return {
            "title": data.get("title", "").strip(),
            "user_id": data["user"].pk if data.get("user") else None,
            "position_id": data["position"].pk if data.get("position") else None,
        }


MAX_STEPS = 30


class BaseStepFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        language = get_language()
        numbers = [(n, localize_digits(str(n), language)) for n in range(1, MAX_STEPS + 1)]
        form.fields["ORDER"].label = _("Order")
        form.fields["ORDER"].widget = forms.Select(choices=[("", "—"), *numbers], attrs={"class": "form-select w-auto"})
        form.fields["DELETE"].label = _("Remove")
        form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


StepFormSet = forms.formset_factory(
    StepForm,
    formset=BaseStepFormSet,
    extra=3,
    can_order=True,
    can_delete=True,
    max_num=MAX_STEPS,
    absolute_max=MAX_STEPS,
)


def step_initial(task_type: Any) -> list[dict[str, Any]]:
    return [
        {"title": s.title, "user": s.user_id, "position": s.position_id, "ORDER": s.order}
        for s in task_type.steps.all().order_by("order")
    ]
