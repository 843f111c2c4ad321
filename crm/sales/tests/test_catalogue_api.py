"""Catalogue API: products, groups, price lists with items and rules, prices — the same
rules as the pages, in the one error shape."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from crm.sales import catalogue
from crm.sales.models import PriceList, PriceListItem, PriceListRule, Product
from crm.sales.tests.catalogue_support import build_catalogue, catalogue_manager


@pytest.fixture
def cat(alice):
    return build_catalogue(alice)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def dana(db):
    return catalogue_manager()


def error_code(response):
    return response.json()["error"]["code"]


def test_products_are_listed_and_searched_for_every_staff_user(charlie, cat):
    response = api(charlie).get("/api/v1/products/", {"search": "لپ تاپ"})

    assert response.status_code == 200
    assert sorted(r["code"] for r in response.json()["results"]) == ["LP-100", "LP-200"]
    by_group = api(charlie).get("/api/v1/products/", {"group": cat.computers.pk}).json()["results"]
    assert sorted(r["code"] for r in by_group) == ["LP-100", "LP-200"]
    assert api(charlie).get("/api/v1/products/", {"group": 999999}).json()["results"] == []


def test_anonymous_callers_are_refused(cat):
    assert APIClient().get("/api/v1/products/").status_code in (401, 403)


def test_creating_updating_and_deleting_products(charlie, dana, cat):
    body = {"code": "API-1", "name": "کابل HDMI", "group": cat.office.pk, "sale_price": "350000", "unit": "عدد"}
    refused = api(charlie).post("/api/v1/products/", body, format="json")
    assert refused.status_code == 403 and error_code(refused) == "permission_denied"

    created = api(dana).post("/api/v1/products/", body, format="json")
    assert created.status_code == 201
    product_id = created.json()["id"]
    assert created.json()["group"] == {"id": cat.office.pk, "name": "Office"}

    patched = api(dana).patch(f"/api/v1/products/{product_id}/", {"sale_price": "360000.00"}, format="json")
    assert patched.status_code == 200 and patched.json()["sale_price"] == "360000.00"
    assert api(charlie).delete(f"/api/v1/products/{product_id}/").status_code == 403
    assert api(dana).delete(f"/api/v1/products/{product_id}/").status_code == 204
    assert api(dana).get(f"/api/v1/products/{product_id}/").status_code == 404


def test_product_errors_use_the_one_shape(dana, cat):
    taken = api(dana).post("/api/v1/products/", {"code": "LP-100", "name": "x"}, format="json")
    bad = api(dana).post("/api/v1/products/", {"code": "X", "name": "x", "sale_price": "-1"}, format="json")
    custom = api(dana).post("/api/v1/products/", {"code": "Y", "name": "y", "custom": {"nope": 1}}, format="json")

    assert taken.status_code == 400 and error_code(taken) == "code_taken"
    assert taken.json()["error"]["fields"]["code"]
    assert bad.status_code == 400 and error_code(bad) == "validation_error"
    assert custom.status_code == 400 and "custom" in custom.json()["error"]["fields"]


def test_groups(charlie, dana, cat):
    listed = api(charlie).get("/api/v1/product-groups/").json()["results"]
    assert [g["name"] for g in listed][:3] == ["Computers", "Laptops", "Gaming"]
    assert api(charlie).post("/api/v1/product-groups/", {"name": "x"}, format="json").status_code == 403

    made = api(dana).post("/api/v1/product-groups/", {"name": "Printers", "parent": cat.computers.pk}, format="json")
    assert made.status_code == 201 and made.json()["depth"] == 1
    cycle = api(dana).patch(f"/api/v1/product-groups/{cat.computers.pk}/", {"parent": cat.gaming.pk}, format="json")
    assert cycle.status_code == 400 and error_code(cycle) == "group_cycle"
    used = api(dana).delete(f"/api/v1/product-groups/{cat.office.pk}/")
    assert used.status_code == 400 and error_code(used) == "group_in_use"
    assert api(dana).delete(f"/api/v1/product-groups/{made.json()['id']}/").status_code == 204


def test_price_lists_need_a_price_list_right(charlie, bob, cat):
    pl = catalogue.price_list_save(actor=cat.admin, name="Cash", code="cash")

    for user in (charlie, bob):
        assert api(user).get("/api/v1/price-lists/").status_code == 403
        assert api(user).get(f"/api/v1/price-lists/{pl.pk}/").status_code == 403
        assert api(user).get(f"/api/v1/price-lists/{pl.pk}/items/").status_code == 403


def test_managing_a_price_list_over_the_api(dana, cat):
    client = api(dana)
    made = client.post(
        "/api/v1/price-lists/",
        {"name": "Festival", "code": "festival", "valid_from": "2026-03-01", "valid_to": "2026-03-20", "priority": 30},
        format="json",
    )
    assert made.status_code == 201
    pl_id = made.json()["id"]
    base = f"/api/v1/price-lists/{pl_id}/"

    item = client.post(base + "items/", {"product": cat.pen.pk, "price": "9000"}, format="json")
    rule = client.post(base + "rules/", {"method": "pct_down", "value": "10", "group": cat.computers.pk}, format="json")
    both = client.post(
        base + "rules/",
        {"method": "pct_down", "value": "1", "group": cat.office.pk, "product": cat.pen.pk},
        format="json",
    )
    assert item.status_code == 200 and item.json()["price"] == "9000.00"
    assert rule.status_code == 201 and rule.json()["group"]["id"] == cat.computers.pk
    assert both.status_code == 400
    assert [r["method"] for r in client.get(base + "rules/").json()["results"]] == ["pct_down"]
    assert client.get(base + "items/").json()["results"][0]["product"]["code"] == "OF-1"

    rule_url = f"{base}rules/{rule.json()['id']}/"
    assert client.put(rule_url, {"method": "pct_up", "value": "5"}, format="json").json()["group"] is None
    assert client.delete(rule_url).status_code == 204
    assert client.delete(f"{base}items/{cat.pen.pk}/").status_code == 204
    assert client.delete(f"{base}items/{cat.pen.pk}/").status_code == 404
    assert not PriceListRule.objects.exists() and not PriceListItem.objects.exists()
    bad_dates = client.patch(base, {"valid_to": "2026-02-01"}, format="json")
    assert bad_dates.status_code == 400 and error_code(bad_dates) == "price_list_dates"
    assert client.delete(base).status_code == 204 and not PriceList.objects.exists()


def test_prices_for_products_under_a_list_or_a_customer_class(charlie, cat):
    agency = catalogue.price_list_save(actor=cat.admin, name="Agency", code="agency", customer_classes=["A"])
    catalogue.price_list_rule_save(actor=cat.admin, price_list=agency, method="pct_down", value=Decimal(10))
    ids = f"{cat.laptop.pk},{cat.pen.pk},999999"

    chosen = api(charlie).get("/api/v1/prices/", {"products": ids, "customer_class": "A", "on": "2026-03-10"})
    plain = api(charlie).get("/api/v1/prices/", {"products": ids, "customer_class": "C"})
    given = api(charlie).get("/api/v1/prices/", {"products": str(cat.pen.pk), "price_list": agency.pk})

    assert chosen.status_code == 200
    assert chosen.json()["price_list"]["code"] == "agency" and chosen.json()["on"] == "2026-03-10"
    assert chosen.json()["prices"] == [
        {"product": cat.laptop.pk, "price": "900000.00"},
        {"product": cat.pen.pk, "price": "9000.00"},
    ]
    assert plain.json()["price_list"] is None and plain.json()["prices"][1]["price"] == "10000.00"
    assert given.json()["prices"] == [{"product": cat.pen.pk, "price": "9000.00"}]
    assert api(charlie).get("/api/v1/prices/", {"products": "a,b"}).status_code == 400
    assert api(charlie).get("/api/v1/prices/", {"products": "1", "price_list": 999999}).status_code == 404
    assert dt.date.fromisoformat(plain.json()["on"])


def test_hidden_fields_are_left_out(charlie, cat):
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from crm.core.permissions.models import FieldAccessRule

    FieldAccessRule.objects.create(
        content_type=ContentType.objects.get_for_model(Product),
        field_name="purchase_cost",
        view_permission=Permission.objects.get(codename="change_product"),
    )

    row = api(charlie).get(f"/api/v1/products/{cat.pen.pk}/").json()

    assert "purchase_cost" not in row and row["code"] == "OF-1"
