from __future__ import annotations

from typing import Any

from crm.core.dashboard.models import DashboardLayout
from crm.core.dashboard.registry import widgets_available


def dashboard_keys_for(user: Any) -> list[str]:
    available = [w.key for w in widgets_available(user)]
    layout = DashboardLayout.objects.filter(user=user).first()
    if layout is None:
        return [w.key for w in widgets_available(user) if w.default]
    return [key for key in layout.widgets if key in available]


def dashboard_set(*, user: Any, keys: list[str]) -> list[str]:
    """Save the user's widget choice and order; unknown or forbidden keys are dropped."""
    available = {w.key for w in widgets_available(user)}
    clean = list(dict.fromkeys(k for k in keys if k in available))
    DashboardLayout.objects.update_or_create(user=user, defaults={"widgets": clean})
    return clean


def dashboard_add(*, user: Any, key: str) -> list[str]:
    return dashboard_set(user=user, keys=[*dashboard_keys_for(user), key])


def dashboard_remove(*, user: Any, key: str) -> list[str]:
    return dashboard_set(user=user, keys=[k for k in dashboard_keys_for(user) if k != key])


def dashboard_move(*, user: Any, key: str, step: int) -> list[str]:
    keys = dashboard_keys_for(user)
    if key in keys:
        i = keys.index(key)
        j = max(0, min(len(keys) - 1, i + step))
        keys.insert(j, keys.pop(i))
    return dashboard_set(user=user, keys=keys)
