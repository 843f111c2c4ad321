"""Stock moved by sales documents (SL-7, IN-1): called by the handlers registered on
`crm.sales.events`, inside the approval's transaction, so a refusal (not enough stock, a
serial not in stock) rolls the approval back with its message.

| document            | on approval                    | serials                             |
| ------------------- | ------------------------------ | ----------------------------------- |
| sales invoice       | goods issue from its warehouse | sold to the customer, warranty set  |
| purchase invoice    | goods receipt                  | into stock                          |
| sales return        | goods receipt (back in stock)  | back into stock                     |
| purchase return     | goods issue (to the supplier)  | returned to supplier                |

Exactly once: a document version has at most one originating move (a partial unique
constraint on source document + version); an approval heard twice finds it and stops.
"Unapproved" (edited after approval) and "cancelled" reverse the document's live moves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.inventory.errors import InventoryError, InventoryErrorCode
from crm.inventory.models import MoveKind, StockMove, Warehouse
from crm.inventory.services import Change, SerialEffect, _record, _reverse, default_warehouse, is_stocked
from crm.sales.models import Direction, Document, Kind

# (kind, direction) -> (movement kind, sign of the stock change, serial effect)
PLANS = {
    (Kind.INVOICE, Direction.SALE): (MoveKind.ISSUE, -1, "sell"),
    (Kind.INVOICE, Direction.PURCHASE): (MoveKind.RECEIPT, 1, "receive"),
    (Kind.RETURN, Direction.SALE): (MoveKind.RECEIPT, 1, "receive"),
    (Kind.RETURN, Direction.PURCHASE): (MoveKind.ISSUE, -1, "return_to_supplier"),
}


def stock_in_use() -> bool:
    """Stock is kept once a warehouse exists; before that, approvals move nothing."""
    return Warehouse.objects.exists()


def document_warehouse(document: Document) -> Warehouse | None:
    """The document's warehouse, else the default one; None when no warehouse exists."""
    if document.warehouse_id:
        warehouse = Warehouse.objects.filter(pk=document.warehouse_id).first()
        if warehouse is not None:
            return warehouse
    warehouse = default_warehouse()
    if warehouse is None and stock_in_use():
        raise InventoryError(InventoryErrorCode.NO_WAREHOUSE)
    return warehouse


def _approval_day(document: Document) -> dt.date:
    if document.approved_at:
        return timezone.localdate(document.approved_at)
    return timezone.localdate()


@transaction.atomic
def stock_for_document(*, document: Document, actor: Any) -> StockMove | None:
    """The movement for an approved invoice or return (made once per document version)."""
    plan = PLANS.get((document.kind, document.direction))
    if plan is None:
        return None
    existing = StockMove.objects.filter(
        source_document_id=document.pk, source_version=document.version, reversal_of__isnull=True
    ).first()
    if existing is not None:
        return existing
    kind, sign, effect_kind = plan
    lines = [
        line
        for line in document.lines.select_related("product").order_by("position", "id")
        if is_stocked(line.product) and line.quantity > 0
    ]
    if not lines:
        return None
    warehouse = document_warehouse(document)
    if warehouse is None:  # stock is not kept (no warehouse yet)
        return None
    day = _approval_day(document)
    effect = SerialEffect(effect_kind, identity_id=document.identity_id, on=day)
    changes = [
        Change(
            line.product,
            warehouse,
            sign * line.quantity,
            [str(s).strip() for s in (line.serials or []) if str(s).strip()],
            effect,
            line.description,
        )
        for line in lines
    ]
    move = StockMove(
        kind=kind,
        warehouse=warehouse,
        moved_on=day,
        identity_id=document.identity_id,
        notes=str(document),
        source_document_id=document.pk,
        source_version=document.version,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    # the document is in the customer's history already (sales records it on approval)
    return _record(move=move, changes=changes, actor=actor, history=False)


@transaction.atomic
def stock_reverse_for_document(*, document: Document, actor: Any) -> list[StockMove]:
    """Undo the live movements of a document whose approval was withdrawn or which was cancelled."""
    live = StockMove.objects.filter(
        source_document_id=document.pk, reversal_of__isnull=True, status=StockMove.Status.DONE
    ).order_by("id")
    return [_reverse(move=move, actor=actor, note=str(document)) for move in live]


def document_moves(*, document_id: int) -> list[StockMove]:
    return list(StockMove.objects.filter(source_document_id=document_id).select_related("warehouse").order_by("id"))
