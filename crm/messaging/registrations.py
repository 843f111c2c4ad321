"""Messages in identity histories and the CRM history, with comments, follow-ups and
attachments through the shared item mechanism."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core.timeline.registry import ItemType, register_item_type, row_ids
from crm.messaging.access import messages_visible_to
from crm.messaging.models import Message
from crm.messaging.sending import MESSAGE_ITEM


def _visible(user: Any, ids: Iterable[str]) -> set[str]:
    qs = messages_visible_to(user).filter(pk__in=row_ids(ids))
    return {str(pk) for pk in qs.values_list("pk", flat=True)}


def _titles(ids: Iterable[str]) -> dict[str, str]:
    rows = Message.objects.filter(pk__in=row_ids(ids)).values_list("pk", "subject", "body", "to_address")
    return {str(pk): (subject or " ".join(body.split())[:80] or to) for pk, subject, body, to in rows}


register_item_type(
    ItemType(
        key=MESSAGE_ITEM,
        label=_("Message"),
        icon="bi-envelope",
        url=lambda item_id: reverse("messaging:message_detail", args=[item_id]) if row_ids([item_id]) else None,
        visible_ids=_visible,
        titles=_titles,
    )
)
