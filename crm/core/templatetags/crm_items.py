"""Template helpers for what hangs on CRM items and for the top bar.

- `{% item_panel item_type item_id %}`: comments, the user's own follow-ups and files of
  any CRM item (nothing at all when the user may not see the item).
- `{{ comment.body|mentions_marked }}`: the text, escaped, with line breaks and each
  `@mention` highlighted.
- `{% reschedule_form followup as form %}`: the panel's reschedule form, prefilled.
- `{% unread_notification_count as n %}`: the bell's badge.
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from crm.core.items.services import MENTION_TOKEN

register = template.Library()


@register.inclusion_tag("core/items/panel.html", takes_context=True)
def item_panel(context: dict[str, Any], item_type: str, item_id: Any) -> dict[str, Any]:
    from crm.core.web.item_views import panel_context

    request = context.get("request")
    user = getattr(request, "user", None)
    data = None
    if request is not None and user is not None and user.is_authenticated:
        data = panel_context(request, item_type, str(item_id), next_url=request.get_full_path())
    if data is None:
        return {"panel": None}
    data["csrf_token"] = context.get("csrf_token")
    return data


_ESCAPED_MENTION = re.compile(MENTION_TOKEN.pattern, re.UNICODE)


@register.filter
def mentions_marked(text: str) -> SafeString:
    """Escape first, then wrap @tokens (escaping never produces '@' or word characters
    out of nothing, so the token pattern is safe to run on the escaped text)."""
    escaped = str(escape(text or ""))
    marked = _ESCAPED_MENTION.sub(
        lambda m: f'<span class="crm-mention" dir="auto">@{m.group(1)}</span>',
        escaped,
    )
    return mark_safe(marked.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308 - escaped above


@register.simple_tag
def reschedule_form(followup: Any) -> Any:
    from crm.core.web.item_views import RescheduleForm

    return RescheduleForm(
        initial={"due_at": followup.due_at, "note": followup.note}, auto_id=f"followup-{followup.pk}-%s"
    )


@register.simple_tag(takes_context=True)
def unread_notification_count(context: dict[str, Any]) -> int:
    from crm.core.notifications.selectors import unread_count

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unread_count(user=user)
