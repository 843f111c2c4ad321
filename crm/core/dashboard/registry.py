"""Dashboard widgets: contexts register them in AppConfig.ready(); users pick and order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Widget:
    key: str
    title: str | Promise
    template: str
    context: Callable[[Any], dict[str, Any]]
    icon: str = "bi-grid"
    default: bool = True
    order: int = 100
    permission: str | None = None
    size: str = "col-lg-6"
    extra: dict[str, Any] = field(default_factory=dict)

    def allowed_for(self, user: Any) -> bool:
        return self.permission is None or user.has_perm(self.permission)


_widgets: dict[str, Widget] = {}


def register_widget(widget: Widget) -> Widget:
    _widgets[widget.key] = widget
    return widget


def widget_get(key: str) -> Widget | None:
    return _widgets.get(key)


def widgets_available(user: Any) -> list[Widget]:
    return sorted((w for w in _widgets.values() if w.allowed_for(user)), key=lambda w: (w.order, w.key))
