"""What stock hears from other contexts (imported by AppConfig.ready()):
- sales approvals move stock (`crm.inventory.sales_link`);
- document lines show what is on hand in the document's warehouse;
- an inbound SMS with a serial number gets its authenticity answer (when messaging has
  its inbound handlers)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from crm.core.i18n.formatting import format_number
from crm.inventory.errors import InventoryError, InventoryErrorCode
from crm.inventory.models import StockLevel, Warehouse
from crm.inventory.sales_link import stock_for_document, stock_reverse_for_document
from crm.inventory.serial_check import inbound_serial_check
from crm.inventory.services import default_warehouse, is_stocked
from crm.sales.errors import SalesError, SalesErrorCode
from crm.sales.events import on_document, register_line_info


def _as_sales_error(exc: InventoryError) -> SalesError:
    """The approval shows the sales context's error; the stock message is its detail."""
    if exc.code == InventoryErrorCode.NOT_ENOUGH_STOCK:
        detail = _("“%(product)s” in %(warehouse)s: %(available)s on hand, %(needed)s needed.") % exc.params
        error = SalesError(SalesErrorCode.NOT_ENOUGH_STOCK, detail=detail)
    else:
        error = SalesError(SalesErrorCode.HANDLER_REFUSED, detail=exc.message)
    error.status = exc.status
    return error


def _approved(*, document: Any, actor: Any) -> None:
    try:
        stock_for_document(document=document, actor=actor)
    except InventoryError as exc:
        raise _as_sales_error(exc) from exc


def _withdrawn(*, document: Any, actor: Any) -> None:
    try:
        stock_reverse_for_document(document=document, actor=actor)
    except InventoryError as exc:
        raise _as_sales_error(exc) from exc


on_document("approved", _approved)
on_document("unapproved", _withdrawn)
on_document("cancelled", _withdrawn)


def stock_line_info(*, document: Any, lines: Any) -> dict[int, str]:
    """ "On hand: 12 in Central" for each stocked line (one query for all of them)."""
    lines = [line for line in lines if getattr(line, "pk", None) and is_stocked(line.product)]
    if not lines:
        return {}
    warehouse = None
    if getattr(document, "warehouse_id", None):
        warehouse = Warehouse.objects.filter(pk=document.warehouse_id).first()
    warehouse = warehouse or default_warehouse()
    if warehouse is None:
        return {}
    on_hand = dict(
        StockLevel.objects.filter(warehouse=warehouse, product_id__in={line.product_id for line in lines}).values_list(
            "product_id", "quantity"
        )
    )
    return {
        line.pk: _("On hand: %(quantity)s in %(warehouse)s")
        % {"quantity": format_number(on_hand.get(line.product_id, 0)), "warehouse": warehouse.name}
        for line in lines
    }


register_line_info(stock_line_info)

try:
    from crm.messaging.inbound import register_inbound_handler
except ImportError:  # messaging without inbound handlers: the service alone answers
    pass
else:
    register_inbound_handler("serial_check", inbound_serial_check)
