"""`{% item_panel item_type item_id %}`: follow-ups, comments and files of any CRM item,
for the signed-in user (nothing when they may not see the item)."""

from __future__ import annotations

from typing import Any

from django import template

from crm.core.items.selectors import item_panel as item_panel_data

register = template.Library()


@register.inclusion_tag("core/items/panel.html", takes_context=True)
def item_panel(context: dict[str, Any], item_type: str, item_id: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    data = item_panel_data(user=user, item_type=item_type, item_id=item_id) if user else None
    return {"panel": data, "request": request, "csrf_token": context.get("csrf_token")}
