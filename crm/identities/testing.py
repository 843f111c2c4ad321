"""A small customer database for tests (STYLE §10: fixtures stay with the app that owns them).

`identity_world` needs only alice. In a database whose sequences were reset it has
categories 1..3 and identities 1..7 (7 is deleted), so generated ids hit real rows.
Nobody but alice and the holders of `vip_position` sees the VIP categories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.services import custom_field_define
from crm.identities import services
from crm.identities.models import Category, Identity
from crm.org.models import Position, User
from crm.org.testing import make_position

Kind = CustomFieldDefinition.Kind
IDENTITY_PERMS = (
    "identities.view_identity",
    "identities.view_all_identity",
    "identities.add_identity",
    "identities.change_identity",
    "identities.change_all_identity",
    "identities.delete_identity",
    "identities.delete_all_identity",
)


def define_identity_fields(actor: User) -> list[CustomFieldDefinition]:
    """Custom fields on identities: a number, a choice, a date, a checkbox and a text."""
    segments = [{"value": "retail", "labels": {"en": "Retail"}}, {"value": "b2b", "labels": {"en": "B2B"}}]
    specs: list[dict[str, Any]] = [
        {"key": "budget", "kind": Kind.NUMBER, "labels": {"en": "Budget"}},
        {"key": "segment", "kind": Kind.CHOICE, "labels": {"en": "Segment"}, "choices": segments},
        {"key": "since", "kind": Kind.DATE, "labels": {"en": "Client since"}},
        {"key": "newsletter", "kind": Kind.CHECKBOX, "labels": {"en": "Newsletter"}},
        {"key": "nickname", "kind": Kind.TEXT, "labels": {"en": "Nickname"}},
    ]
    return [custom_field_define(actor=actor, model=Identity, position=i, **spec) for i, spec in enumerate(specs)]


@dataclass
class IdentityWorld:
    vip_position: Position
    categories: dict[str, Category] = field(default_factory=dict)
    identities: dict[str, Identity] = field(default_factory=dict)


def _category(actor: User, name: str, *, parent: Category | None = None, positions: list[Position] = ()) -> Category:
    return services.category_save(
        actor=actor, category=None, name=name, parent=parent, restricted=bool(positions), positions=list(positions)
    )


def build_identity_world(alice: User) -> IdentityWorld:
    world = IdentityWorld(vip_position=make_position("VIP desk", IDENTITY_PERMS))
    vip_only = [world.vip_position]
    open_ = _category(alice, "Customers")
    vip = _category(alice, "VIP", positions=vip_only)
    gold = _category(alice, "Gold", parent=vip, positions=vip_only)
    world.categories = {"open": open_, "vip": vip, "gold": gold}
    define_identity_fields(alice)
    create = services.identity_create
    world.identities = {
        "sara": create(
            actor=alice,
            first_name="Sara",
            last_name="Ahmadi",
            class_code="A",
            colour="green",
            phones=[{"number": "+98 912 123 4567"}],
            emails=[{"address": "sara@example.com"}],
            addresses=[{"city": "Tehran", "line": "Valiasr St. 1"}],
            categories=[open_],
            custom={"budget": 100, "segment": "retail", "since": "2020-01-05", "newsletter": True},
        ),
        # Typed on an Arabic keyboard: ي and ك
        "ali": create(
            actor=alice,
            first_name="علي",
            last_name="كريمي",
            phones=[{"number": "021 8877 6655"}],
            categories=[open_],
            custom={"budget": 2500, "nickname": "Ali K", "since": "2023-06-01"},
        ),
        # With a ZWNJ between نیک and نام
        "niknam": create(
            actor=alice,
            kind=Identity.Kind.ORGANISATION,
            organisation_name="شرکت نیک\u200cنام",
            emails=[{"address": "info@niknam.ir"}],
            addresses=[{"city": "Shiraz", "line": "Zand 5"}],
        ),
        "hidden": create(
            actor=alice,
            first_name="Hidden",
            last_name="Vip",
            phones=[{"number": "09350001122"}],
            emails=[{"address": "vip@example.com"}],
            categories=[vip],
            custom={"budget": 999999, "segment": "b2b"},
        ),
        "acme": create(
            actor=alice, kind=Identity.Kind.ORGANISATION, organisation_name="Acme Ltd", categories=[open_, gold]
        ),
    }
    world.identities["unknown"], _created = services.resolve_contact(phone="09127770000", actor=alice, source="pbx")
    gone = create(actor=alice, first_name="Gone", last_name="Away")
    services.identity_delete(actor=alice, identity=gone)
    world.identities["gone"] = gone
    services.customer_number_give(actor=alice, identity=world.identities["sara"], number="C-1001")
    return world


@pytest.fixture
def identity_world(alice: User) -> IdentityWorld:
    return build_identity_world(alice)
