"""Who `@token` names (AC-8): usernames, and department codes for everyone appointed there."""

from __future__ import annotations

import pytest

from crm.core.items.models import Mention
from crm.core.items.registry import mention_suggest
from crm.core.items.services import comment_add
from crm.core.timeline.registry import ItemType, register_item_type
from crm.org.mentions import resolve
from crm.org.models import Department
from crm.org.testing import appoint, make_position, make_user

pytestmark = pytest.mark.django_db

ITEM = "test.org_item"
register_item_type(
    ItemType(key=ITEM, label="Item", icon="bi-box", url=lambda i: None, visible_ids=lambda user, ids: set(ids))
)


@pytest.fixture
def sales(db) -> Department:
    department = Department.objects.create(name="Sales", code="sales", path="")
    position = make_position("Seller", department=department)
    for name in ("sara", "nima"):
        appoint(make_user(name, first_name=name.title()), position)
    return department


def test_a_department_mention_reaches_everyone_in_it(alice, sales):
    comment_add(actor=alice, item_type=ITEM, item_id=3, body="@sales the customer is waiting")
    assert set(Mention.objects.values_list("user__username", flat=True)) == {"sara", "nima"}


def test_usernames_match_whatever_their_case_and_unknown_tokens_name_nobody(bob):
    found = resolve(["BOB", "nobody"])
    assert [u.username for u in found["BOB"]] == ["bob"]
    assert "nobody" not in found


def test_the_picker_offers_people_and_departments(sales):
    offered = mention_suggest("sa")
    assert ("sara", "Sara", "user") in offered
    assert ("sales", "Sales", "department") in offered
