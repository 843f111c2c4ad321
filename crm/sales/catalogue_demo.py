"""Demo catalogue: product groups three levels deep, about sixty goods and services with
Persian names (from the shared vocabulary), units, costs and prices in rials, some tracked
by serial with a warranty; price lists "cash", "term (cheque)", "agency" (class A/B
customers) and a festival list valid around today. All through the services.

`crm.sales.demo.load` (documents) calls `load(rng)` first; it is idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.demo.registry import vocabulary
from crm.core.dictionaries.services import dictionary_entry_ensure_system
from crm.org.models import Position, User
from crm.sales import catalogue
from crm.sales.models import PriceList, Product, ProductGroup

# leaf name -> (unit, base price in rials, tracking, warranty months, variants)
LEAVES: dict[str, tuple[str, int, str, int, list[str]]] = {
    "خودکار": ("بسته", 1_200_000, "quantity", 0, ["آبی بیک", "مشکی کنکو", "قرمز پنتر"]),
    "کاغذ A4": ("بسته", 2_800_000, "quantity", 0, ["۸۰ گرمی کپی‌مکس", "۷۰ گرمی پاکسان", "۸۰ گرمی دابل‌اِی"]),
    "منگنه": ("عدد", 950_000, "quantity", 0, ["کوچک کانگورو", "متوسط پارسیکار", "بزرگ اچ‌اس"]),
    "زونکن": ("عدد", 650_000, "quantity", 0, ["پهن پاپکو", "باریک پاپکو", "کش‌دار ایده‌آل"]),
    "روتر": ("دستگاه", 38_000_000, "serial", 24, ["میکروتیک hAP ax2", "سیسکو ISR 1100", "تی‌پی‌لینک ER605"]),
    "سوئیچ ۲۴ پورت": ("دستگاه", 95_000_000, "serial", 24, ["سیسکو CBS350", "میکروتیک CRS326", "اچ‌پی 1820"]),
    "کابل شبکه Cat6": ("حلقه", 14_500_000, "quantity", 0, ["لگراند ۳۰۵ متری", "نگزنس ۳۰۵ متری", "دی‌لینک ۳۰۵ متری"]),
    "اکسس پوینت": ("دستگاه", 21_000_000, "serial", 18, ["یوبیکیوتی U6 Lite", "میکروتیک cAP ax", "تی‌پی‌لینک EAP225"]),
    "لپ‌تاپ": ("دستگاه", 480_000_000, "serial", 18, ["لنوو ThinkPad E14", "ایسوس VivoBook 15", "اچ‌پی ProBook 450"]),
    "مانیتور ۲۴ اینچ": ("دستگاه", 92_000_000, "serial", 24, ["سامسونگ S24", "ال‌جی 24MP400", "ایسوس VA24"]),
    "کیبورد": ("عدد", 4_800_000, "quantity", 6, ["لاجیتک K120", "تسکو TK8020", "بیاند BK-2250"]),
    "ماوس": ("عدد", 2_900_000, "quantity", 6, ["لاجیتک B100", "تسکو TM295", "بیاند BM-1212"]),
    "قرارداد پشتیبانی سالانه": ("سال", 360_000_000, "none", 0, ["پایه", "حرفه‌ای", "سازمانی"]),
    "پشتیبانی ساعتی": ("ساعت", 6_500_000, "none", 0, ["حضوری", "از راه دور", "اضطراری"]),
    "دوره آموزش کاربران": ("نفر", 18_000_000, "none", 0, ["مقدماتی", "پیشرفته", "ویژه مدیران سیستم"]),
    "کارگاه مدیران": ("نفر", 35_000_000, "none", 0, ["یک‌روزه", "دو‌روزه", "درون‌سازمانی"]),
    "اشتراک ماهانه CRM": ("ماه", 25_000_000, "none", 0, ["۵ کاربر", "۲۰ کاربر", "۵۰ کاربر"]),
    "اشتراک سالانه CRM": ("سال", 250_000_000, "none", 0, ["۵ کاربر", "۲۰ کاربر", "۵۰ کاربر"]),
}
MULTIPLIERS = [Decimal("1"), Decimal("1.35"), Decimal("1.8")]
RIGHTS = {  # position title -> catalogue permission codenames (app "sales")
    "مدیر فروش": [
        f"{action}_{model}"
        for model in ("product", "productgroup", "pricelist")
        for action in ("view", "add", "change", "delete")
    ],
    "مدیر دفتر": ["view_product", "add_product", "change_product", "view_productgroup", "view_pricelist"],
    "کارشناس فروش": ["view_product", "view_productgroup", "view_pricelist"],
    "انباردار": ["view_product", "view_productgroup", "add_product", "change_product"],
    "حسابدار": ["view_product", "view_productgroup", "view_pricelist", "change_pricelist"],
}
COUNTRIES = [
    ("ir", "ایران", "Iran", "Іран"),
    ("cn", "چین", "China", "Китай"),
    ("de", "آلمان", "Germany", "Німеччина"),
    ("us", "آمریکا", "USA", "США"),
    ("tw", "تایوان", "Taiwan", "Тайвань"),
]


def _grant_rights() -> None:
    perms = Permission.objects.filter(content_type__app_label="sales")
    for title, codes in RIGHTS.items():
        for position in Position.objects.filter(title=title):
            position.permissions.add(*perms.filter(codename__in=codes))


def _custom_fields() -> None:
    ct = ContentType.objects.get_for_model(Product)
    CustomFieldDefinition.objects.get_or_create(
        content_type=ct,
        key="origin",
        defaults={
            "kind": "choice",
            "labels": {"fa": "کشور سازنده", "en": "Country of origin", "uk": "Країна походження"},
            "choices": [{"value": v, "labels": {"fa": fa, "en": en, "uk": uk}} for v, fa, en, uk in COUNTRIES],
            "position": 0,
        },
    )
    CustomFieldDefinition.objects.get_or_create(
        content_type=ct,
        key="barcode",
        defaults={"kind": "text", "labels": {"fa": "بارکد", "en": "Barcode", "uk": "Штрихкод"}, "position": 1},
    )


def _round_price(value: Decimal) -> Decimal:
    return (value / 10_000).quantize(Decimal(1)) * 10_000


def _products(rng: Any, admin: Any) -> dict[str, ProductGroup]:
    groups: dict[str, ProductGroup] = {}
    number = 1000
    for top, subs in vocabulary()["product_groups"].items():
        top_group = catalogue.product_group_save(actor=admin, name=top)
        groups[top] = top_group
        service = top == "خدمات"
        for sub, leaves in subs.items():
            sub_group = catalogue.product_group_save(actor=admin, name=sub, parent=top_group)
            groups[sub] = sub_group
            for leaf in leaves:
                unit, base, tracking, warranty, variants = LEAVES.get(leaf, ("عدد", 1_000_000, "quantity", 0, ["A"]))
                leaf_group = catalogue.product_group_save(actor=admin, name=leaf, parent=sub_group)
                groups[leaf] = leaf_group
                for variant, multiplier in zip(variants, MULTIPLIERS, strict=False):
                    number += 1
                    price = _round_price(Decimal(base) * multiplier * Decimal(rng.uniform(0.9, 1.1)))
                    catalogue.product_create(
                        actor=admin,
                        code=f"{'S' if service else 'P'}-{number}",
                        name=f"{leaf} {variant}",
                        group=leaf_group,
                        kind=Product.Kind.SERVICE if service else Product.Kind.GOODS,
                        tracking=tracking,
                        unit=unit,
                        purchase_cost=_round_price(price * Decimal(rng.uniform(0.6, 0.8))),
                        sale_price=price,
                        commission_percent=Decimal(rng.choice([0, 1, 2, 3, 5])),
                        warranty_months=warranty,
                        tax_exempt=leaf.startswith("دوره") or leaf.startswith("کارگاه"),
                        custom={} if service else {"origin": rng.choice(COUNTRIES)[0]},
                    )
    return groups


def _price_lists(admin: Any, groups: dict[str, ProductGroup]) -> None:
    today = timezone.localdate()
    cash = catalogue.price_list_save(
        actor=admin, name="نقدی", code="cash", priority=10, is_default=True, customer_classes=[]
    )
    catalogue.price_list_rule_save(actor=admin, price_list=cash, method="pct_down", value=Decimal(3))
    term = catalogue.price_list_save(actor=admin, name="مدت‌دار (چک)", code="term", priority=5, customer_classes=[])
    catalogue.price_list_rule_save(actor=admin, price_list=term, method="pct_up", value=Decimal(8))
    catalogue.price_list_rule_save(
        actor=admin, price_list=term, method="pct_up", value=Decimal(12), group=groups.get("رایانه")
    )
    agency = catalogue.price_list_save(
        actor=admin, name="نمایندگی", code="agency", priority=20, customer_classes=["A", "B"]
    )
    catalogue.price_list_rule_save(actor=admin, price_list=agency, method="pct_down", value=Decimal(10))
    catalogue.price_list_rule_save(
        actor=admin, price_list=agency, method="pct_down", value=Decimal(15), group=groups.get("تجهیزات شبکه")
    )
    catalogue.price_list_rule_save(
        actor=admin, price_list=agency, method="amt_down", value=Decimal(500_000), group=groups.get("لوازم اداری")
    )
    for product in Product.objects.filter(group=groups.get("لپ‌تاپ"))[:2]:
        catalogue.price_list_item_set(
            actor=admin, price_list=agency, product=product, price=_round_price(product.sale_price * Decimal("0.85"))
        )
    festival = catalogue.price_list_save(
        actor=admin,
        name="جشنواره فروش",
        code="festival",
        priority=15,
        customer_classes=[],
        valid_from=today - dt.timedelta(days=7),
        valid_to=today + dt.timedelta(days=30),
    )
    catalogue.price_list_rule_save(actor=admin, price_list=festival, method="pct_down", value=Decimal(5))
    catalogue.price_list_rule_save(
        actor=admin, price_list=festival, method="pct_down", value=Decimal(12), group=groups.get("رایانه")
    )


COMPANY = {  # printed on documents (crm.sales.printing reads the "company" list)
    "name": {"fa": "شرکت نمونه پارس گستر", "en": "Pars Gostar Sample Co.", "uk": "Pars Gostar Sample Co."},
    "address": {
        "fa": "تهران، خیابان ولیعصر، پلاک ۱۲۳۴",
        "en": "1234 Valiasr St, Tehran",
        "uk": "вул. Валіаср 1234, Тегеран",
    },
    "phone": {"fa": "۰۲۱ ۸۸۰۰ ۱۲۳۴", "en": "+98 21 8800 1234", "uk": "+98 21 8800 1234"},
    "economic_code": {"fa": "۴۱۱۱۱۱۱۱۱۱۱۱", "en": "411111111111", "uk": "411111111111"},
}


def _company() -> None:
    for position, (code, labels) in enumerate(COMPANY.items()):
        dictionary_entry_ensure_system(dictionary="company", code=code, labels=labels, position=position)


def load(rng: Any) -> None:
    _grant_rights()
    _company()
    if Product.all_objects.exists() or PriceList.objects.exists():
        return
    admin = User.objects.get(username="admin")
    _custom_fields()
    groups = _products(rng, admin)
    _price_lists(admin, groups)
