"""A few hundred realistic identities: Persian and English persons and organisations,
with categories (one restricted to sales), phones, emails, addresses, custom fields,
assignments and customer numbers — all through the services."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from django.contrib.contenttypes.models import ContentType

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.demo.registry import vocabulary
from crm.core.numbering.models import DocumentNumbering, NumberSequence
from crm.identities import services
from crm.identities.models import Category, Identity
from crm.org.models import Position, User

CATEGORIES = [  # (key, name, parent, restricted to positions with these titles)
    ("customers", "مشتریان", None, []),
    ("vip", "مشتریان ویژه", "customers", ["مدیر فروش", "مدیر عامل"]),
    ("leads", "سرنخ‌های فروش", None, []),
    ("suppliers", "تأمین‌کنندگان", None, []),
    ("partners", "همکاران تجاری", None, []),
]
CUSTOM = [
    (
        "industry",
        "choice",
        {"fa": "صنعت", "en": "Industry", "uk": "Галузь"},
        [
            {"value": v, "labels": {"fa": fa, "en": en, "uk": uk}}
            for v, fa, en, uk in (
                ("it", "فناوری اطلاعات", "IT", "ІТ"),
                ("retail", "خرده‌فروشی", "Retail", "Роздріб"),
                ("industry", "صنعت", "Manufacturing", "Виробництво"),
                ("services", "خدمات", "Services", "Послуги"),
            )
        ],
    ),
    ("annual_budget", "money", {"fa": "بودجه سالانه (ریال)", "en": "Annual budget", "uk": "Річний бюджет"}, []),
    ("referral", "text", {"fa": "معرف", "en": "Referred by", "uk": "Рекомендував"}, []),
]


RIGHTS = {  # position title -> identity permissions (granted to the org demo's posts)
    "مدیر عامل": "*",
    "مدیر فروش": [
        "view_identity",
        "view_all_identity",
        "add_identity",
        "change_identity",
        "change_all_identity",
        "delete_identity",
        "export_identity",
        "import_identity",
        "merge_identity",
        "assign_customer_number",
        "view_category",
    ],
    "کارشناس فروش": ["view_identity", "view_all_identity", "add_identity", "change_identity", "export_identity"],
    "کارشناس امور مشتریان": [
        "view_identity",
        "view_all_identity",
        "add_identity",
        "change_identity",
        "change_all_identity",
    ],
    "مدیر دفتر": [
        "view_identity",
        "view_all_identity",
        "add_identity",
        "change_identity",
        "change_all_identity",
        "export_identity",
        "import_identity",
        "view_category",
        "add_category",
        "change_category",
    ],
    "حسابدار": ["view_identity", "view_all_identity", "assign_customer_number"],
}


def _grant_rights() -> None:
    from django.contrib.auth.models import Permission

    perms = Permission.objects.filter(content_type__app_label="identities")
    for title, codes in RIGHTS.items():
        for position in Position.objects.filter(title=title):
            position.permissions.add(*(perms if codes == "*" else perms.filter(codename__in=codes)))


def _phone(rng: Any, vocab: dict[str, Any]) -> str:
    prefixes = [p for group in vocab["iran_mobile_prefixes"].values() for p in group]
    return f"{rng.choice(prefixes)}{rng.randint(1000000, 9999999)}"


def load(rng: Any, count: int | None = None) -> None:
    admin = User.objects.get(username="admin")
    _grant_rights()
    if Identity.all_objects.exists():
        return
    count = count if count is not None else int(os.environ.get("CRM_DEMO_IDENTITIES", "300"))
    vocab = vocabulary()
    ct = ContentType.objects.get_for_model(Identity)
    for position, (key, kind, labels, choices) in enumerate(CUSTOM):
        CustomFieldDefinition.objects.get_or_create(
            content_type=ct,
            key=key,
            defaults={"kind": kind, "labels": labels, "choices": choices, "position": position},
        )
    sequence, _ = NumberSequence.objects.get_or_create(
        key="customer",
        defaults={"name": "Customer numbers", "prefix": "C", "pattern": "{prefix}{number}", "start": 10001},
    )
    DocumentNumbering.objects.get_or_create(doc_type="customer", defaults={"label": "Customer", "sequence": sequence})
    categories: dict[str, Category] = {}
    for key, name, parent, titles in CATEGORIES:
        categories[key] = services.category_save(
            actor=admin,
            category=None,
            name=name,
            parent=categories.get(parent) if parent else None,
            restricted=bool(titles),
            positions=list(Position.objects.filter(title__in=titles)),
        )
    experts = list(User.objects.filter(username__in=["sara", "reza", "nazanin", "james", "olena"]))
    cities = vocab["iran_cities"]
    for i in range(count):
        persian = i % 5 != 0
        organisation = i % 4 == 0
        if organisation:
            words = vocab["persian_company_words"]
            name = (
                f"{rng.choice(vocab['persian_company_forms'])} {rng.choice(words)} {rng.choice(words)}"
                if persian
                else f"{rng.choice(vocab['english_surnames'])} {rng.choice(['Ltd', 'Group', 'Trading'])}"
            )
            values = {"kind": Identity.Kind.ORGANISATION, "organisation_name": name}
        elif persian:
            first = rng.choice(vocab["persian_given_names_male"] + vocab["persian_given_names_female"])
            values = {"first_name": first, "last_name": rng.choice(vocab["persian_surnames"])}
        else:
            pool = vocab["ukrainian_given_names"] if i % 2 else vocab["english_given_names"]
            last = vocab["ukrainian_surnames"] if i % 2 else vocab["english_surnames"]
            values = {"first_name": rng.choice(pool), "last_name": rng.choice(last)}
        city = rng.choice(cities)
        cats = [categories[rng.choice(["customers", "customers", "leads", "suppliers", "partners", "vip"])]]
        identity = services.identity_create(
            actor=admin,
            **values,
            birth_date=None
            if organisation
            else dt.date(rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28)),
            colour=rng.choice(["", "", "green", "blue", "orange", "red"]),
            class_code=rng.choice(["A", "B", "B", "C", "C", "C"]),
            phones=[{"number": _phone(rng, vocab), "kind": "mobile"}]
            + (
                [{"number": f"{city['area_code']}{rng.randint(20000000, 99999999)}", "kind": "phone"}]
                if rng.random() < 0.5
                else []
            ),
            emails=[f"contact{i}@example.com"] if rng.random() < 0.6 else [],
            addresses=[
                {
                    "province": city["province"],
                    "city": city["city"],
                    "line": f"خیابان {rng.randint(1, 120)}، پلاک {rng.randint(1, 90)}",
                }
            ],
            categories=cats,
            custom={
                "industry": rng.choice(["it", "retail", "industry", "services"]),
                "annual_budget": str(rng.randint(10, 900) * 10_000_000),
            },
            assignees=[rng.choice(experts)] if experts and rng.random() < 0.7 else [],
        )
        if cats[0].name in ("مشتریان", "مشتریان ویژه") and rng.random() < 0.7:
            services.customer_number_give(actor=admin, identity=identity, reason="demo")
