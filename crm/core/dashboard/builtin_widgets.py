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
