"""What stock plugs into the platform: the movement item type (identity histories,
follow-ups, comments, attachments) and the "below reorder level" dashboard widget."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core.dashboard.registry import Widget, register_widget
from crm.core.timeline.registry import ItemType, register_item_type, row_ids
from crm.identities.profile import ProfileTab, register_profile_tab
from crm.inventory import selectors
from crm.inventory.access import uses_any_warehouse
from crm.inventory.models import StockMove
from crm.inventory.services import MOVE_ITEM


def _visible(user: Any, ids: Iterable[str]) -> set[str]:
    qs = selectors.move_base_for_user(user=user).filter(pk__in=row_ids(ids))
    return {str(pk) for pk in qs.values_list("pk", flat=True)}


def _titles(ids: Iterable[str]) -> dict[str, str]:
    return {str(m.pk): str(m) for m in StockMove.objects.filter(pk__in=row_ids(ids))}


register_item_type(
    ItemType(
        key=MOVE_ITEM,
        label=_("Stock movement"),
        icon="bi-box-seam",
        url=lambda item_id: reverse("inventory:move_detail", args=[item_id]) if row_ids([item_id]) else None,
        visible_ids=_visible,
        titles=_titles,
    )
)


def _below_reorder(user: Any) -> dict[str, Any]:
    if not uses_any_warehouse(user):
        return {"rows": []}
    return {"rows": selectors.below_reorder_for_user(user=user)}


register_widget(
    Widget(
        key="below_reorder",
        title=_("Below reorder level"),
        template="inventory/widgets/below_reorder.html",
        context=_below_reorder,
        icon="bi-exclamation-triangle",
        default=False,
        order=60,
    )
)


def _serials_tab(request: HttpRequest, identity: Any) -> str:
    """Serial numbers sold to this identity, with their warranty (stock users only)."""
    serials = list(selectors.serial_list_for_user(user=request.user, identity_id=identity.pk)[:100])
    return render_to_string("inventory/profile_serials.html", {"serials": serials}, request=request)


register_profile_tab(
    ProfileTab(key="inventory_serials", label=_("Serial numbers"), render=_serials_tab, permission=None, order=45)
)
