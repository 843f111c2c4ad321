"""Catalogue pages: products (list, filters, export, detail, form), groups, price lists
and the price check — and who is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from crm.sales import catalogue
from crm.sales.models import PriceList, PriceListItem, PriceListRule, Product, ProductGroup
from crm.sales.tests.catalogue_support import build_catalogue, catalogue_manager


@pytest.fixture
def cat(alice):
    return build_catalogue(alice)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def dana(db):
    return catalogue_manager()


def test_every_staff_user_sees_the_product_list_and_detail(charlie, cat):
    client = client_for(charlie)

    page = client.get(reverse("sales:product_list"), {"q": "لپ تاپ"})
    detail = client.get(reverse("sales:product_detail", args=[cat.laptop.pk]))

    assert page.status_code == 200
    assert "لپ‌تاپ لنوو" in page.text and "خودکار" not in page.text
    assert 'data-testid="new-product"' not in page.text  # no right to add
    assert detail.status_code == 200 and "LP-100" in detail.text


def test_the_list_filters_by_group_with_subgroups(charlie, cat):
    page = client_for(charlie).get(reverse("sales:product_list"), {"group": cat.computers.pk})

    assert "LP-100" in page.text and "LP-200" in page.text and "OF-1" not in page.text


def test_signing_in_is_required(cat):
    response = Client().get(reverse("sales:product_list"))

    assert response.status_code == 302 and "login" in response["Location"]


def test_a_missing_product_is_a_404(charlie, cat):
    catalogue.product_delete(actor=cat.admin, product=cat.pen)

    assert client_for(charlie).get(reverse("sales:product_detail", args=[cat.pen.pk])).status_code == 404


def test_export_needs_the_view_permission(charlie, dana, cat):
    assert client_for(charlie).get(reverse("sales:product_list"), {"export": "csv"}).status_code == 403

    response = client_for(dana).get(reverse("sales:product_list"), {"export": "csv", "group": cat.office.pk})

    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert "خودکار آبی".encode() in body and b"LP-100" not in body


def test_creating_a_product_needs_the_right(charlie, dana, cat):
    data = {
        "code": "NEW-1",
        "name": "کاغذ A4",
        "group": cat.office.pk,
        "kind": "goods",
        "tracking": "quantity",
        "unit": "بسته",
        "sale_price": "۱٬۲۵۰٬۰۰۰",
        "purchase_cost": "900,000",
        "commission_percent": "2",
        "warranty_months": "0",
        "active": "on",
    }
    assert client_for(charlie).get(reverse("sales:product_create")).status_code == 403
    assert client_for(charlie).post(reverse("sales:product_create"), data).status_code == 403

    response = client_for(dana).post(reverse("sales:product_create"), data)

    product = Product.objects.get(code="NEW-1")
    assert response.status_code == 302 and response["Location"] == reverse("sales:product_detail", args=[product.pk])
    assert product.sale_price == Decimal(1_250_000) and product.purchase_cost == Decimal(900_000)


def test_the_form_shows_service_errors_at_their_field(dana, cat):
    data = {"code": "lp-100", "name": "x", "kind": "goods", "tracking": "quantity", "sale_price": "1"}

    response = client_for(dana).post(reverse("sales:product_create"), data)

    assert response.status_code == 200
    assert "already used by another product" in response.text


def test_editing_and_deleting_a_product(charlie, dana, cat):
    edit = reverse("sales:product_edit", args=[cat.pen.pk])
    data = {"code": "OF-1", "name": "خودکار قرمز", "kind": "goods", "tracking": "quantity", "sale_price": "12000"}
    assert client_for(charlie).post(edit, data).status_code == 403
    assert client_for(charlie).post(reverse("sales:product_delete", args=[cat.pen.pk])).status_code == 403

    assert client_for(dana).get(edit).status_code == 200
    assert client_for(dana).post(edit, data).status_code == 302
    assert client_for(dana).post(reverse("sales:product_delete", args=[cat.pen.pk])).status_code == 302

    pen = Product.all_objects.get(pk=cat.pen.pk)
    assert pen.name == "خودکار قرمز" and pen.sale_price == 12000 and pen.deleted_at is not None


def test_groups_pages(charlie, dana, cat):
    assert client_for(charlie).get(reverse("sales:group_list")).status_code == 200
    assert client_for(charlie).post(reverse("sales:group_create"), {"name": "x"}).status_code == 403
    assert client_for(charlie).post(reverse("sales:group_delete", args=[cat.office.pk])).status_code == 403

    client = client_for(dana)
    assert (
        client.post(reverse("sales:group_create"), {"name": "Printers", "parent": cat.computers.pk}).status_code == 302
    )
    printers = ProductGroup.objects.get(name="Printers")
    assert printers.parent == cat.computers and printers.depth == 1
    refused = client.post(reverse("sales:group_delete", args=[cat.office.pk]), follow=True)
    assert "still has" in refused.text and ProductGroup.objects.filter(pk=cat.office.pk).exists()
    assert client.post(reverse("sales:group_delete", args=[printers.pk])).status_code == 302
    assert not ProductGroup.objects.filter(pk=printers.pk).exists()


def test_price_list_pages_need_a_price_list_right(charlie, bob, cat):
    pl = catalogue.price_list_save(actor=cat.admin, name="Cash", code="cash")

    for user in (charlie, bob):
        client = client_for(user)
        assert client.get(reverse("sales:pricelist_list")).status_code == 403
        assert client.get(reverse("sales:pricelist_detail", args=[pl.pk])).status_code == 403
        assert client.post(reverse("sales:pricelist_rule_save", args=[pl.pk]), {}).status_code == 403


def test_managing_a_price_list(dana, cat):
    client = client_for(dana)
    response = client.post(
        reverse("sales:pricelist_create"),
        {"name": "Agency", "code": "agency", "customer_classes": "a، b", "priority": "20", "active": "on"},
    )
    pl = PriceList.objects.get(code="agency")
    assert response.status_code == 302 and pl.customer_classes == ["A", "B"]

    client.post(
        reverse("sales:pricelist_rule_save", args=[pl.pk]), {"target": "all", "method": "pct_down", "value": "10"}
    )
    client.post(
        reverse("sales:pricelist_rule_save", args=[pl.pk]),
        {"target": "group", "group": cat.laptops.pk, "method": "pct_down", "value": "۱۵"},
    )
    client.post(
        reverse("sales:pricelist_rule_save", args=[pl.pk]),
        {"target": "product", "product_code": "of-1", "method": "amt_up", "value": "500"},
    )
    client.post(reverse("sales:pricelist_item_save", args=[pl.pk]), {"product": cat.support.pk, "price": "400٬000"})
    search = client.get(reverse("sales:pricelist_product_search", args=[pl.pk]), {"product_q": "لپ"})
    detail = client.get(reverse("sales:pricelist_detail", args=[pl.pk]))

    assert [(r.method, r.value, r.group_id, r.product_id) for r in PriceListRule.objects.filter(price_list=pl)] == [
        ("pct_down", 10, None, None),
        ("pct_down", 15, cat.laptops.pk, None),
        ("amt_up", 500, None, cat.pen.pk),
    ]
    assert PriceListItem.objects.get(price_list=pl).price == Decimal(400_000)
    assert "850,000" in search.text  # the laptop under the list: −15%
    assert detail.status_code == 200 and "SV-1" in detail.text

    item_delete = reverse("sales:pricelist_item_delete", args=[pl.pk, cat.support.pk])
    assert client.post(item_delete).status_code == 302
    rule = PriceListRule.objects.filter(price_list=pl).first()
    assert client.post(reverse("sales:pricelist_rule_delete", args=[pl.pk, rule.pk])).status_code == 302
    assert not PriceListItem.objects.filter(price_list=pl).exists()
    assert PriceListRule.objects.filter(price_list=pl).count() == 2


def test_a_rule_for_an_unknown_code_is_refused(dana, cat):
    pl = catalogue.price_list_save(actor=cat.admin, name="Cash", code="cash")

    response = client_for(dana).post(
        reverse("sales:pricelist_rule_save", args=[pl.pk]),
        {"target": "product", "product_code": "NOPE", "method": "amt_up", "value": "1"},
        follow=True,
    )

    assert "NOPE" in response.text and not PriceListRule.objects.exists()


def test_the_price_check_shows_every_list(charlie, cat):
    cash = catalogue.price_list_save(actor=cat.admin, name="Cash", code="cash")
    catalogue.price_list_rule_save(actor=cat.admin, price_list=cash, method="pct_down", value=Decimal(3))

    page = client_for(charlie).get(reverse("sales:price_check"), {"q": "LP-100"})

    assert page.status_code == 200
    assert "970,000" in page.text and "1,000,000" in page.text


def test_the_product_detail_shows_prices_to_price_list_readers(charlie, dana, cat):
    cash = catalogue.price_list_save(actor=cat.admin, name="Cash list", code="cash")
    catalogue.price_list_item_set(actor=cat.admin, price_list=cash, product=cat.pen, price=Decimal(9_000))
    url = reverse("sales:product_detail", args=[cat.pen.pk])

    assert "Cash list" not in client_for(charlie).get(url).text
    page = client_for(dana).get(url)
    assert "Cash list" in page.text and "9,000" in page.text


def test_the_list_page_runs_a_bounded_number_of_queries(charlie, cat, django_assert_max_num_queries):
    for i in range(30):
        catalogue.product_create(actor=cat.admin, code=f"B-{i}", name=f"Box {i}", group=cat.office)
    client = client_for(charlie)
    client.get(reverse("sales:product_list"))  # warm caches (content types, permissions)

    with django_assert_max_num_queries(20):
        assert client.get(reverse("sales:product_list")).status_code == 200
