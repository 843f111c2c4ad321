"""The global CRM history page (AC-9): filters, saved filters, cursor paging, access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from crm.core.lists.services import saved_filter_create
from crm.core.timeline import registry
from crm.core.timeline.registry import ItemType
from crm.core.timeline.services import timeline_record

THING, GADGET = "test.thing", "test.gadget"


def at(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2025, 3, day, hour, 0))


@pytest.fixture
def types(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two item types alice and bob may see (charlie none), and a hidden one."""

    def visible(user: Any, ids: Any) -> set[str]:
        return set(ids) if user.username in {"alice", "bob"} else set()

    for key, label in ((THING, "Thing"), (GADGET, "Gadget")):
        monkeypatch.setitem(
            registry._types,
            key,
            ItemType(key=key, label=label, icon="bi-box", url=lambda i, k=key: f"/{k}/{i}/", visible_ids=visible),
        )
    monkeypatch.setitem(
        registry._types,
        "test.profile",
        ItemType(
            key="test.profile",
            label="Profile",
            icon="bi-person",
            url=lambda i: None,
            visible_ids=visible,
            in_history=False,
        ),
    )


def record(item_type: str, item_id: int, when: dt.datetime, actor: Any = None, identities: tuple = ()) -> None:
    timeline_record(
        identity_ids=identities,
        item_type=item_type,
        item_id=item_id,
        occurred_at=when,
        summary=f"{item_type} {item_id}",
        actor=actor,
    )


def rows(html: str) -> list[str]:
    import re

    return re.findall(r"<bdi>(test\.\w+ \d+)</bdi>", html)


def test_lists_items_newest_first(client: Any, bob: Any, types: None) -> None:
    record(THING, 1, at(1))
    record(GADGET, 2, at(2))
    client.force_login(bob)
    response = client.get(reverse("crm_history"))
    assert response.status_code == 200
    assert rows(response.content.decode()) == ["test.gadget 2", "test.thing 1"]


def test_charlie_sees_nothing_he_may_not_see(client: Any, charlie: Any, types: None) -> None:
    record(THING, 1, at(1))
    client.force_login(charlie)
    assert rows(client.get(reverse("crm_history")).content.decode()) == []


def test_needs_login(client: Any) -> None:
    assert client.get(reverse("crm_history")).status_code == 302


def test_type_filter_lists_history_types_only(client: Any, bob: Any, types: None) -> None:
    record(THING, 1, at(1))
    record(GADGET, 2, at(2))
    client.force_login(bob)
    html = client.get(reverse("crm_history"), {"type": THING}).content.decode()
    assert rows(html) == ["test.thing 1"]
    assert f'<option value="{THING}" selected>' in html
    assert 'value="test.profile"' not in html  # not a history type


def test_user_filter(client: Any, alice: Any, bob: Any, types: None) -> None:
    record(THING, 1, at(1), actor=alice)
    record(THING, 2, at(2), actor=bob)
    client.force_login(bob)
    assert rows(client.get(reverse("crm_history"), {"user": "me"}).content.decode()) == ["test.thing 2"]
    assert rows(client.get(reverse("crm_history"), {"user": alice.pk}).content.decode()) == ["test.thing 1"]


def test_date_range_in_the_users_calendar(client: Any, bob: Any, types: None) -> None:
    record(THING, 1, at(1))
    record(THING, 2, at(10))
    record(THING, 3, at(20))
    bob.calendar = "jalali"
    bob.save(update_fields=["calendar"])
    client.force_login(bob)
    # 2025-03-05 … 2025-03-15 is 1403/12/15 … 1403/12/25
    html = client.get(reverse("crm_history"), {"since": "۱۴۰۳/۱۲/۱۵", "until": "1403/12/25"}).content.decode()
    assert rows(html) == ["test.thing 2"]
    # the "to" day is included
    assert rows(client.get(reverse("crm_history"), {"until": "1403/12/20"}).content.decode()) == [
        "test.thing 2",
        "test.thing 1",
    ]


def test_invalid_filters_are_ignored_with_a_note(client: Any, bob: Any, types: None) -> None:
    record(THING, 1, at(1))
    client.force_login(bob)
    response = client.get(reverse("crm_history"), {"since": "someday", "before": "garbage", "user": "x"})
    html = response.content.decode()
    assert response.status_code == 200 and rows(html) == ["test.thing 1"]
    assert "is not valid" in html


def test_identity_filter_shows_its_name(client: Any, alice: Any, types: None) -> None:
    identity = apps.get_model("identities", "Identity").objects.create(
        kind="person", first_name="Sara", display_name="Sara"
    )
    record(THING, 1, at(1), identities=(identity.pk,))
    record(THING, 2, at(2))
    client.force_login(alice)
    html = client.get(reverse("crm_history"), {"identity": str(identity.pk)}).content.decode()
    assert rows(html) == ["test.thing 1"]
    assert 'data-testid="identity-filter"' in html and "Sara" in html


def test_identity_one_may_not_see_shows_nothing(client: Any, bob: Any, types: None) -> None:
    identity = apps.get_model("identities", "Identity").objects.create(
        kind="person", first_name="Hidden", display_name="Hidden"
    )
    record(THING, 1, at(1), identities=(identity.pk,))
    client.force_login(bob)  # bob has no right to identities
    html = client.get(reverse("crm_history"), {"identity": identity.pk}).content.decode()
    assert rows(html) == [] and "Hidden" not in html
    assert "No identity with this number that you may see." in html


def test_cursor_paging(client: Any, bob: Any, types: None) -> None:
    for i in range(35):
        record(THING, i, at(1) + dt.timedelta(minutes=i))
    client.force_login(bob)
    html = client.get(reverse("crm_history")).content.decode()
    first = rows(html)
    assert len(first) == 30 and first[0] == "test.thing 34"
    assert 'data-testid="older"' in html
    response = client.get(reverse("crm_history"))
    older = response.context["older"]
    html = client.get(reverse("crm_history"), {"before": older}).content.decode()
    assert rows(html) == [f"test.thing {i}" for i in range(4, -1, -1)]


def test_saved_filters(client: Any, bob: Any, types: None) -> None:
    saved_filter_create(actor=bob, list_key="crm_history", name="Things", query=f"type={THING}")
    client.force_login(bob)
    html = client.get(reverse("crm_history")).content.decode()
    assert 'name="list_key" value="crm_history"' in html
    assert f'href="?type={THING}"' in html and "Things" in html


def test_in_the_main_menu(client: Any, bob: Any) -> None:
    client.force_login(bob)
    assert f'href="{reverse("crm_history")}"' in client.get(reverse("dashboard")).content.decode()
