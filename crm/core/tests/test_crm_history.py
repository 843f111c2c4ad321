"""The global CRM history (AC-9): one row per item, access-filtered, cursor-paged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crm.core.timeline.models import HistoryItem
from crm.core.timeline.registry import ItemType, register_item_type
from crm.core.timeline.selectors import crm_history_page
from crm.core.timeline.services import timeline_hide, timeline_record

pytestmark = pytest.mark.django_db

SECRET = "test.secret"
OPEN = "test.open"
# "open" items are visible to all; "secret" items only to their even ids… and superusers
register_item_type(
    ItemType(key=OPEN, label="Open", icon="bi-box", url=lambda i: None, visible_ids=lambda user, ids: set(ids))
)
register_item_type(
    ItemType(
        key=SECRET,
        label="Secret",
        icon="bi-lock",
        url=lambda i: None,
        visible_ids=lambda user, ids: {i for i in ids if int(i) % 2 == 0},
    )
)


def record(item_type: str, item_id: int, minutes_ago: int, identity_ids=(), actor=None) -> None:
    timeline_record(
        identity_ids=identity_ids,
        item_type=item_type,
        item_id=item_id,
        occurred_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        summary=f"{item_type} {item_id}",
        actor=actor,
    )


def test_one_row_per_item_whatever_its_links(alice):
    record(OPEN, 1, 5, identity_ids=[10, 11, 12])
    record(OPEN, 1, 5, identity_ids=[10])  # relinked: still one item
    assert HistoryItem.objects.count() == 1
    page = crm_history_page(user=alice)
    assert [row.summary for row in page["rows"]] == ["test.open 1"]


def test_pages_are_full_even_when_many_rows_are_hidden(bob):
    for i in range(1, 41):
        record(SECRET, i, i)  # newest first: 1, 2, 3 …; bob sees only even ids
    first = crm_history_page(user=bob, per_page=10)
    assert [int(r.item_id) for r in first["rows"]] == list(range(2, 21, 2))
    second = crm_history_page(user=bob, per_page=10, before=first["next"])
    assert [int(r.item_id) for r in second["rows"]] == list(range(22, 41, 2))
    third = crm_history_page(user=bob, per_page=10, before=second["next"])
    assert third["rows"] == [] and third["next"] is None


def test_filters_by_type_user_identity_and_dates(alice, bob):
    record(OPEN, 1, 60 * 24 * 3, identity_ids=[7], actor=bob)
    record(OPEN, 2, 10, identity_ids=[8], actor=alice)
    record(SECRET, 4, 5, identity_ids=[7], actor=bob)
    ids = lambda **f: sorted(r.item_id for r in crm_history_page(user=alice, **f)["rows"])  # noqa: E731
    assert ids(item_types=[OPEN]) == ["1", "2"]
    assert ids(actor_ids=[bob.pk]) == ["1", "4"]
    assert ids(identity_id=7) == ["1", "4"]
    assert ids(since=timezone.now() - dt.timedelta(days=1)) == ["2", "4"]
    assert ids(until=timezone.now() - dt.timedelta(days=1)) == ["1"]


def test_hidden_items_leave_the_history(alice):
    record(OPEN, 1, 5, identity_ids=[7])
    timeline_hide(item_type=OPEN, item_id=1)
    assert crm_history_page(user=alice)["rows"] == []
    timeline_hide(item_type=OPEN, item_id=1, hidden=False)
    assert len(crm_history_page(user=alice)["rows"]) == 1
