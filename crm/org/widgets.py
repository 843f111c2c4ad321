from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from crm.core.dashboard.registry import Widget, register_widget
from crm.org.selectors import user_positions


def _context(user: Any) -> dict[str, Any]:
    return user_positions(user=user)


register_widget(
    Widget(
        key="my_positions",
        title=_("My positions"),
        template="org/widgets/my_positions.html",
        context=_context,
        icon="bi-diagram-3",
        order=20,
    )
)
