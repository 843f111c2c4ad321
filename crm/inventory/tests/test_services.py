"""Movements, serials, reversal and reorder alerts (IN-1 … IN-3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.core.audit.models import AuditEntry
from crm.core.errors import PermissionDeniedError
from crm.core.notifications.models import Notification
from crm.core.timeline.models import TimelineEntry
from crm.inventory import services
from crm.inventory.errors import InventoryError, InventoryErrorCode
from crm.inventory.models import PurchaseRequest, Serial, StockLevel, StockMove
from crm.inventory.services import LineIn, add_months
from crm.inventory.tests.factories import keeper_user, make_identity, make_product, make_warehouse, receive
from crm.sales.models import Product

pytestmark = pytest.mark.django_db
SERIAL = Product.Tracking.SERIAL


def qty(product, warehouse) -> Decimal:
    row = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return row.quantity if row else Decimal(0)


@pytest.fixture
def world(alice):
    central = make_warehouse("central", "Central")
    isfahan = make_warehouse("isfahan", "Isfahan")
    return {
        "central": central,
        "isfahan": isfahan,
        "pen": make_product("P1", "Pen"),
        "phone": make_product("PH", "Phone", tracking=SERIAL, warranty_months=18),
    }


def test_receipt_adds_stock_numbered_and_audited(alice, world):
    move = receive(alice, world["central"], world["pen"], 10)
    assert qty(world["pen"], world["central"]) == 10
    assert move.number == "GR-00001"
    assert receive(alice, world["central"], world["pen"], 5).number == "GR-00002"
    assert qty(world["pen"], world["central"]) == 15
    assert AuditEntry.objects.filter(action="stockmove.receipt", target_id=str(move.pk)).exists()


def test_issue_refuses_negative_stock_unless_the_warehouse_allows_it(alice, world):
    receive(alice, world["central"], world["pen"], 2)
    with pytest.raises(InventoryError) as caught:
        services.stock_move_create(
            actor=alice, kind="issue", warehouse=world["central"], lines=[LineIn(world["pen"].pk, Decimal(3))]
        )
    assert caught.value.code == InventoryErrorCode.NOT_ENOUGH_STOCK
    assert "2 on hand, 3 needed" in caught.value.message
    assert qty(world["pen"], world["central"]) == 2
    assert not StockMove.objects.filter(kind="issue").exists()
    world["central"].allow_negative = True
    world["central"].save()
    services.stock_move_create(
        actor=alice, kind="issue", warehouse=world["central"], lines=[LineIn(world["pen"].pk, Decimal(3))]
    )
    assert qty(world["pen"], world["central"]) == -1


def test_rights_and_warehouse_access(alice, bob, charlie, world):
    line = [LineIn(world["pen"].pk, Decimal(1))]
    for user in (bob, charlie):
        with pytest.raises(InventoryError) as caught:
            services.stock_move_create(actor=user, kind="receipt", warehouse=world["central"], lines=line)
        assert caught.value.status == 403
    keeper = keeper_user("kate", world["central"], perms=("inventory.add_receipt",))
    services.stock_move_create(actor=keeper, kind="receipt", warehouse=world["central"], lines=line)
    with pytest.raises(InventoryError):  # the right, but not in this warehouse
        services.stock_move_create(actor=keeper, kind="receipt", warehouse=world["isfahan"], lines=line)
    with pytest.raises(InventoryError):  # the warehouse, but not this right
        services.stock_move_create(actor=keeper, kind="adjustment", warehouse=world["central"], lines=line)
    with pytest.raises(PermissionDeniedError):
        services.stock_move_reverse(actor=keeper, move=StockMove.objects.get())


def test_transfer_moves_quantity_and_serials(alice, world):
    receive(alice, world["central"], world["phone"], 2, ("S1", "S2"))
    services.stock_move_create(
        actor=alice,
        kind="transfer",
        warehouse=world["central"],
        to_warehouse=world["isfahan"],
        lines=[LineIn(world["phone"].pk, Decimal(1), ("S2",))],
    )
    assert qty(world["phone"], world["central"]) == 1
    assert qty(world["phone"], world["isfahan"]) == 1
    assert Serial.objects.get(serial="S2").warehouse == world["isfahan"]
    with pytest.raises(InventoryError) as caught:  # S2 is no longer in Central
        services.stock_move_create(
            actor=alice,
            kind="transfer",
            warehouse=world["central"],
            to_warehouse=world["isfahan"],
            lines=[LineIn(world["phone"].pk, Decimal(1), ("S2",))],
        )
    assert caught.value.code == InventoryErrorCode.SERIAL_NOT_IN_STOCK
    with pytest.raises(InventoryError) as caught:
        services.stock_move_create(
            actor=alice,
            kind="transfer",
            warehouse=world["central"],
            to_warehouse=world["central"],
            lines=[LineIn(world["pen"].pk, Decimal(1))],
        )
    assert caught.value.code == InventoryErrorCode.SAME_WAREHOUSE


def test_adjustment_both_ways_and_scrapped_serials(alice, world):
    receive(alice, world["central"], world["pen"], 5)
    receive(alice, world["central"], world["phone"], 1, ("S9",))
    services.stock_move_create(
        actor=alice,
        kind="adjustment",
        warehouse=world["central"],
        lines=[LineIn(world["pen"].pk, Decimal(-2)), LineIn(world["phone"].pk, Decimal(-1), ("S9",))],
    )
    assert qty(world["pen"], world["central"]) == 3
    assert Serial.objects.get(serial="S9").status == Serial.Status.SCRAPPED
    services.stock_move_create(
        actor=alice, kind="adjustment", warehouse=world["central"], lines=[LineIn(world["pen"].pk, Decimal(4))]
    )
    assert qty(world["pen"], world["central"]) == 7


def test_serial_rules(alice, world):
    phone = world["phone"]
    with pytest.raises(InventoryError) as caught:
        receive(alice, world["central"], phone, 2, ("A1",))
    assert caught.value.code == InventoryErrorCode.SERIALS_COUNT
    with pytest.raises(InventoryError) as caught:
        receive(alice, world["central"], phone, 2, ("A1", "A1"))
    assert caught.value.code == InventoryErrorCode.SERIAL_DUPLICATE
    receive(alice, world["central"], phone, 1, ("A1",))
    with pytest.raises(InventoryError) as caught:
        receive(alice, world["isfahan"], phone, 1, ("A1",))
    assert caught.value.code == InventoryErrorCode.SERIAL_IN_STOCK
    with pytest.raises(InventoryError) as caught:
        receive(alice, world["central"], phone, "1.5", ("A2", "A3"))
    assert caught.value.code == InventoryErrorCode.SERIALS_COUNT
    # the same serial text on another product is another serial
    other = make_product("PH2", "Tablet", tracking=SERIAL)
    receive(alice, world["central"], other, 1, ("A1",))
    assert Serial.objects.filter(serial="A1").count() == 2


def test_manual_issue_sells_serials_with_warranty(alice, world):
    identity_id = make_identity(alice)
    receive(alice, world["central"], world["phone"], 1, ("X1",))
    move = services.stock_move_create(
        actor=alice,
        kind="issue",
        warehouse=world["central"],
        identity_id=identity_id,
        moved_on=dt.date(2025, 8, 31),
        lines=[LineIn(world["phone"].pk, Decimal(1), ("X1",))],
    )
    serial = Serial.objects.get(serial="X1")
    assert serial.status == Serial.Status.SOLD and serial.warehouse is None
    assert serial.identity_id == identity_id
    assert serial.warranty_start == dt.date(2025, 8, 31)
    assert serial.warranty_end == dt.date(2027, 2, 28)
    assert TimelineEntry.objects.filter(identity_id=identity_id, item_type="inventory.move", item_id=str(move.pk))


def test_reverse_restores_levels_and_serials(alice, world):
    receipt = receive(alice, world["central"], world["phone"], 2, ("R1", "R2"))
    transfer = services.stock_move_create(
        actor=alice,
        kind="transfer",
        warehouse=world["central"],
        to_warehouse=world["isfahan"],
        lines=[LineIn(world["phone"].pk, Decimal(1), ("R1",))],
    )
    reversal = services.stock_move_reverse(actor=alice, move=transfer)
    assert reversal.reversal_of == transfer
    assert Serial.objects.get(serial="R1").warehouse == world["central"]
    assert qty(world["phone"], world["central"]) == 2 and qty(world["phone"], world["isfahan"]) == 0
    with pytest.raises(InventoryError) as caught:
        services.stock_move_reverse(actor=alice, move=transfer)
    assert caught.value.code == InventoryErrorCode.ALREADY_REVERSED
    with pytest.raises(InventoryError) as caught:
        services.stock_move_reverse(actor=alice, move=reversal)
    assert caught.value.code == InventoryErrorCode.IS_REVERSAL
    services.stock_move_reverse(actor=alice, move=receipt)
    assert not Serial.objects.filter(serial__in=["R1", "R2"]).exists()
    assert qty(world["phone"], world["central"]) == 0


def test_reverse_refused_when_a_serial_moved_since(alice, world):
    receipt = receive(alice, world["central"], world["phone"], 1, ("M1",))
    services.stock_move_create(
        actor=alice, kind="issue", warehouse=world["central"], lines=[LineIn(world["phone"].pk, Decimal(1), ("M1",))]
    )
    with pytest.raises(InventoryError) as caught:
        services.stock_move_reverse(actor=alice, move=receipt)
    assert caught.value.code in (InventoryErrorCode.SERIAL_CHANGED, InventoryErrorCode.NOT_ENOUGH_STOCK)


def test_reorder_alert_once_per_crossing(alice, world):
    keeper = keeper_user("kate", world["central"])
    pen, central = world["pen"], world["central"]
    receive(alice, central, pen, 10)
    services.reorder_level_set(actor=alice, product=pen, warehouse=central, level=Decimal(3), quantity=Decimal(20))

    def issue(n):
        services.stock_move_create(actor=alice, kind="issue", warehouse=central, lines=[LineIn(pen.pk, Decimal(n))])

    issue(6)  # 4 left: above
    assert not Notification.objects.filter(kind="inventory.reorder").exists()
    issue(1)  # 3: at the level -> alert
    issue(1)  # 2: still below -> no second alert
    alerts = Notification.objects.filter(kind="inventory.reorder")
    assert [n.user for n in alerts] == [keeper]
    assert "Pen" in alerts[0].title
    request = PurchaseRequest.objects.get()
    assert request.automatic and request.quantity == 20 and request.status == "open"
    receive(alice, central, pen, 10)  # 12: back above
    assert not StockLevel.objects.get(product=pen, warehouse=central).below_reorder
    issue(10)  # 2: a new crossing -> a new alert, but the open request is not doubled
    assert Notification.objects.filter(kind="inventory.reorder").count() == 2
    assert PurchaseRequest.objects.count() == 1


def test_reorder_level_set_below_already_alerts(alice, world):
    receive(alice, world["central"], world["pen"], 1)
    services.reorder_level_set(actor=alice, product=world["pen"], warehouse=world["central"], level=Decimal(5))
    request = PurchaseRequest.objects.get()
    assert request.quantity == 9  # up to twice the level
    assert Notification.objects.filter(kind="inventory.reorder").count() == 1  # alice, a superuser: no keepers


def test_reorder_level_needs_the_right(bob, world):
    with pytest.raises(PermissionDeniedError):
        services.reorder_level_set(actor=bob, product=world["pen"], warehouse=world["central"], level=Decimal(5))


def test_services_and_unstocked_products_refused(alice, world):
    service = make_product("SRV", "Installation", kind=Product.Kind.SERVICE)
    with pytest.raises(InventoryError) as caught:
        receive(alice, world["central"], service, 1)
    assert caught.value.code == InventoryErrorCode.NOT_STOCKED


def test_add_months_clamps_the_day():
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2024, 11, 15), 14) == dt.date(2026, 1, 15)


def test_warehouse_save_keeps_one_default_and_unique_code(alice):
    a = services.warehouse_save(actor=alice, values={"name": "A", "code": "a", "is_default": True})
    b = services.warehouse_save(actor=alice, values={"name": "B", "code": "b", "is_default": True})
    a.refresh_from_db()
    assert b.is_default and not a.is_default
    with pytest.raises(InventoryError):
        services.warehouse_save(actor=alice, values={"name": "C", "code": "a"})
    assert services.default_warehouse() == b
