"""Authenticity check of a serial by SMS (IN-2): the service and its wording."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from crm.inventory.serial_check import inbound_serial_check, serial_check, serial_check_reply
from crm.inventory.services import LineIn, stock_move_create
from crm.inventory.tests.factories import make_product, make_warehouse, receive
from crm.sales.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold(alice):
    central = make_warehouse("central", "Central")
    phone = make_product("PH", "Galaxy Phone", tracking=Product.Tracking.SERIAL, warranty_months=12)
    receive(alice, central, phone, 2, ("ABC123", "ZZZ999"))
    stock_move_create(
        actor=alice,
        kind="issue",
        warehouse=central,
        moved_on=dt.date(2026, 3, 21),
        lines=[LineIn(phone.pk, 1, ("ABC123",))],
    )
    return phone


def test_service_finds_serials_with_or_without_keyword(sold):
    for text in ("ABC123", "abc123", " serial ABC123 ", "SN: abc123", "سریال ABC۱۲۳"):
        result = serial_check(text)
        assert result.found, text
        assert result.product_name == "Galaxy Phone"
        assert result.warranty_end == dt.date(2027, 3, 21)
    assert serial_check("ZZZ999").found and serial_check("ZZZ999").warranty_end is None
    assert not serial_check("serial NOPE42").found
    assert serial_check("serial NOPE42").keyword
    assert not serial_check("please call me back").found


def test_reply_in_english(sold):
    assert serial_check_reply("ABC123", sender="+441234567890") == (
        "Genuine: ABC123 is a Galaxy Phone, under warranty until 03/21/2027."
    )
    assert "was not found" in serial_check_reply("serial NOPE42", sender="+441234567890")


def test_reply_in_persian_with_jalali_date(sold):
    reply = serial_check_reply("سریال ABC123", sender="+989121234567")
    assert "۱۴۰۶/۰۱/۰۱" in reply  # 2027-03-21 is 1 Farvardin 1406


def test_other_texts_pass_on(sold):
    assert serial_check_reply("I want to cancel my order") is None
    assert serial_check_reply("UNKNOWN777") is None  # no keyword, not a serial: not ours


def test_inbound_handler_answers_sms_only(sold):
    sms = SimpleNamespace(channel="sms", body="ABC123", from_address="+441234567890")
    assert inbound_serial_check(sms).startswith("Genuine")
    email = SimpleNamespace(channel="email", body="ABC123", from_address="a@example.com")
    assert inbound_serial_check(email) is None
