"""Stock pages: who sees what, recording movements through the form, reports, export."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.inventory.models import PurchaseRequest, StockLevel, StockMove, Warehouse
from crm.inventory.tests.factories import keeper_user, make_group, make_product, make_warehouse, receive
from crm.org.testing import PASSWORD
from crm.sales.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice):
    tools = make_group("Tools")
    pens = make_group("Pens", parent=tools)
    central = make_warehouse("central", "Central", is_default=True)
    isfahan = make_warehouse("isfahan", "Isfahan")
    pen = make_product("P1", "Blue pen", group=pens)
    hammer = make_product("H1", "Hammer", group=tools)
    receive(alice, central, pen, 10)
    hidden = receive(alice, isfahan, hammer, 4)
    return {"central": central, "isfahan": isfahan, "pen": pen, "hammer": hammer, "hidden": hidden, "tools": tools}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_charlie_is_refused_everywhere(client, charlie, world):
    login(client, charlie)
    for name in ("stock_report", "move_list", "movement_report", "serial_list", "purchase_request_list"):
        assert client.get(reverse(f"inventory:{name}")).status_code == 403, name
    assert client.get(reverse("inventory:move_create", args=["receipt"])).status_code == 403
    assert client.get(reverse("inventory:move_detail", args=[world["hidden"].pk])).status_code == 404
    assert client.get(reverse("inventory:warehouse_create")).status_code == 403


def test_stock_report_for_a_keeper_shows_only_their_warehouse(client, world):
    keeper = keeper_user("kate", world["central"])
    login(client, keeper)
    page = client.get(reverse("inventory:stock_report")).content.decode()
    assert "Blue pen" in page and "Central" in page
    assert "Isfahan" not in page
    assert client.get(reverse("inventory:move_detail", args=[world["hidden"].pk])).status_code == 404


def test_stock_report_filters_and_export(client, alice, world):
    login(client, alice)
    url = reverse("inventory:stock_report")
    page = client.get(url, {"group": world["tools"].pk}).content.decode()
    assert "Blue pen" in page and "Hammer" in page  # the subgroup's products too
    page = client.get(url, {"q": "hammer"}).content.decode()
    assert "Hammer" in page and "Blue pen" not in page
    StockLevel.objects.filter(product=world["pen"]).update(reorder_level=20, below_reorder=True)
    page = client.get(url, {"below": "on"}).content.decode()
    assert "Blue pen" in page and "Hammer" not in page
    totals = client.get(reverse("inventory:stock_totals")).content.decode()
    assert "14" in totals  # 10 pens + 4 hammers
    export = client.get(url, {"export": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0] == "Code,Product,Unit,Central,Isfahan,Total"
    rows = {line.split(",")[0]: line.split(",") for line in body.splitlines()[1:]}
    assert [Decimal(v) for v in rows["P1"][3:]] == [10, 0, 10]
    assert [Decimal(v) for v in rows["H1"][3:]] == [0, 4, 4]


def test_record_a_receipt_through_the_form(client, world):
    keeper = keeper_user("kate", world["central"])
    login(client, keeper)
    url = reverse("inventory:move_create", args=["receipt"])
    assert client.get(url).status_code == 200
    data = {
        "warehouse": world["central"].pk,
        "moved_on": "1405/09/02",
        "notes": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": world["pen"].pk,
        "lines-0-quantity": "۵",
        "lines-0-serials": "",
        "lines-1-product": "",
        "lines-1-quantity": "",
        "lines-1-serials": "",
    }
    keeper.language, keeper.calendar = "fa", "jalali"
    keeper.save()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    move = StockMove.objects.latest("id")
    assert move.kind == "receipt" and str(move.moved_on) == "2026-11-23"
    assert StockLevel.objects.get(product=world["pen"], warehouse=world["central"]).quantity == 15
    # into a warehouse the keeper may not use: refused by the form
    data["warehouse"] = world["isfahan"].pk
    assert client.post(url, data).status_code == 200
    assert StockMove.objects.latest("id") == move


def test_issue_form_shows_not_enough_stock(client, alice, world):
    login(client, alice)
    data = {
        "warehouse": world["central"].pk,
        "moved_on": "2026-01-05",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": world["pen"].pk,
        "lines-0-quantity": "11",
    }
    response = client.post(reverse("inventory:move_create", args=["issue"]), data)
    assert response.status_code == 200
    assert "10 on hand, 11 needed" in response.content.decode()


def test_move_detail_reverse_and_movement_report(client, alice, world):
    login(client, alice)
    receipt = StockMove.objects.filter(warehouse=world["central"]).get()
    detail = client.get(reverse("inventory:move_detail", args=[receipt.pk]))
    assert detail.status_code == 200 and "GR-" in detail.content.decode()
    response = client.post(reverse("inventory:move_reverse", args=[receipt.pk]))
    assert response.status_code == 302
    assert StockLevel.objects.get(product=world["pen"], warehouse=world["central"]).quantity == 0
    report = client.get(reverse("inventory:movement_report"), {"product": world["pen"].pk})
    rows = report.context["rows"]
    assert [line.balance for line in rows] == [Decimal(10), Decimal(0)]


def test_reorder_and_purchase_requests(client, alice, world):
    login(client, alice)
    url = reverse("inventory:reorder_edit", args=[world["pen"].pk, world["central"].pk])
    assert client.post(url, {"level": "12", "quantity": "30"}).status_code == 302
    request = PurchaseRequest.objects.get()
    assert request.quantity == 30 and request.automatic
    page = client.get(reverse("inventory:purchase_request_list")).content.decode()
    assert "Blue pen" in page
    client.post(reverse("inventory:purchase_request_status", args=[request.pk]), {"status": "ordered"})
    assert PurchaseRequest.objects.get().status == "ordered"
    new = reverse("inventory:purchase_request_create")
    response = client.post(new, {"product": world["hammer"].pk, "warehouse": world["isfahan"].pk, "quantity": "3"})
    assert response.status_code == 302
    assert PurchaseRequest.objects.count() == 2


def test_warehouse_form_saves_access(client, alice, bob, world):
    login(client, alice)
    response = client.post(
        reverse("inventory:warehouse_create"),
        {"name": "Shiraz", "code": "shiraz", "users": [bob.pk], "keepers": [alice.pk]},
    )
    assert response.status_code == 302
    shiraz = Warehouse.objects.get(code="shiraz")
    assert set(shiraz.access.values_list("user_id", "keeper")) == {(bob.pk, False), (alice.pk, True)}
    assert client.get(reverse("inventory:warehouse_list")).status_code == 200


def test_search_boxes(client, alice, world):
    login(client, alice)
    options = client.get(reverse("inventory:product_options"), {"lines-0-product_search": "pen"}).content.decode()
    assert "Blue pen" in options and "Hammer" not in options
    service = make_product("SV", "Pen engraving", kind=Product.Kind.SERVICE)
    options = client.get(reverse("inventory:product_options"), {"q": "pen"}).content.decode()
    assert service.name not in options
    assert client.get(reverse("inventory:identity_options"), {"q": "zz"}).status_code == 200


def test_serial_page_and_widget(client, alice, world):
    login(client, alice)
    phone = make_product("PH", "Phone", tracking=Product.Tracking.SERIAL)
    receive(alice, world["central"], phone, 1, ("SN-77",))
    page = client.get(reverse("inventory:serial_list"), {"q": "sn-7"}).content.decode()
    assert "SN-77" in page
    StockLevel.objects.filter(product=world["pen"]).update(reorder_level=20, below_reorder=True)
    from crm.core.dashboard.registry import widget_get

    context = widget_get("below_reorder").context(alice)
    assert [lv.product for lv in context["rows"]] == [world["pen"]]


def test_profile_tab_lists_serials_sold(client, alice, charlie, world):
    from crm.inventory.services import LineIn, stock_move_create
    from crm.inventory.tests.factories import make_identity

    identity_id = make_identity(alice)
    phone = make_product("PH", "Phone", tracking=Product.Tracking.SERIAL, warranty_months=12)
    receive(alice, world["central"], phone, 1, ("SOLD-1",))
    stock_move_create(
        actor=alice,
        kind="issue",
        warehouse=world["central"],
        identity_id=identity_id,
        lines=[LineIn(phone.pk, Decimal(1), ("SOLD-1",))],
    )
    from django.test import RequestFactory

    from crm.identities.models import Identity
    from crm.inventory.registrations import _serials_tab

    request = RequestFactory().get("/")
    request.user = alice
    identity = Identity.objects.get(pk=identity_id)
    assert "SOLD-1" in _serials_tab(request, identity)
    request.user = charlie
    assert "SOLD-1" not in _serials_tab(request, identity)
