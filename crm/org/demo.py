"""Organisation demo data: a company's departments, posts with rights, staff, a deputy,
employee cards with custom fields, and the demo admin (user `admin`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.demo.registry import vocabulary
from crm.org import services
from crm.org.models import Appointment, Department, EmployeeCard, Position, Substitution, User

DEPARTMENTS = [  # (key, name, parent key)
    ("board", "مدیریت عامل", None),
    ("sales", "واحد فروش", "board"),
    ("sales_tehran", "فروش تهران", "sales"),
    ("service", "امور مشتریان", "board"),
    ("office", "دفتر مدیریت", "board"),
    ("warehouse", "انبار", "board"),
    ("finance", "مالی", "board"),
]
POSITIONS = [  # (key, title, department, reports_to, manager, permission codenames)
    ("ceo", "مدیر عامل", "board", None, True, "*"),
    (
        "office_manager",
        "مدیر دفتر",
        "office",
        "ceo",
        False,
        [
            "org.view_department",
            "org.view_position",
            "org.view_appointment",
            "org.view_user",
            "org.view_all_employeecard",
            "org.view_employeecard",
            "core.view_auditentry",
        ],
    ),
    (
        "sales_manager",
        "مدیر فروش",
        "sales",
        "ceo",
        True,
        [
            "org.view_department",
            "org.view_position",
            "org.view_user",
            "org.view_all_employeecard",
            "org.view_employeecard",
            "org.change_all_employeecard",
            "org.change_employeecard",
            "core.share_savedfilter",
        ],
    ),
    (
        "sales_expert",
        "کارشناس فروش",
        "sales_tehran",
        "sales_manager",
        False,
        ["org.view_department", "org.view_employeecard", "org.add_employeecard", "org.change_employeecard"],
    ),
    (
        "service_expert",
        "کارشناس امور مشتریان",
        "service",
        "ceo",
        False,
        ["org.view_department", "org.view_employeecard"],
    ),
    ("warehouse_keeper", "انباردار", "warehouse", "ceo", False, ["org.view_department"]),
    (
        "accountant",
        "حسابدار",
        "finance",
        "ceo",
        False,
        [
            "org.view_department",
            "org.view_all_employeecard",
            "org.view_employeecard",
            "org.view_sensitive_employeecard",
        ],
    ),
]
STAFF = [  # (username, first, last, position key)
    ("ceo", "بهروز", "کریمی", "ceo"),
    ("office", "مریم", "احمدی", "office_manager"),
    ("sales", "سعید", "رضایی", "sales_manager"),
    ("sara", "سارا", "موسوی", "sales_expert"),
    ("reza", "رضا", "جعفری", "sales_expert"),
    ("nazanin", "نازنین", "صادقی", "service_expert"),
    ("kamran", "کامران", "قاسمی", "warehouse_keeper"),
    ("elham", "الهام", "هاشمی", "accountant"),
    ("olena", "Олена", "Шевченко", "service_expert"),
    ("james", "James", "Miller", "sales_expert"),
]
CUSTOM_FIELDS = [
    (
        "shirt_size",
        "choice",
        {"fa": "سایز لباس فرم", "en": "Uniform size", "uk": "Розмір форми"},
        [{"value": s, "labels": {}} for s in ("S", "M", "L", "XL")],
    ),
    ("grade", "number", {"fa": "پایه حقوقی", "en": "Salary grade", "uk": "Тарифний розряд"}, []),
    ("contract_end", "date", {"fa": "پایان قرارداد", "en": "Contract ends", "uk": "Кінець контракту"}, []),
    (
        "languages",
        "multi_choice",
        {"fa": "زبان‌ها", "en": "Languages", "uk": "Мови"},
        [
            {"value": "fa", "labels": {"fa": "فارسی", "en": "Persian", "uk": "Перська"}},
            {"value": "en", "labels": {"fa": "انگلیسی", "en": "English", "uk": "Англійська"}},
            {"value": "uk", "labels": {"fa": "اوکراینی", "en": "Ukrainian", "uk": "Українська"}},
        ],
    ),
    ("emergency_contact", "text", {"fa": "تماس اضطراری", "en": "Emergency contact", "uk": "Екстрений контакт"}, []),
]


def _permissions(codes: Any) -> list[Permission]:
    if codes == "*":
        return list(Permission.objects.filter(content_type__app_label__in=["core", "org"]))
    found = []
    for code in codes:
        app_label, codename = code.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def _admin() -> User:
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"is_superuser": True, "is_staff": True, "first_name": "مدیر", "last_name": "سامانه", "language": ""},
    )
    if created:
        admin.set_password(settings.CRM_DEMO_ADMIN_PASSWORD)
        admin.save()
    return admin


def load(rng: Any) -> None:
    """Through the services, as an admin would, so every record has its history."""
    admin = _admin()
    departments: dict[str, Department] = {}
    for key, name, parent_key in DEPARTMENTS:
        parent = departments.get(parent_key) if parent_key else None
        departments[key] = Department.objects.filter(name=name).first() or services.department_create(
            actor=admin, name=name, parent=parent, code=key.upper()[:10]
        )
    positions: dict[str, Position] = {}
    for key, title, dept_key, boss, manager, codes in POSITIONS:
        existing = Position.objects.filter(title=title, department=departments[dept_key]).first()
        positions[key] = services.position_save(
            actor=admin,
            position=existing,
            title=title,
            department=departments[dept_key],
            reports_to=positions.get(boss) if boss else None,
            is_manager=manager,
            permissions=_permissions(codes),
        )
    start = timezone.localdate() - dt.timedelta(days=400)
    vocab = vocabulary()
    ct = ContentType.objects.get_for_model(EmployeeCard)
    for position, (key, kind, labels, choices) in enumerate(CUSTOM_FIELDS):
        CustomFieldDefinition.objects.get_or_create(
            content_type=ct,
            key=key,
            defaults={"kind": kind, "labels": labels, "choices": choices, "position": position},
        )
    for username, first, last, pos_key in STAFF:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": first, "last_name": last})
        if created:
            user.set_password(settings.CRM_DEMO_ADMIN_PASSWORD)
            user.language = "uk" if username == "olena" else ("en" if username == "james" else "")
            user.save()
        if not Appointment.objects.filter(user=user, position=positions[pos_key]).exists():
            services.appointment_create(
                actor=admin,
                user=user,
                position=positions[pos_key],
                start_date=start,
                decree_number=f"1403/{rng.randint(100, 999)}",
            )
        prefix = rng.choice([p for group in vocab["iran_mobile_prefixes"].values() for p in group])
        if EmployeeCard.all_objects.filter(user=user).exists():
            continue
        services.employee_card_create(
            actor=admin,
            user=user,
            first_name=first,
            last_name=last,
            personnel_number=f"{rng.randint(1000, 9999)}",
            mobile=f"{prefix}{rng.randint(1000000, 9999999)}",
            national_id=f"{rng.randint(10**9, 10**10 - 1)}",
            email=f"{username}@example.com",
            hire_date=start + dt.timedelta(days=rng.randint(0, 300)),
            birth_date=dt.date(rng.randint(1970, 2000), rng.randint(1, 12), rng.randint(1, 28)),
            custom={
                "shirt_size": rng.choice(["S", "M", "L", "XL"]),
                "grade": rng.randint(1, 12),
                "contract_end": (timezone.localdate() + dt.timedelta(days=rng.randint(30, 700))).isoformat(),
                "languages": sorted({"fa", rng.choice(["en", "uk", "fa"])}),
            },
        )
    today = timezone.localdate()
    if not Substitution.objects.filter(position=positions["sales_manager"]).exists():
        services.substitution_create(
            actor=admin,
            position=positions["sales_manager"],
            substitute=User.objects.get(username="sara"),
            start_date=today + dt.timedelta(days=7),
            end_date=today + dt.timedelta(days=21),
            reason="مرخصی مدیر فروش",
        )
