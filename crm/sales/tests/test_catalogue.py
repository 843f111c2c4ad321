"""The catalogue services and selectors (SL-1): the group tree, products with custom
fields, Persian-aware search, permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from crm.core.audit.models import AuditEntry
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.errors import CoreError, PermissionDeniedError
from crm.sales import catalogue
from crm.sales.catalogue_errors import CatalogueError, CatalogueErrorCode
from crm.sales.catalogue_selectors import (
    ProductFilters,
    group_trail,
    product_get,
    product_list_for_user,
    product_search,
)
from crm.sales.models import Product, ProductGroup
from crm.sales.tests.catalogue_support import build_catalogue, catalogue_manager


@pytest.fixture
def cat(alice):
    return build_catalogue(alice)


def names(products):
    return sorted(p.name for p in products)


# --- groups ---------------------------------------------------------------------------------


def test_groups_form_a_tree_of_any_depth(cat):
    deeper = catalogue.product_group_save(actor=cat.admin, name="RGB", parent=cat.gaming)

    assert deeper.depth == 3
    assert [g.name for g in group_trail(deeper)] == ["Computers", "Laptops", "Gaming", "RGB"]


def test_moving_a_group_moves_its_subtree(cat):
    catalogue.product_group_save(actor=cat.admin, group=cat.laptops, name="Notebooks", parent=cat.office)

    gaming = ProductGroup.objects.get(pk=cat.gaming.pk)
    assert gaming.path.startswith(ProductGroup.objects.get(pk=cat.office.pk).path)
    assert gaming.depth == 2
    under_office = product_list_for_user(user=cat.admin, filters=ProductFilters(group=cat.office))
    assert {p.code for p in under_office} == {"LP-100", "LP-200", "OF-1", "SV-1"}


def test_a_group_cannot_go_under_itself(cat):
    with pytest.raises(CatalogueError) as caught:
        catalogue.product_group_save(actor=cat.admin, group=cat.computers, name="Computers", parent=cat.gaming)

    assert caught.value.code == CatalogueErrorCode.GROUP_CYCLE


def test_a_used_group_is_not_deleted(cat):
    empty = catalogue.product_group_save(actor=cat.admin, name="Empty")

    for used in (cat.computers, cat.gaming):  # subgroups / products
        with pytest.raises(CatalogueError) as caught:
            catalogue.product_group_delete(actor=cat.admin, group=used)
        assert caught.value.code == CatalogueErrorCode.GROUP_IN_USE
    catalogue.product_delete(actor=cat.admin, product=cat.gamer)
    with pytest.raises(CatalogueError):  # a deleted product still holds its group
        catalogue.product_group_delete(actor=cat.admin, group=cat.gaming)
    catalogue.product_group_delete(actor=cat.admin, group=empty)
    assert not ProductGroup.objects.filter(pk=empty.pk).exists()


def test_a_group_in_a_price_rule_is_not_deleted(cat):
    empty = catalogue.product_group_save(actor=cat.admin, name="Empty")
    pl = catalogue.price_list_save(actor=cat.admin, name="P", code="p")
    catalogue.price_list_rule_save(actor=cat.admin, price_list=pl, method="pct_up", value=Decimal(1), group=empty)

    with pytest.raises(CatalogueError):
        catalogue.product_group_delete(actor=cat.admin, group=empty)


# --- products ---------------------------------------------------------------------------------


def test_a_product_is_created_with_its_search_key_custom_fields_and_audit(alice, cat):
    CustomFieldDefinition.objects.create(
        content_type=ContentType.objects.get_for_model(Product), key="barcode", kind="text", labels={"en": "Barcode"}
    )

    product = catalogue.product_create(
        actor=alice,
        code="۱۲۳-A",
        name="كيبورد  بي‌سيم",
        group=cat.office,
        sale_price=Decimal("1500000"),
        custom={"barcode": "6260000000"},
    )

    assert product.code == "123-A"  # Persian digits typed in the code
    assert product.name_key == "کیبوردبیسیم"
    assert product.custom == {"barcode": "6260000000"}
    assert AuditEntry.objects.filter(action="product.created", target_id=str(product.pk)).exists()


def test_codes_are_unique_whatever_the_case(cat):
    with pytest.raises(CatalogueError) as caught:
        catalogue.product_create(actor=cat.admin, code="lp-100", name="Other")

    assert caught.value.code == CatalogueErrorCode.CODE_TAKEN


def test_bad_values_are_refused(cat):
    with pytest.raises(CatalogueError):
        catalogue.product_create(actor=cat.admin, code="N-1", name="x", sale_price=Decimal(-1))
    with pytest.raises(CatalogueError):
        catalogue.product_create(actor=cat.admin, code="N-2", name="x", commission_percent=Decimal(120))
    with pytest.raises(CatalogueError):
        catalogue.product_create(actor=cat.admin, code="N-3", name="  ")
    with pytest.raises(CoreError):  # an unknown custom field
        catalogue.product_create(actor=cat.admin, code="N-4", name="x", custom={"nope": 1})


def test_updating_keeps_the_search_key_and_services_unstocked(cat):
    product = catalogue.product_update(
        actor=cat.admin, product=cat.support, name="پشتيباني تلفني", tracking=Product.Tracking.QUANTITY
    )

    product.refresh_from_db()
    assert product.name_key == "پشتیبانیتلفنی"
    assert product.tracking == Product.Tracking.NONE


def test_a_deleted_product_leaves_lists_and_search(cat):
    catalogue.product_delete(actor=cat.admin, product=cat.pen)

    assert cat.pen not in product_list_for_user(user=cat.admin)
    assert product_search("خودکار") == []
    assert product_get(cat.pen.pk) is None


def test_writes_need_the_permissions(bob, charlie, cat):
    for user in (bob, charlie):
        with pytest.raises(PermissionDeniedError):
            catalogue.product_create(actor=user, code="X-1", name="x")
        with pytest.raises(PermissionDeniedError):
            catalogue.product_update(actor=user, product=cat.pen, name="y")
        with pytest.raises(PermissionDeniedError):
            catalogue.product_delete(actor=user, product=cat.pen)
        with pytest.raises(PermissionDeniedError):
            catalogue.product_group_save(actor=user, name="g")
        with pytest.raises(PermissionDeniedError):
            catalogue.price_list_save(actor=user, name="p", code="p")


def test_a_catalogue_manager_may_write(cat):
    dana = catalogue_manager()

    product = catalogue.product_create(actor=dana, code="D-1", name="Dana's", group=cat.office)

    assert product.created_by == dana


# --- reading and searching ------------------------------------------------------------------


def test_every_staff_user_reads_products_and_nobody_else(bob, charlie, cat):
    from django.contrib.auth.models import AnonymousUser

    assert product_list_for_user(user=charlie).count() == 4
    assert product_list_for_user(user=bob).count() == 4
    assert product_list_for_user(user=AnonymousUser()).count() == 0
    charlie.is_active = False
    assert product_list_for_user(user=charlie).count() == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("لپ تاپ", ["لپ تاپ گیمینگ ایسوس", "لپ‌تاپ لنوو"]),  # space or ZWNJ
        ("لپ‌تاپ", ["لپ تاپ گیمینگ ایسوس", "لپ‌تاپ لنوو"]),
        ("ايسوس لپ", ["لپ تاپ گیمینگ ایسوس"]),  # Arabic ya, words in any order
        ("lp-1", ["لپ‌تاپ لنوو"]),  # code prefix, any case
        ("OF-۱", ["خودکار آبی"]),  # Persian digits in a code
        ("پشتيباني", ["پشتیبانی ساعتی"]),
        ("nothing", []),
    ],
)
def test_search_is_persian_aware(cat, text, expected):
    assert names(product_search(text)) == expected
    assert names(product_list_for_user(user=cat.admin, filters=ProductFilters(q=text))) == expected


def test_search_puts_the_exact_code_first(cat):
    catalogue.product_create(actor=cat.admin, code="LP-1000", name="LP-100 case", group=cat.office)

    assert [p.code for p in product_search("lp-100")][:2] == ["LP-100", "LP-1000"]


def test_list_filters(cat):
    catalogue.product_update(actor=cat.admin, product=cat.gamer, active=False)

    def codes(**f):
        return sorted(p.code for p in product_list_for_user(user=cat.admin, filters=ProductFilters(**f)))

    assert codes(group=cat.computers) == ["LP-100"]  # subgroups included, inactive left out
    assert codes(group=cat.computers, active=None) == ["LP-100", "LP-200"]
    assert codes(group=cat.laptops, include_subgroups=False, active=None) == ["LP-100"]
    assert codes(kind="service") == ["SV-1"]
    assert codes(tracking="serial", active=False) == ["LP-200"]
    by_price = product_list_for_user(user=cat.admin, filters=ProductFilters(sort="-price"))
    assert [p.code for p in by_price] == ["LP-100", "SV-1", "OF-1"]
