"""What CRM items plug into the platform: item types (histories, follow-ups, comments,
attachments), dashboard widgets and message kinds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.activities import selectors, services
from crm.activities.models import Call, Document, Meeting, Note, Task, WorkReportLine
from crm.core.dashboard.registry import Widget, register_widget
from crm.core.timeline.registry import ItemType, register_item_type, row_ids


def _ids(values: Iterable[str]) -> list[int]:
    return row_ids(values)


def _visible(base: Callable[[Any], QuerySet]) -> Callable[[Any, Iterable[str]], set[str]]:
    def visible(user: Any, ids: Iterable[str]) -> set[str]:
        qs = base(user).filter(pk__in=_ids(ids))
        return {str(pk) for pk in qs.values_list("pk", flat=True)}

    return visible


def _titles(model: type[Model], field: str) -> Callable[[Iterable[str]], dict[str, str]]:
    def titles(ids: Iterable[str]) -> dict[str, str]:
        rows = model._base_manager.filter(pk__in=_ids(ids)).values_list("pk", field)  # type: ignore[attr-defined]
        return {str(pk): str(value) for pk, value in rows}

    return titles


def _url(name: str) -> Callable[[str], str | None]:
    return lambda item_id: reverse(f"activities:{name}", args=[item_id]) if row_ids([item_id]) else None


register_item_type(
    ItemType(
        key=services.MEETING,
        label=pgettext_lazy("meeting", "Appointment"),
        icon="bi-calendar-event",
        url=_url("meeting_detail"),
        visible_ids=_visible(lambda user: selectors.meeting_base_for_user(user=user)),
        titles=_titles(Meeting, "subject"),
    )
)
register_item_type(
    ItemType(
        key=services.TASK,
        label=_("Task"),
        icon="bi-check2-square",
        url=_url("task_detail"),
        visible_ids=_visible(lambda user: selectors.task_base_for_user(user=user)),
        titles=_titles(Task, "title"),
    )
)
register_item_type(
    ItemType(
        key=services.CALL,
        label=_("Phone call"),
        icon="bi-telephone",
        url=_url("call_detail"),
        visible_ids=_visible(lambda user: selectors.call_list_for_user(user=user)),
        titles=_titles(Call, "subject"),
    )
)
register_item_type(
    ItemType(
        key=services.NOTE,
        label=_("Note"),
        icon="bi-journal-text",
        url=_url("note_detail"),
        visible_ids=_visible(lambda user: selectors.note_list_for_user(user=user)),
        titles=_titles(Note, "title"),
    )
)
register_item_type(
    ItemType(
        key=services.DOCUMENT,
        label=_("File"),
        icon="bi-file-earmark",
        url=_url("document_detail"),
        visible_ids=_visible(lambda user: selectors.document_list_for_user(user=user)),
        titles=_titles(Document, "title"),
    )
)


def _report_line_visible(user: Any, ids: Iterable[str]) -> set[str]:
    reports = selectors.work_report_list_for_user(user=user)
    rows = WorkReportLine.objects.filter(pk__in=_ids(ids), report__in=reports).values_list("pk", flat=True)
    return {str(pk) for pk in rows}


def _report_line_url(item_id: str) -> str | None:
    line = WorkReportLine.objects.filter(pk__in=row_ids([item_id])).only("report_id").first()
    return reverse("activities:report_detail", args=[line.report_id]) if line else None


register_item_type(
    ItemType(
        key=services.REPORT_LINE,
        label=_("Work report"),
        icon="bi-clipboard-check",
        url=_report_line_url,
        visible_ids=_report_line_visible,
        titles=_titles(WorkReportLine, "text"),
    )
)


def _today(user: Any) -> dict[str, Any]:
    return {"occurrences": selectors.meetings_today(user=user)}


def _my_tasks(user: Any) -> dict[str, Any]:
    return {
        "rows": list(selectors.task_cartable(user=user, box="received")[:8]),
        "counts": selectors.task_cartable_counts(user=user),
        "now": timezone.now(),
    }


register_widget(
    Widget(
        key="today_meetings",
        title=_("Today's appointments"),
        template="activities/widgets/today_meetings.html",
        context=_today,
        icon="bi-calendar-day",
        order=10,
    )
)
register_widget(
    Widget(
        key="my_tasks",
        title=_("My tasks"),
        template="activities/widgets/my_tasks.html",
        context=_my_tasks,
        icon="bi-check2-square",
        order=15,
    )
)
register_widget(
    Widget(
        key="quick_create",
        title=_("Quick create"),
        template="activities/widgets/quick_create.html",
        context=lambda user: {},
        icon="bi-plus-circle",
        order=6,
    )
)
