"""Stock moved by sales documents through crm.sales.events (SL-7, IN-1, IN-2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.inventory.models import Serial, StockLevel, StockMove
from crm.inventory.tests.factories import make_document, make_identity, make_product, make_warehouse, receive
from crm.sales import events
from crm.sales.errors import SalesError, SalesErrorCode
from crm.sales.models import Direction, Kind, Product

pytestmark = pytest.mark.django_db


def qty(product, warehouse) -> Decimal:
    row = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    return row.quantity if row else Decimal(0)


@pytest.fixture
def world(alice):
    central = make_warehouse("central", "Central", is_default=True)
    return {
        "central": central,
        "isfahan": make_warehouse("isfahan", "Isfahan"),
        "pen": make_product("P1", "Pen"),
        "phone": make_product("PH", "Phone", tracking=Product.Tracking.SERIAL, warranty_months=12),
        "service": make_product("SV", "Installation", kind=Product.Kind.SERVICE, tracking=Product.Tracking.NONE),
        "customer": make_identity(alice),
    }


def approve(document, actor):
    events.document_event("approved", document=document, actor=actor)


def test_sales_invoice_issues_stock_exactly_once(alice, world):
    receive(alice, world["central"], world["pen"], 10)
    doc = make_document(identity_id=world["customer"], lines=[(world["pen"], 4), (world["service"], 1)])
    approve(doc, alice)
    approve(doc, alice)  # heard twice (a retry): still one issue
    assert qty(world["pen"], world["central"]) == 6
    issue = StockMove.objects.get(kind="issue")
    assert (issue.source_document_id, issue.source_version, issue.identity_id) == (doc.pk, 1, world["customer"])
    assert issue.lines.count() == 1  # the service is not stocked


def test_sales_invoice_uses_its_own_warehouse(alice, world):
    receive(alice, world["isfahan"], world["pen"], 3)
    doc = make_document(identity_id=world["customer"], lines=[(world["pen"], 2)], warehouse=world["isfahan"])
    approve(doc, alice)
    assert qty(world["pen"], world["isfahan"]) == 1


def test_not_enough_stock_refuses_the_approval(alice, world):
    receive(alice, world["central"], world["pen"], 1)
    doc = make_document(identity_id=world["customer"], lines=[(world["pen"], 2)])
    with pytest.raises(SalesError) as caught:
        approve(doc, alice)
    assert caught.value.code == SalesErrorCode.NOT_ENOUGH_STOCK
    assert "1 on hand, 2 needed" in caught.value.message
    assert qty(world["pen"], world["central"]) == 1
    assert not StockMove.objects.filter(kind="issue").exists()


def test_serials_sold_with_warranty_from_the_approval_date(alice, world):
    receive(alice, world["central"], world["phone"], 2, ("SN-1", "SN-2"))
    doc = make_document(
        identity_id=world["customer"],
        lines=[(world["phone"], 1, ["SN-2"])],
        approved_on=dt.date(2026, 3, 21),
    )
    approve(doc, alice)
    sold = Serial.objects.get(serial="SN-2")
    assert sold.status == Serial.Status.SOLD and sold.identity_id == world["customer"]
    assert (sold.warranty_start, sold.warranty_end) == (dt.date(2026, 3, 21), dt.date(2027, 3, 21))
    assert Serial.objects.get(serial="SN-1").status == Serial.Status.IN_STOCK


def test_serial_lines_must_name_serials_in_stock(alice, world):
    receive(alice, world["central"], world["phone"], 1, ("SN-1",))
    missing = make_document(identity_id=world["customer"], lines=[(world["phone"], 1)])
    with pytest.raises(SalesError) as caught:
        approve(missing, alice)
    assert "needs 1 serial numbers, 0 given" in caught.value.message
    wrong = make_document(identity_id=world["customer"], lines=[(world["phone"], 1, ["NOPE"])])
    with pytest.raises(SalesError) as caught:
        approve(wrong, alice)
    assert "NOPE" in caught.value.message


def test_purchase_invoice_adds_stock_and_serials(alice, world):
    doc = make_document(
        identity_id=world["customer"],
        direction=Direction.PURCHASE,
        lines=[(world["pen"], 7), (world["phone"], 2, ["N1", "N2"])],
    )
    approve(doc, alice)
    assert qty(world["pen"], world["central"]) == 7
    assert set(Serial.objects.filter(status="in_stock").values_list("serial", flat=True)) == {"N1", "N2"}
    assert StockMove.objects.get().kind == "receipt"


def test_sales_return_puts_serials_back(alice, world):
    receive(alice, world["central"], world["phone"], 1, ("R-1",))
    invoice = make_document(identity_id=world["customer"], lines=[(world["phone"], 1, ["R-1"])])
    approve(invoice, alice)
    back = make_document(identity_id=world["customer"], kind=Kind.RETURN, lines=[(world["phone"], 1, ["R-1"])])
    approve(back, alice)
    serial = Serial.objects.get(serial="R-1")
    assert serial.status == Serial.Status.IN_STOCK and serial.warehouse == world["central"]
    assert serial.identity_id is None and serial.warranty_end is None
    assert qty(world["phone"], world["central"]) == 1


def test_purchase_return_sends_serials_back_to_the_supplier(alice, world):
    receive(alice, world["central"], world["phone"], 1, ("P-1",))
    doc = make_document(
        identity_id=world["customer"],
        kind=Kind.RETURN,
        direction=Direction.PURCHASE,
        lines=[(world["phone"], 1, ["P-1"])],
    )
    approve(doc, alice)
    assert Serial.objects.get(serial="P-1").status == Serial.Status.RETURNED
    assert qty(world["phone"], world["central"]) == 0


def test_quotes_move_nothing(alice, world):
    doc = make_document(identity_id=world["customer"], kind=Kind.QUOTE, lines=[(world["pen"], 1)])
    approve(doc, alice)
    assert not StockMove.objects.exists()


def test_unapproval_reverses_and_reapproval_of_the_new_version_issues_again(alice, world):
    receive(alice, world["central"], world["phone"], 1, ("U-1",))
    receive(alice, world["central"], world["pen"], 5)
    doc = make_document(identity_id=world["customer"], lines=[(world["pen"], 2), (world["phone"], 1, ["U-1"])])
    approve(doc, alice)
    events.document_event("unapproved", document=doc, actor=alice)
    assert qty(world["pen"], world["central"]) == 5
    assert Serial.objects.get(serial="U-1").status == Serial.Status.IN_STOCK
    events.document_event("unapproved", document=doc, actor=alice)  # nothing left to reverse
    doc.version = 2
    doc.save(update_fields=["version"])
    doc.lines.filter(product=world["pen"]).update(quantity=3)
    approve(doc, alice)
    assert qty(world["pen"], world["central"]) == 2
    events.document_event("cancelled", document=doc, actor=alice)
    assert qty(world["pen"], world["central"]) == 5
    moves = StockMove.objects.order_by("id").values_list("kind", "status", "reversal_of_id")
    kinds = [(kind, status, reversal is None) for kind, status, reversal in moves]
    assert kinds[-4:] == [
        ("issue", "reversed", True),
        ("issue", "done", False),
        ("issue", "reversed", True),
        ("issue", "done", False),
    ]


def test_no_warehouse_refuses(alice, world):
    world["central"].is_default = False
    world["central"].save()
    doc = make_document(identity_id=world["customer"], lines=[(world["pen"], 1)])
    with pytest.raises(SalesError) as caught:
        approve(doc, alice)
    assert "no default warehouse" in caught.value.message


def test_line_info_shows_stock_on_hand(alice, world):
    receive(alice, world["central"], world["pen"], 12)
    doc = make_document(identity_id=world["customer"], lines=[(world["pen"], 1), (world["service"], 1)])
    lines = list(doc.lines.select_related("product"))
    info = events.line_info(document=doc, lines=lines)
    pen_line = next(line for line in lines if line.product == world["pen"])
    assert info[pen_line.pk] == ["On hand: 12 in Central"]
    assert len(info) == 1


def test_without_any_warehouse_approvals_move_nothing(alice):
    pen = make_product("P1", "Pen")
    doc = make_document(identity_id=make_identity(alice), lines=[(pen, 1)])
    approve(doc, alice)
    assert not StockMove.objects.exists()
