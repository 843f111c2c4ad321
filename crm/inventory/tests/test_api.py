"""Stock API: same warehouse access as the pages, one error shape."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.inventory.models import StockLevel, StockMove
from crm.inventory.tests.factories import keeper_user, make_identity, make_product, make_warehouse, receive
from crm.sales.models import Product

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def world(alice):
    central, isfahan = make_warehouse("central", "Central"), make_warehouse("isfahan", "Isfahan")
    pen = make_product("P1", "Pen")
    phone = make_product("PH", "Phone", tracking=Product.Tracking.SERIAL, warranty_months=6)
    receive(alice, central, pen, 10)
    hidden = receive(alice, isfahan, phone, 1, ("HID-1",))
    return {"central": central, "isfahan": isfahan, "pen": pen, "phone": phone, "hidden": hidden}


def test_lists_follow_warehouse_access(alice, charlie, world):
    keeper = keeper_user("kate", world["central"])
    client = api(keeper)
    assert [w["code"] for w in client.get("/api/v1/warehouses/").json()["results"]] == ["central"]
    levels = client.get("/api/v1/stock/").json()["results"]
    assert [(lv["product"]["code"], lv["quantity"]) for lv in levels] == [("P1", "10.000")]
    moves = client.get("/api/v1/stock-moves/").json()["results"]
    assert len(moves) == 1 and moves[0]["warehouse"] == world["central"].pk
    assert client.get(f"/api/v1/stock-moves/{world['hidden'].pk}/").status_code == 404
    assert client.get(f"/api/v1/warehouses/{world['isfahan'].pk}/").status_code == 404
    assert client.get("/api/v1/serials/HID-1/").status_code == 404
    nobody = api(charlie)
    assert nobody.get("/api/v1/stock/").json()["results"] == []
    assert nobody.get("/api/v1/stock-moves/").json()["results"] == []
    assert APIClient().get("/api/v1/stock/").status_code == 401


def test_create_issue_and_reverse(alice, world):
    client = api(alice)
    customer = make_identity(alice)
    body = {
        "kind": "issue",
        "warehouse": world["central"].pk,
        "identity": customer,
        "lines": [{"product": world["pen"].pk, "quantity": "3"}],
    }
    response = client.post("/api/v1/stock-moves/", body, format="json")
    assert response.status_code == 201, response.content
    move = response.json()
    assert move["number"].startswith("GI-") and move["identity"] == customer
    assert move["lines"][0]["quantity"] == "-3.000"
    too_many = {**body, "lines": [{"product": world["pen"].pk, "quantity": "30"}]}
    error = client.post("/api/v1/stock-moves/", too_many, format="json")
    assert error.status_code == 409 and error.json()["error"]["code"] == "not_enough_stock"
    reversed_ = client.post(f"/api/v1/stock-moves/{move['id']}/reverse/", {}, format="json")
    assert reversed_.status_code == 201 and reversed_.json()["reversal_of"] == move["id"]
    assert StockLevel.objects.get(product=world["pen"], warehouse=world["central"]).quantity == 10
    again = client.post(f"/api/v1/stock-moves/{move['id']}/reverse/", {}, format="json")
    assert again.status_code == 409


def test_create_refused_without_the_right(bob, world):
    body = {"kind": "receipt", "warehouse": world["central"].pk, "lines": [{"product": world["pen"].pk, "quantity": 1}]}
    response = api(bob).post("/api/v1/stock-moves/", body, format="json")
    assert response.status_code == 400 and "warehouse" in response.json()["error"]["fields"]
    assert StockMove.objects.count() == 2


def test_bad_input_is_400(alice, world):
    client = api(alice)
    assert client.post("/api/v1/stock-moves/", {"kind": "x"}, format="json").status_code == 400
    assert client.get("/api/v1/stock/?warehouse=abc").status_code == 400
    body = {"kind": "receipt", "warehouse": world["central"].pk, "lines": [{"product": 999999, "quantity": 1}]}
    assert client.post("/api/v1/stock-moves/", body, format="json").status_code == 400


def test_serial_lookup(alice, world):
    response = api(alice).get("/api/v1/serials/hid-1/")
    assert response.status_code == 200
    [serial] = response.json()
    assert serial["serial"] == "HID-1" and serial["status"] == "in_stock" and serial["genuine"]
