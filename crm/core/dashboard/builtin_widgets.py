"""Platform widgets: today (both calendars + next holidays), my recent changes."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jdatetime
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.audit.selectors import audit_entries_by_actor
from crm.core.dashboard.registry import Widget, register_widget


@cache
def _occasions() -> dict[str, Any]:
    return json.loads((Path(__file__).resolve().parent.parent / "data" / "occasions.json").read_text("utf-8"))


def upcoming_holidays(*, today: jdatetime.date, count: int = 3) -> list[dict[str, Any]]:
    """The next fixed official holidays of the Jalali calendar from `today` on."""
    found = []
    for year in (today.year, today.year + 1):
        for item in _occasions()["fixed_jalali_official_holidays"]:
            day = jdatetime.date(year, item["month"], item["day"])
            if day >= today:
                found.append({"date": day.togregorian(), "name": item["name"]})
    found.sort(key=lambda h: h["date"])
    return found[:count]


def _today_context(user: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {"today": today, "holidays": upcoming_holidays(today=jdatetime.date.fromgregorian(date=today))}


def _recent_context(user: Any) -> dict[str, Any]:
    return {"entries": list(audit_entries_by_actor(actor_id=user.pk, limit=8))}


register_widget(
    Widget(
        key="today",
        title=_("Today"),
        template="core/widgets/today.html",
        context=_today_context,
        icon="bi-calendar-event",
        order=10,
    )
)
register_widget(
    Widget(
        key="recent_changes",
        title=_("My recent changes"),
        template="core/widgets/recent_changes.html",
        context=_recent_context,
        icon="bi-clock-history",
        order=90,
    )
)


def _followups_context(user: Any) -> dict[str, Any]:
    from crm.core.items.selectors import followups_for_user
    from crm.core.timeline.registry import item_title, item_url

    rows = list(followups_for_user(user=user)[:10])
    for row in rows:
        row.item_title = item_title(row.item_type, row.item_id)  # type: ignore[attr-defined]
        row.item_url = item_url(row.item_type, row.item_id)  # type: ignore[attr-defined]
    return {"followups": rows, "now": timezone.now()}


def _mentions_context(user: Any) -> dict[str, Any]:
    from crm.core.items.selectors import mentions_for_user
    from crm.core.timeline.registry import item_title, item_url

    rows = list(mentions_for_user(user=user)[:8])
    for row in rows:
        row.item_title = item_title(row.comment.item_type, row.comment.item_id)  # type: ignore[attr-defined]
        row.item_url = item_url(row.comment.item_type, row.comment.item_id)  # type: ignore[attr-defined]
    return {"mentions": rows}


register_widget(
    Widget(
        key="my_followups",
        title=_("My follow-ups"),
        template="core/widgets/followups.html",
        context=_followups_context,
        icon="bi-alarm",
        order=12,
    )
)
register_widget(
    Widget(
        key="mentions",
        title=_("Mentions"),
        template="core/widgets/mentions.html",
        context=_mentions_context,
        icon="bi-at",
        order=14,
    )
)
