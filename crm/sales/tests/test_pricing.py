"""Price lists (SL-10): which list a document gets, and the price of each product under it
(fixed items first, then the most specific policy, else the sale price)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.sales import catalogue
from crm.sales.models import PriceList, PriceListRule, Product
from crm.sales.pricing import price_apply, price_list_choose, prices_for
from crm.sales.tests.catalogue_support import build_catalogue

TODAY = dt.date(2026, 3, 10)
M = PriceListRule.Method


# --- the kernel: no database ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "value", "expected"),
    [
        (M.PERCENT_UP, Decimal(10), Decimal("110.00")),
        (M.PERCENT_DOWN, Decimal("12.5"), Decimal("87.50")),
        (M.AMOUNT_UP, Decimal(7), Decimal("107.00")),
        (M.AMOUNT_DOWN, Decimal(30), Decimal("70.00")),
        (M.AMOUNT_DOWN, Decimal(300), Decimal("0.00")),  # never below zero
        (M.PERCENT_DOWN, Decimal("33.333"), Decimal("66.67")),  # rounded half up to the cent
    ],
)
def test_a_policy_changes_the_base_price(method, value, expected):
    assert price_apply(Decimal(100), method, value) == expected


# --- with the database --------------------------------------------------------------------------


@pytest.fixture
def cat(alice):
    return build_catalogue(alice)


def price_list(alice, code, **values):
    return catalogue.price_list_save(actor=alice, name=code.title(), code=code, **values)


def rule(alice, pl, method, value, **target):
    return catalogue.price_list_rule_save(actor=alice, price_list=pl, method=method, value=Decimal(value), **target)


def test_the_highest_priority_list_for_the_class_and_date_wins(alice):
    cash = price_list(alice, "cash", priority=10, is_default=True)
    agency = price_list(alice, "agency", priority=20, customer_classes=["a", "B"])
    festival = price_list(alice, "festival", priority=30, valid_from=dt.date(2026, 3, 1), valid_to=dt.date(2026, 3, 20))
    price_list(alice, "old", priority=99, active=False)

    assert price_list_choose(customer_class="A", on=TODAY) == festival
    assert price_list_choose(customer_class="a", on=dt.date(2026, 4, 1)) == agency  # classes match any case
    assert price_list_choose(customer_class="C", on=dt.date(2026, 4, 1)) == cash
    assert price_list_choose(customer_class="", on=dt.date(2026, 2, 28)) == cash


def test_on_a_tie_the_list_naming_the_class_then_the_default_wins(alice):
    everyone = price_list(alice, "everyone", priority=5)
    default = price_list(alice, "default", priority=5, is_default=True)
    for_b = price_list(alice, "for-b", priority=5, customer_classes=["B"])

    assert price_list_choose(customer_class="B", on=TODAY) == for_b
    assert price_list_choose(customer_class="C", on=TODAY) == default
    assert everyone.pk


def test_no_list_applies_means_no_list(alice):
    price_list(alice, "agency", customer_classes=["A"])

    assert price_list_choose(customer_class="C", on=TODAY) is None


def test_items_then_product_then_deepest_group_then_all(alice, cat):
    pl = price_list(alice, "term")
    rule(alice, pl, M.PERCENT_UP, 10)  # all products
    rule(alice, pl, M.PERCENT_DOWN, 20, group=cat.computers)  # laptops and gaming too
    rule(alice, pl, M.AMOUNT_DOWN, 100_000, group=cat.gaming)  # deeper: wins for the gamer
    rule(alice, pl, M.AMOUNT_UP, 5, product=cat.pen)  # the product's own rule wins
    catalogue.price_list_item_set(actor=alice, price_list=pl, product=cat.support, price=Decimal(450_000))

    prices = prices_for(price_list=pl, products=[cat.laptop, cat.gamer, cat.pen, cat.support], on=TODAY)

    assert prices == {
        cat.laptop.pk: Decimal("800000.00"),  # Computers −20%
        cat.gamer.pk: Decimal("1900000.00"),  # Gaming −100,000
        cat.pen.pk: Decimal("10005.00"),  # its own +5
        cat.support.pk: Decimal(450_000),  # fixed in the list
    }


def test_the_newest_rule_wins_at_the_same_level(alice, cat):
    pl = price_list(alice, "p")
    rule(alice, pl, M.PERCENT_UP, 10, product=cat.pen)
    rule(alice, pl, M.PERCENT_UP, 50, product=cat.pen)

    assert prices_for(price_list=pl, products=[cat.pen], on=TODAY)[cat.pen.pk] == Decimal("15000.00")


def test_without_a_list_or_outside_its_dates_products_keep_their_sale_price(alice, cat):
    festival = price_list(alice, "festival", valid_from=dt.date(2026, 3, 1), valid_to=dt.date(2026, 3, 5))
    rule(alice, festival, M.PERCENT_DOWN, 50)

    assert prices_for(price_list=None, products=[cat.pen], on=TODAY) == {cat.pen.pk: Decimal(10_000)}
    assert prices_for(price_list=festival, products=[cat.pen], on=TODAY) == {cat.pen.pk: Decimal(10_000)}
    assert prices_for(price_list=festival, products=[cat.pen], on=dt.date(2026, 3, 3)) == {
        cat.pen.pk: Decimal("5000.00")
    }


def test_a_moved_group_takes_its_products_out_of_the_old_rule(alice, cat):
    pl = price_list(alice, "p")
    rule(alice, pl, M.PERCENT_DOWN, 50, group=cat.computers)
    catalogue.product_group_save(actor=alice, group=cat.gaming, name="Gaming", parent=cat.office)
    gamer = Product.objects.get(pk=cat.gamer.pk)

    assert prices_for(price_list=pl, products=[gamer], on=TODAY)[gamer.pk] == Decimal(2_000_000)


def test_fifty_lines_are_priced_with_a_constant_number_of_queries(alice, cat, django_assert_max_num_queries):
    pl = price_list(alice, "p")
    rule(alice, pl, M.PERCENT_UP, 3)
    rule(alice, pl, M.PERCENT_DOWN, 5, group=cat.laptops)
    products = [cat.laptop, cat.gamer, cat.pen, cat.support]
    products += [
        catalogue.product_create(actor=alice, code=f"X-{i}", name=f"Item {i}", group=cat.gaming, sale_price=i)
        for i in range(46)
    ]
    for product in products[::7]:
        catalogue.price_list_item_set(actor=alice, price_list=pl, product=product, price=Decimal(1))
    products = list(Product.objects.filter(pk__in=[p.pk for p in products]))  # groups not loaded

    with django_assert_max_num_queries(3):
        prices = prices_for(price_list=pl, products=products, on=TODAY)

    assert len(prices) == 50
    assert prices[cat.laptop.pk] == Decimal(1)  # fixed
    assert prices[cat.pen.pk] == Decimal("10300.00")  # all +3%
    assert prices[cat.gamer.pk] == Decimal("1900000.00")


def test_price_list_dates_must_be_in_order(alice):
    from crm.sales.catalogue_errors import CatalogueError

    with pytest.raises(CatalogueError):
        price_list(alice, "bad", valid_from=dt.date(2026, 3, 5), valid_to=dt.date(2026, 3, 1))
    assert not PriceList.objects.filter(code="bad").exists()
