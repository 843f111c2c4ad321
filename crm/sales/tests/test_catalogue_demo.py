"""The demo catalogue loads through the services, once."""

from __future__ import annotations

import random

from django.utils import timezone

from crm.org.testing import make_user
from crm.sales import catalogue_demo
from crm.sales.models import PriceList, Product, ProductGroup
from crm.sales.pricing import price_list_choose


def test_the_demo_catalogue(db):
    make_user("admin", is_superuser=True)

    catalogue_demo.load(random.Random(7))
    catalogue_demo.load(random.Random(7))  # idempotent

    assert Product.objects.count() >= 50
    assert ProductGroup.objects.filter(depth=2).exists()  # three levels
    assert Product.objects.filter(tracking="serial", warranty_months__gt=0).exists()
    assert Product.objects.filter(kind="service", tracking="none").exists()
    assert set(PriceList.objects.values_list("code", flat=True)) == {"cash", "term", "agency", "festival"}
    today = timezone.localdate()
    assert price_list_choose(customer_class="A", on=today).code == "agency"
    assert price_list_choose(customer_class="C", on=today).code == "festival"
