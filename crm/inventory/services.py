"""Writes of the stock context: warehouses and their access, movements (receipts, issues,
transfers, adjustments) and their reversal, reorder levels and purchase requests.

Every stock change goes through `_record`, inside the caller's transaction:
1. the StockLevel rows it touches are created if missing, then locked with
   SELECT … FOR UPDATE in a fixed order (product id, warehouse id), so two movements on
   the same products queue instead of deadlocking;
2. the new quantities are checked (no negative stock unless the warehouse allows it) and
   the serials are locked and checked;
3. only then is the movement numbered (the numbering counter's lock is held the shortest
   time and always after the level locks), stored with its signed lines, the levels and
   serials updated, reorder crossings alerted, the move audited and put in the identity's
   history.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.errors import CoreError, CoreErrorCode
from crm.core.i18n.formatting import format_number
from crm.core.notifications.registry import MessageKind, register_message_kind
from crm.core.notifications.services import notify
from crm.core.numbering.models import DocumentNumbering, NumberSequence
from crm.core.numbering.services import document_number_next, document_numbering_for
from crm.core.permissions.access import require_perm
from crm.core.timeline.services import timeline_record
from crm.inventory.access import can_move, forget_warehouse_access, warehouse_keepers
from crm.inventory.errors import InventoryError, InventoryErrorCode
from crm.inventory.models import (
    MoveKind,
    PurchaseRequest,
    Serial,
    StockLevel,
    StockMove,
    StockMoveLine,
    Warehouse,
    WarehouseAccess,
)
from crm.sales.models import Product

Code = InventoryErrorCode
MOVE_ITEM = "inventory.move"
REORDER_KIND = "inventory.reorder"
ZERO = Decimal(0)

register_message_kind(
    MessageKind(
        key=REORDER_KIND,
        label=_("Stock below its reorder level"),
        subject=_("Reorder: {{ product }}"),
        body=_("{{ product }} in {{ warehouse }} is down to {{ quantity }} (reorder level {{ level }})."),
        placeholders={
            "product": _("product"),
            "warehouse": _("warehouse"),
            "quantity": _("quantity on hand"),
            "level": _("reorder level"),
        },
    )
)


# --- helpers -------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it has no such day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_stocked(product: Product) -> bool:
    return product.kind == Product.Kind.GOODS and product.tracking != Product.Tracking.NONE


def plain_quantity(value: Decimal) -> str:
    """12.000 → "12", 1.500 → "1.5": for messages."""
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class LineIn:
    """One product line of a movement as people enter it (quantities positive, except
    adjustments: positive found, negative lost)."""

    product_id: int
    quantity: Decimal
    serials: tuple[str, ...] = ()
    note: str = ""


@dataclass
class SerialEffect:
    """What a line does to its serials: receive (into stock), sell, return_to_supplier,
    scrap, transfer (from `source` into the line's warehouse) or none."""

    kind: str = "none"
    identity_id: int | None = None
    on: dt.date | None = None
    source: Warehouse | None = None


@dataclass
class Change:
    product: Product
    warehouse: Warehouse
    quantity: Decimal
    serials: list[str] = field(default_factory=list)
    effect: SerialEffect = field(default_factory=SerialEffect)
    note: str = ""


# --- warehouses ----------------------------------------------------------------------------


@transaction.atomic
def warehouse_save(*, actor: Any, warehouse: Warehouse | None = None, values: dict[str, Any]) -> Warehouse:
    creating = warehouse is None
    require_perm(actor, "inventory.add_warehouse" if creating else "inventory.change_warehouse")
    code = str(values.get("code", warehouse.code if warehouse else "")).strip()
    if Warehouse.objects.filter(code=code).exclude(pk=warehouse.pk if warehouse else None).exists():
        raise InventoryError(Code.CODE_TAKEN, fields={"code": [str(InventoryError.messages[Code.CODE_TAKEN])]})
    if values.get("is_default"):
        Warehouse.objects.filter(is_default=True).exclude(pk=warehouse.pk if warehouse else None).update(
            is_default=False
        )
    if warehouse is None:
        warehouse = Warehouse(**values)
        tracked_create(obj=warehouse, actor=actor)
    else:
        tracked_update(obj=warehouse, actor=actor, **values)
    forget_warehouse_access(actor)
    return warehouse


@transaction.atomic
def warehouse_access_set(*, actor: Any, warehouse: Warehouse, grants: Iterable[dict[str, Any]]) -> None:
    """Replace who uses the warehouse: dicts of user/position/department (one each) and keeper."""
    require_perm(actor, "inventory.change_warehouse")
    before = sorted(_grant_label(g) for g in WarehouseAccess.objects.filter(warehouse=warehouse))
    WarehouseAccess.objects.filter(warehouse=warehouse).delete()
    rows = []
    for grant in grants:
        row = WarehouseAccess(warehouse=warehouse, keeper=bool(grant.get("keeper")))
        row.user_id = grant.get("user_id")
        row.position_id = grant.get("position_id")
        row.department_id = grant.get("department_id")
        if sum(1 for v in (row.user_id, row.position_id, row.department_id) if v) != 1:
            raise InventoryError(Code.INVALID)
        rows.append(row)
    WarehouseAccess.objects.bulk_create(rows)
    after = sorted(_grant_label(g) for g in rows)
    if before != after:
        audit_record(actor=actor, target=warehouse, action="warehouse.access", changes={"access": [before, after]})


def _grant_label(grant: WarehouseAccess) -> str:
    who = (
        f"user:{grant.user_id}"
        if grant.user_id
        else (f"position:{grant.position_id}" if grant.position_id else f"department:{grant.department_id}")
    )
    return who + (":keeper" if grant.keeper else "")


def default_warehouse() -> Warehouse | None:
    found = Warehouse.objects.filter(is_default=True, active=True).first()
    if found is not None:
        return found
    active = list(Warehouse.objects.filter(active=True)[:2])
    return active[0] if len(active) == 1 else None


# --- movements -----------------------------------------------------------------------------


def _require_move(actor: Any, kind: str, warehouse: Warehouse) -> None:
    if not can_move(actor, kind, warehouse):
        raise InventoryError(Code.WAREHOUSE_NOT_ALLOWED, warehouse=warehouse.name)


def _changes_from_lines(
    *,
    kind: str,
    warehouse: Warehouse,
    to_warehouse: Warehouse | None,
    lines: Sequence[LineIn],
    identity_id: int | None,
    moved_on: dt.date,
) -> list[Change]:
    products = Product.objects.in_bulk([line.product_id for line in lines])
    changes: list[Change] = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None:
            raise InventoryError(Code.INVALID)
        if not is_stocked(product):
            raise InventoryError(Code.NOT_STOCKED, product=str(product))
        quantity = Decimal(line.quantity)
        if quantity == 0 or (kind != MoveKind.ADJUSTMENT and quantity < 0):
            raise InventoryError(Code.BAD_QUANTITY, product=str(product))
        serials = list(line.serials)
        if kind == MoveKind.TRANSFER:
            changes.append(Change(product, warehouse, -quantity, serials, SerialEffect("none"), line.note))
            effect = SerialEffect("transfer", source=warehouse)
            changes.append(Change(product, to_warehouse, quantity, serials, effect, line.note))  # type: ignore[arg-type]
            continue
        if kind == MoveKind.RECEIPT:
            signed, effect = quantity, SerialEffect("receive")
        elif kind == MoveKind.ISSUE:
            signed, effect = -quantity, SerialEffect("sell", identity_id=identity_id, on=moved_on)
        else:
            signed, effect = quantity, SerialEffect("receive" if quantity > 0 else "scrap")
        changes.append(Change(product, warehouse, signed, serials, effect, line.note))
    return changes


@transaction.atomic
def stock_move_create(
    *,
    actor: Any,
    kind: str,
    warehouse: Warehouse,
    lines: Sequence[LineIn],
    moved_on: dt.date | None = None,
    to_warehouse: Warehouse | None = None,
    identity_id: int | None = None,
    notes: str = "",
) -> StockMove:
    """A goods receipt, goods issue (waybill), transfer or adjustment entered by a person."""
    kind = MoveKind(kind)
    _require_move(actor, kind, warehouse)
    if kind == MoveKind.TRANSFER:
        if to_warehouse is None or to_warehouse.pk == warehouse.pk:
            raise InventoryError(Code.SAME_WAREHOUSE)
        _require_move(actor, kind, to_warehouse)
    else:
        to_warehouse = None
    if not lines:
        raise InventoryError(Code.NO_LINES)
    moved_on = moved_on or timezone.localdate()
    changes = _changes_from_lines(
        kind=kind,
        warehouse=warehouse,
        to_warehouse=to_warehouse,
        lines=lines,
        identity_id=identity_id,
        moved_on=moved_on,
    )
    move = StockMove(
        kind=kind,
        warehouse=warehouse,
        to_warehouse=to_warehouse,
        moved_on=moved_on,
        identity_id=identity_id,
        notes=notes,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return _record(move=move, changes=changes, actor=actor)


@transaction.atomic
def stock_move_reverse(*, actor: Any, move: StockMove, note: str = "") -> StockMove:
    """Undo a movement by a new one with the opposite lines (the original stays, marked
    reversed); its serials go back to where they were, if they have not moved since."""
    require_perm(actor, "inventory.reverse_stockmove")
    _require_move(actor, move.kind, move.warehouse)
    return _reverse(move=move, actor=actor, note=note)


def _reverse(*, move: StockMove, actor: Any, note: str = "") -> StockMove:
    move = StockMove.objects.select_for_update().get(pk=move.pk)
    if move.reversal_of_id is not None:
        raise InventoryError(Code.IS_REVERSAL)
    if move.status == StockMove.Status.REVERSED:
        raise InventoryError(Code.ALREADY_REVERSED)
    lines = list(move.lines.select_related("product", "warehouse").order_by("-id"))
    changes = [
        Change(
            line.product,
            line.warehouse,
            -line.quantity,
            list(line.serials),
            SerialEffect("undo"),
            line.note,
        )
        for line in lines
    ]
    undo_states = {line.pk: line.serial_states for line in lines}
    reversal = StockMove(
        kind=move.kind,
        warehouse=move.warehouse,
        to_warehouse=move.to_warehouse,
        moved_on=timezone.localdate(),
        identity_id=move.identity_id,
        notes=note,
        source_document_id=move.source_document_id,
        source_version=move.source_version,
        reversal_of=move,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    move.status = StockMove.Status.REVERSED
    move.save(update_fields=["status", "updated_at"])
    return _record(
        move=reversal,
        changes=changes,
        actor=actor,
        undo_states=[undo_states[line.pk] for line in lines],
        history=move.source_document_id is None,
    )


def _record(
    *,
    move: StockMove,
    changes: list[Change],
    actor: Any,
    undo_states: list[dict[str, Any]] | None = None,
    history: bool = True,
) -> StockMove:
    """Apply signed changes under the level locks and store the movement (see module doc).
    `history`: put the move in its identity's history (moves of sales documents do not:
    the document is there)."""
    for change in changes:
        if not change.warehouse.active:
            raise InventoryError(Code.WAREHOUSE_INACTIVE, warehouse=change.warehouse.name)
    levels = _lock_levels(changes)
    _check_levels(levels, changes)
    move.number = _number_next(move)
    move.save()
    serial_states = _apply_serials(changes, move, undo_states)
    StockMoveLine.objects.bulk_create(
        [
            StockMoveLine(
                move=move,
                product=c.product,
                warehouse=c.warehouse,
                quantity=c.quantity,
                moved_on=move.moved_on,
                serials=c.serials,
                serial_states=states,
                note=c.note[:300],
            )
            for c, states in zip(changes, serial_states, strict=True)
        ]
    )
    crossings = _update_levels(levels, changes)
    audit_record(
        actor=actor,
        target=move,
        action="stockmove.reversed" if move.reversal_of_id else f"stockmove.{move.kind}",
        changes={"number": [None, move.number], "lines": [None, len(changes)]},
    )
    if move.identity_id and history:
        timeline_record(
            identity_ids=[move.identity_id],
            item_type=MOVE_ITEM,
            item_id=move.pk,
            occurred_at=timezone.now(),
            summary=str(move),
            actor=actor,
        )
    for level in crossings:
        _reorder_alert(level)
    return move


NUMBERING = {
    MoveKind.RECEIPT: ("Goods receipts", "GR-"),
    MoveKind.ISSUE: ("Goods issues", "GI-"),
    MoveKind.TRANSFER: ("Stock transfers", "TR-"),
    MoveKind.ADJUSTMENT: ("Stock adjustments", "ADJ-"),
}


def _number_next(move: StockMove) -> str:
    try:
        return document_number_next(doc_type=move.doc_type, event="create", on=move.moved_on) or ""
    except CoreError as exc:
        if exc.code != CoreErrorCode.SEQUENCE_NOT_FOUND:
            raise
    _numbering_ensure(move.kind)
    return document_number_next(doc_type=move.doc_type, event="create", on=move.moved_on) or ""


def _numbering_ensure(kind: str) -> None:
    """The movement kind's numbering (made by migration 0002; made again here if an admin
    or a flushed test database removed it)."""
    if document_numbering_for(doc_type=f"inventory.{kind}") is not None:
        return
    name, prefix = NUMBERING[MoveKind(kind)]
    try:
        with transaction.atomic():
            sequence, _created = NumberSequence.objects.get_or_create(
                key=f"inventory-{kind}", defaults={"name": name, "prefix": prefix, "start": 1, "padding": 5}
            )
            DocumentNumbering.objects.get_or_create(
                doc_type=f"inventory.{kind}", defaults={"label": name, "sequence": sequence, "assign_on": "create"}
            )
    except IntegrityError:
        pass  # another transaction made them


def _lock_levels(changes: list[Change]) -> dict[tuple[int, int], StockLevel]:
    pairs = sorted({(c.product.pk, c.warehouse.pk) for c in changes})
    StockLevel.objects.bulk_create([StockLevel(product_id=p, warehouse_id=w) for p, w in pairs], ignore_conflicts=True)
    where = Q()
    for product_id, warehouse_id in pairs:
        where |= Q(product_id=product_id, warehouse_id=warehouse_id)
    locked = StockLevel.objects.select_for_update().filter(where).order_by("product_id", "warehouse_id")
    return {(level.product_id, level.warehouse_id): level for level in locked}


def _check_levels(levels: dict[tuple[int, int], StockLevel], changes: list[Change]) -> None:
    totals: dict[tuple[int, int], Decimal] = {}
    for change in changes:
        key = (change.product.pk, change.warehouse.pk)
        totals[key] = totals.get(key, ZERO) + change.quantity
    by_key = {(c.product.pk, c.warehouse.pk): c for c in changes}
    for key, delta in totals.items():
        level = levels[key]
        change = by_key[key]
        if delta < 0 and level.quantity + delta < 0 and not change.warehouse.allow_negative:
            raise InventoryError(
                Code.NOT_ENOUGH_STOCK,
                product=str(change.product),
                warehouse=change.warehouse.name,
                available=plain_quantity(level.quantity),
                needed=plain_quantity(-delta),
            )


def _update_levels(levels: dict[tuple[int, int], StockLevel], changes: list[Change]) -> list[StockLevel]:
    """New quantities; returns the levels that just fell to or below their reorder level."""
    for change in changes:
        levels[(change.product.pk, change.warehouse.pk)].quantity += change.quantity
    crossings = []
    now = timezone.now()
    for level in levels.values():
        level.updated_at = now
        below = level.reorder_level is not None and level.quantity <= level.reorder_level
        if below and not level.below_reorder:
            crossings.append(level)
        level.below_reorder = below
    StockLevel.objects.bulk_update(list(levels.values()), ["quantity", "below_reorder", "updated_at"])
    return crossings


# --- serials -------------------------------------------------------------------------------


def _state(serial: Serial | None) -> dict[str, Any] | None:
    if serial is None:
        return None
    return {
        "status": serial.status,
        "warehouse_id": serial.warehouse_id,
        "identity_id": serial.identity_id,
        "sold_on": serial.sold_on.isoformat() if serial.sold_on else None,
        "warranty_start": serial.warranty_start.isoformat() if serial.warranty_start else None,
        "warranty_end": serial.warranty_end.isoformat() if serial.warranty_end else None,
    }


def _set_state(serial: Serial, state: dict[str, Any]) -> None:
    serial.status = state["status"]
    serial.warehouse_id = state["warehouse_id"]
    serial.identity_id = state["identity_id"]
    for name in ("sold_on", "warranty_start", "warranty_end"):
        setattr(serial, name, dt.date.fromisoformat(state[name]) if state[name] else None)


def _apply_serials(
    changes: list[Change], move: StockMove, undo_states: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Check and change the serials of serial-tracked lines; per line, each serial's state
    before and after ({serial: {"before": …, "after": …}}) for a later reversal."""
    tracked = [c for c in changes if c.product.tracking == Product.Tracking.SERIAL]
    if not tracked:
        return [{} for _ in changes]
    names = {s for c in tracked for s in c.serials}
    product_ids = {c.product.pk for c in tracked}
    rows = Serial.objects.select_for_update().filter(product_id__in=product_ids, serial__in=names).order_by("pk")
    found = {(s.product_id, s.serial): s for s in rows}
    out: list[dict[str, Any]] = []
    for index, change in enumerate(changes):
        if change.product.tracking != Product.Tracking.SERIAL:
            out.append({})
            continue
        _check_serial_count(change)
        if undo_states is not None:
            out.append(_undo_serials(change, found, undo_states[index], move))
        else:
            out.append(_serials_forward(change, found, move))
    return out


def _check_serial_count(change: Change) -> None:
    needed = abs(change.quantity)
    if needed != needed.to_integral_value() or len(change.serials) != needed:
        raise InventoryError(
            Code.SERIALS_COUNT, product=str(change.product), needed=plain_quantity(needed), given=len(change.serials)
        )
    seen: set[str] = set()
    for serial in change.serials:
        if serial in seen:
            raise InventoryError(Code.SERIAL_DUPLICATE, serial=serial)
        seen.add(serial)


def _serials_forward(change: Change, found: dict[tuple[int, str], Serial], move: StockMove) -> dict[str, Any]:
    effect = change.effect
    states: dict[str, Any] = {}
    product = change.product
    for text in change.serials:
        serial = found.get((product.pk, text))
        if effect.kind == "none":
            if serial is None or serial.status != Serial.Status.IN_STOCK or serial.warehouse_id != change.warehouse.pk:
                raise InventoryError(
                    Code.SERIAL_NOT_IN_STOCK, serial=text, product=str(product), warehouse=change.warehouse.name
                )
            continue
        before = _state(serial)
        if effect.kind == "receive":
            if serial is not None and serial.status == Serial.Status.IN_STOCK:
                raise InventoryError(Code.SERIAL_IN_STOCK, serial=text, product=str(product))
            if serial is None:
                serial = Serial(product=product, serial=text)
                found[(product.pk, text)] = serial
            serial.status, serial.warehouse = Serial.Status.IN_STOCK, change.warehouse
            serial.identity_id = serial.sold_on = serial.warranty_start = serial.warranty_end = None
        else:
            source = effect.source or change.warehouse
            if serial is None or serial.status != Serial.Status.IN_STOCK or serial.warehouse_id != source.pk:
                raise InventoryError(Code.SERIAL_NOT_IN_STOCK, serial=text, product=str(product), warehouse=source.name)
            _serial_out(serial, change)
        serial.last_move = move
        serial.save()
        states[text] = {"before": before, "after": _state(serial)}
    return states


def _serial_out(serial: Serial, change: Change) -> None:
    effect = change.effect
    if effect.kind == "transfer":
        serial.warehouse = change.warehouse
        return
    serial.warehouse = None
    if effect.kind == "sell":
        day = effect.on or timezone.localdate()
        serial.status, serial.identity_id, serial.sold_on = Serial.Status.SOLD, effect.identity_id, day
        serial.warranty_start = day
        months = change.product.warranty_months
        serial.warranty_end = add_months(day, months) if months else None
    elif effect.kind == "return_to_supplier":
        serial.status = Serial.Status.RETURNED
    else:
        serial.status = Serial.Status.SCRAPPED


def _undo_serials(
    change: Change, found: dict[tuple[int, str], Serial], states: dict[str, Any], move: StockMove
) -> dict[str, Any]:
    undone: dict[str, Any] = {}
    for text in change.serials:
        recorded = states.get(text)
        if recorded is None:  # the line only checked this serial (a transfer's outgoing side)
            continue
        serial = found.get((change.product.pk, text))
        if serial is None or _state(serial) != recorded["after"]:
            raise InventoryError(Code.SERIAL_CHANGED, serial=text)
        if recorded["before"] is None:
            serial.delete()
            undone[text] = {"before": recorded["after"], "after": None}
            continue
        _set_state(serial, recorded["before"])
        serial.last_move = move
        serial.save()
        undone[text] = {"before": recorded["after"], "after": recorded["before"]}
    return undone


# --- reorder levels and purchase requests --------------------------------------------------


def _reorder_quantity(level: StockLevel) -> Decimal:
    if level.reorder_quantity:
        return level.reorder_quantity
    target = (level.reorder_level or ZERO) * 2
    return max(target - level.quantity, Decimal(1))


def _reorder_alert(level: StockLevel) -> None:
    """Once per crossing: tell the warehouse keepers and raise a purchase request."""
    warehouse = Warehouse.objects.get(pk=level.warehouse_id)
    product = Product.objects.get(pk=level.product_id)
    if not PurchaseRequest.objects.filter(
        product=product, warehouse=warehouse, status=PurchaseRequest.Status.OPEN, automatic=True
    ).exists():
        try:
            with transaction.atomic():
                PurchaseRequest.objects.create(
                    product=product, warehouse=warehouse, quantity=_reorder_quantity(level), automatic=True
                )
        except IntegrityError:  # raised meanwhile by another movement
            pass
    crossing = f"{level.pk}:{level.updated_at.isoformat()}"
    notify(
        users=warehouse_keepers(warehouse),
        kind=REORDER_KIND,
        values=lambda user: {
            "product": str(product),
            "warehouse": warehouse.name,
            "quantity": format_number(level.quantity),
            "level": format_number(level.reorder_level),
        },
        dedupe_key=f"inventory.reorder:{crossing}",
        url=reverse("inventory:purchase_request_list"),
    )


@transaction.atomic
def reorder_level_set(
    *, actor: Any, product: Product, warehouse: Warehouse, level: Decimal | None, quantity: Decimal | None = None
) -> StockLevel:
    """Set (or clear with None) the reorder level of a product in a warehouse. Already at
    or below it counts as a crossing: the alert and the request go out now."""
    require_perm(actor, "inventory.change_stocklevel")
    if (level is not None and level < 0) or (quantity is not None and quantity <= 0):
        raise InventoryError(Code.INVALID)
    StockLevel.objects.bulk_create([StockLevel(product=product, warehouse=warehouse)], ignore_conflicts=True)
    row = StockLevel.objects.select_for_update().get(product=product, warehouse=warehouse)
    before = {"reorder_level": row.reorder_level, "reorder_quantity": row.reorder_quantity}
    row.reorder_level, row.reorder_quantity = level, quantity
    below = level is not None and row.quantity <= level
    crossing = below and not row.below_reorder
    row.below_reorder = below
    row.save(update_fields=["reorder_level", "reorder_quantity", "below_reorder", "updated_at"])
    after = {"reorder_level": level, "reorder_quantity": quantity}
    if before != after:
        audit_record(
            actor=actor,
            target=warehouse,
            action="stocklevel.reorder",
            changes={
                f"{product.code}.{name}": [
                    None if before[name] is None else str(before[name]),
                    None if value is None else str(value),
                ]
                for name, value in after.items()
            },
        )
    if crossing:
        _reorder_alert(row)
    return row


@transaction.atomic
def purchase_request_create(
    *, actor: Any, product: Product, warehouse: Warehouse, quantity: Decimal, note: str = ""
) -> PurchaseRequest:
    require_perm(actor, "inventory.add_purchaserequest")
    if quantity <= 0:
        raise InventoryError(Code.BAD_QUANTITY, product=str(product))
    request = PurchaseRequest(
        product=product,
        warehouse=warehouse,
        quantity=quantity,
        note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    tracked_create(obj=request, actor=actor)
    return request


@transaction.atomic
def purchase_request_set_status(*, actor: Any, request: PurchaseRequest, status: str) -> PurchaseRequest:
    require_perm(actor, "inventory.change_purchaserequest")
    tracked_update(obj=request, actor=actor, status=PurchaseRequest.Status(status))
    return request
