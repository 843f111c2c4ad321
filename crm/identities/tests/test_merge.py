"""Merge and undo (ID-7, ID-10): everything moves to the survivor in one transaction,
the merged identity is soft-deleted, the history follows, and the undo puts back exactly
what moved. Rights: the merge right plus change rights on both identities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from crm.core.audit.models import AuditEntry
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.services import custom_field_define
from crm.core.errors import CoreError, CoreErrorCode, PermissionDeniedError
from crm.core.timeline.models import TimelineEntry
from crm.core.timeline.selectors import timeline_page
from crm.core.timeline.services import timeline_record
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.events import EVENT_ITEM_TYPE
from crm.identities.merge import identity_merge, identity_merge_undo
from crm.identities.merge import services as merge_services
from crm.identities.models import (
    Address,
    ContactPerson,
    Email,
    Identity,
    MergeRecord,
    Phone,
    SpecialDate,
    Website,
)
from crm.identities.services import (
    category_save,
    contact_person_link,
    customer_number_give,
    identity_create,
    identity_update,
    resolve_contact,
)
from crm.org.testing import appoint, fresh, make_position

pytestmark = pytest.mark.django_db

Kind = CustomFieldDefinition.Kind
MERGE_RIGHTS = (
    "identities.view_identity",
    "identities.view_all_identity",
    "identities.add_identity",
    "identities.change_identity",
    "identities.change_all_identity",
    "identities.merge_identity",
)


def give(user, *names):
    appoint(user, make_position(f"Extra {'/'.join(names)}"[:100], names))
    return fresh(user)


def _at(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@dataclass
class World:
    survivor: Identity
    merged: Identity
    organisation: Identity
    colleague: Identity
    categories: dict[str, Any]


@pytest.fixture
def world(alice, bob) -> World:
    """Two records of one customer, Sara Ahmadi, each with something the other lacks."""
    custom_field_define(actor=alice, model=Identity, key="city", labels={"en": "City"}, kind=Kind.TEXT)
    custom_field_define(actor=alice, model=Identity, key="budget", labels={"en": "Budget"}, kind=Kind.NUMBER)
    custom_field_define(actor=alice, model=Identity, key="nickname", labels={"en": "Nickname"}, kind=Kind.TEXT)
    cats = {
        name: category_save(actor=alice, category=None, name=name, parent=None, restricted=False, positions=[])
        for name in ("Retail", "Newsletter", "Tehran")
    }
    survivor = identity_create(
        actor=alice,
        kind="person",
        first_name="سارا",
        last_name="احمدی",
        phones=[{"number": "09121111111", "is_primary": True}],
        emails=["sara@example.com"],
        categories=[cats["Retail"]],
        custom={"city": "Tehran", "nickname": ""},
        assignees=[alice],
        websites=["https://sara.example.com"],
    )
    merged = identity_create(
        actor=alice,
        kind="person",
        first_name="سارا",
        last_name="احمدي",
        phones=[{"number": "+98 912 111 1111"}, {"number": "0935 222 2222", "is_primary": True}],
        emails=["SARA@example.com", "s.ahmadi@work.ir"],
        addresses=[{"line": "Valiasr St. 12", "city": "Tehran"}],
        websites=["https://sara.example.com", "https://blog.sara.ir"],
        special_dates=[{"label": "Wedding", "date": dt.date(2015, 6, 1)}],
        categories=[cats["Retail"], cats["Newsletter"]],
        assignees=[alice, bob],
        custom={"city": "Shiraz", "budget": 5000, "nickname": "Sari"},
    )
    customer_number_give(actor=alice, identity=merged, number="C-100")
    organisation = identity_create(actor=alice, kind="organisation", organisation_name="Kia Trading")
    colleague = identity_create(actor=alice, kind="person", first_name="Reza", last_name="Kia")
    contact_person_link(actor=alice, organisation=organisation, person=merged, role="Buyer")
    timeline_record(
        identity_ids=[merged.pk], item_type="test.call", item_id=1, occurred_at=_at(3), summary="Call about prices"
    )
    timeline_record(
        identity_ids=[merged.pk, survivor.pk],
        item_type="test.meeting",
        item_id=2,
        occurred_at=_at(2),
        summary="Meeting with both",
    )
    timeline_record(
        identity_ids=[survivor.pk], item_type="test.call", item_id=3, occurred_at=_at(1), summary="Survivor's own call"
    )
    return World(
        Identity.objects.get(pk=survivor.pk), Identity.objects.get(pk=merged.pk), organisation, colleague, cats
    )


def snapshot(*identities: Identity) -> dict[str, Any]:
    """Everything a merge may touch, per identity, plus the rows of every history item."""
    shot: dict[str, Any] = {}
    for identity in identities:
        i = Identity.all_objects.get(pk=identity.pk)
        shot[i.pk] = {
            "phones": sorted(Phone.objects.filter(identity=i).values_list("pk", "number", "is_primary")),
            "emails": sorted(Email.objects.filter(identity=i).values_list("pk", "address", "is_primary")),
            "addresses": sorted(Address.objects.filter(identity=i).values_list("pk", flat=True)),
            "websites": sorted(Website.objects.filter(identity=i).values_list("pk", flat=True)),
            "dates": sorted(SpecialDate.objects.filter(identity=i).values_list("pk", flat=True)),
            "categories": sorted(i.category_links.values_list("category_id", flat=True)),
            "assignees": sorted(i.assignments.values_list("user_id", "assigned_by_id")),
            "contacts": sorted(ContactPerson.objects.filter(organisation=i).values_list("pk", "person_id", "role")),
            "organisations": sorted(ContactPerson.objects.filter(person=i).values_list("pk", "organisation_id")),
            "custom": i.custom,
            "customer": (i.customer_number, i.became_customer_at),
            "deleted": i.deleted_at is not None,
            "names": (i.display_name, i.name_key, i.is_unknown),
        }
    shot["timeline"] = sorted(TimelineEntry.objects.values_list("pk", "identity_id", "hidden"))
    return shot


def without_new_events(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The merge and its undo add milestones to the histories; everything else must match."""
    old = {row[0] for row in before["timeline"]}
    return {**after, "timeline": [row for row in after["timeline"] if row[0] in old]}


class TestMerge:
    def test_moves_everything_to_the_survivor(self, alice, bob, world):
        s, m = world.survivor, world.merged
        record = identity_merge(actor=alice, survivor=s, merged=m)
        s = Identity.objects.get(pk=s.pk)
        assert sorted(s.phones.values_list("number", "is_primary")) == [
            ("+989121111111", True),
            ("+989352222222", False),
        ]
        assert Phone.objects.filter(identity=m, number="+989121111111").exists()  # the exact duplicate stays behind
        assert sorted(s.emails.values_list("address", flat=True)) == ["s.ahmadi@work.ir", "sara@example.com"]
        assert list(s.addresses.values_list("line", flat=True)) == ["Valiasr St. 12"]
        assert sorted(s.websites.values_list("url", flat=True)) == ["https://blog.sara.ir", "https://sara.example.com"]
        assert list(s.special_dates.values_list("label", flat=True)) == ["Wedding"]
        assert {c.name for c in s.categories.all()} == {"Retail", "Newsletter"}
        assert set(s.assignees.all()) == {alice, bob}
        assert s.custom == {"city": "Tehran", "budget": 5000, "nickname": "Sari"}  # survivor's values win
        assert s.customer_number == "C-100"
        assert list(ContactPerson.objects.filter(organisation=world.organisation).values_list("person", "role")) == [
            (s.pk, "Buyer")
        ]
        m = Identity.all_objects.get(pk=m.pk)
        assert m.is_deleted and m.customer_number is None
        assert not Identity.objects.filter(pk=m.pk).exists()
        assert record.survivor == s and record.merged == m and record.actor == alice
        assert record.moved["custom"]["before"] == {"city": "Tehran"}
        assert record.moved["custom"]["filled"] == ["budget", "nickname"]
        assert record.moved["customer_number"]["moved"] == "C-100"

    def test_the_survivors_history_shows_the_merged_ones(self, alice, world):
        s, m = world.survivor, world.merged
        identity_merge(actor=alice, survivor=s, merged=m)
        rows = timeline_page(user=alice, identity_id=s.pk, per_page=50)["rows"]
        items = [(r.item_type, r.item_id) for r in rows if r.item_type.startswith("test.")]
        assert items == [("test.call", "3"), ("test.meeting", "2"), ("test.call", "1")]  # the shared item once
        events = [r for r in rows if r.item_type == EVENT_ITEM_TYPE]
        assert events[0].extra["action"] == "identity.merged" and events[0].summary == str(m)
        assert "identity.created" in {e.extra["action"] for e in events[1:]}  # the merged one's own milestones too
        assert not TimelineEntry.objects.filter(identity_id=m.pk, hidden=False).exists()

    def test_audited_on_both_with_a_link_to_the_record(self, alice, world):
        record = identity_merge(actor=alice, survivor=world.survivor, merged=world.merged)
        ct = ContentType.objects.get_for_model(Identity)
        for identity, field in ((world.survivor, "merged"), (world.merged, "merged_into")):
            entry = AuditEntry.objects.get(target_type=ct, target_id=str(identity.pk), action="identity.merged")
            assert entry.actor == alice
            assert entry.changes["merge_record"] == record.pk
            assert entry.changes[field][1].endswith(f"(#{(world.merged if field == 'merged' else world.survivor).pk})")
        assert sorted(record.moved["audit"]) == sorted(
            AuditEntry.objects.filter(action="identity.merged").values_list("pk", flat=True)
        )

    def test_both_customers_keep_their_own_numbers(self, alice, world):
        customer_number_give(actor=alice, identity=world.survivor, number="C-001")
        record = identity_merge(actor=alice, survivor=world.survivor, merged=world.merged)
        assert Identity.objects.get(pk=world.survivor.pk).customer_number == "C-001"
        assert Identity.all_objects.get(pk=world.merged.pk).customer_number == "C-100"
        assert record.moved["customer_number"] == {"merged_number": "C-100"}

    def test_contact_links_of_organisations_both_ways(self, alice):
        first = identity_create(actor=alice, kind="organisation", organisation_name="Pars Co")
        second = identity_create(actor=alice, kind="organisation", organisation_name="Pars Company")
        ali = identity_create(actor=alice, kind="person", first_name="Ali")
        mina = identity_create(actor=alice, kind="person", first_name="Mina")
        contact_person_link(actor=alice, organisation=first, person=ali, role="CEO")
        contact_person_link(actor=alice, organisation=second, person=ali, role="Owner")  # duplicate link stays
        moved_link = contact_person_link(actor=alice, organisation=second, person=mina, role="Sales")
        record = identity_merge(actor=alice, survivor=first, merged=second)
        assert sorted(ContactPerson.objects.filter(organisation=first).values_list("person__first_name", "role")) == [
            ("Ali", "CEO"),
            ("Mina", "Sales"),
        ]
        assert record.moved["contact_links"] == [{"id": moved_link.pk, "side": "organisation"}]
        assert len(record.moved["contact_links_left"]) == 1

    def test_unknown_contact_merges_into_a_real_identity(self, alice):
        unknown, _created = resolve_contact(phone="۰۹۱۲۵۵۵۶۶۶۶", source="call")
        timeline_record(
            identity_ids=[unknown.pk], item_type="test.call", item_id=9, occurred_at=_at(1), summary="Missed call"
        )
        real = identity_create(actor=alice, kind="person", first_name="Nader", last_name="Saberi")
        identity_merge(actor=alice, survivor=real, merged=unknown)
        assert list(real.phones.values_list("number", flat=True)) == ["+989125556666"]
        assert resolve_contact(phone="09125556666") == (real, False)  # the next call finds the real profile
        assert TimelineEntry.objects.filter(identity_id=real.pk, item_type="test.call", item_id="9").exists()

    def test_merging_into_itself_is_refused(self, alice, world):
        with pytest.raises(IdentityError) as exc:
            identity_merge(actor=alice, survivor=world.survivor, merged=world.survivor)
        assert exc.value.code == IdentityErrorCode.MERGE_SAME

    def test_a_deleted_identity_cannot_be_merged_again(self, alice, world):
        identity_merge(actor=alice, survivor=world.survivor, merged=world.merged)
        with pytest.raises(CoreError) as exc:
            identity_merge(actor=alice, survivor=world.colleague, merged=world.merged)
        assert exc.value.code == CoreErrorCode.ALREADY_DELETED

    def test_atomic_a_late_failure_changes_nothing(self, alice, world, monkeypatch):
        before = snapshot(world.survivor, world.merged, world.organisation)
        audits = AuditEntry.objects.count()

        def broken(**kwargs):
            raise RuntimeError("history store down")

        monkeypatch.setattr(merge_services, "timeline_move", broken)
        with pytest.raises(RuntimeError):
            identity_merge(actor=alice, survivor=world.survivor, merged=world.merged)
        assert snapshot(world.survivor, world.merged, world.organisation) == before
        assert not MergeRecord.objects.exists()
        assert AuditEntry.objects.count() == audits


class TestUndo:
    def test_restores_everything_exactly(self, alice, world):
        ids = (world.survivor, world.merged, world.organisation)
        before = snapshot(*ids)
        record = identity_merge(actor=alice, survivor=world.survivor, merged=world.merged)
        assert snapshot(*ids) != before
        identity_merge_undo(actor=alice, record=record)
        assert without_new_events(snapshot(*ids), before) == before
        record.refresh_from_db()
        assert record.undone_at is not None
        assert all(e.undone_at for e in AuditEntry.objects.filter(action="identity.merged"))
        undone = AuditEntry.objects.filter(action="identity.merge_undone")
        assert {e.target_id for e in undone} == {str(world.survivor.pk), str(world.merged.pk)}
        assert all(e.changes["merge_record"] == record.pk for e in undone)

    def test_a_second_undo_is_refused(self, alice, world):
        record = identity_merge(actor=alice, survivor=world.survivor, merged=world.merged)
        identity_merge_undo(actor=alice, record=record)
        with pytest.raises(IdentityError) as exc:
            identity_merge_undo(actor=alice, record=record)
        assert exc.value.code == IdentityErrorCode.MERGE_UNDONE

    def test_keeps_custom_values_changed_since(self, alice, world):
        record = identity_merge(actor=alice, survivor=world.survivor, merged=world.merged)
        identity_update(actor=alice, identity=Identity.objects.get(pk=world.survivor.pk), custom={"budget": 7000})
        identity_merge_undo(actor=alice, record=record)
        survivor = Identity.objects.get(pk=world.survivor.pk)
        assert survivor.custom == {"city": "Tehran", "budget": 7000}  # nickname went back, budget stays

    def test_unknown_contact_merge_undone(self, alice):
        unknown, _created = resolve_contact(phone="09125556666", source="call")
        real = identity_create(actor=alice, kind="person", first_name="Nader", phones=[{"number": "02122223333"}])
        before = snapshot(unknown, real)
        record = identity_merge(actor=alice, survivor=real, merged=unknown)
        identity_merge_undo(actor=alice, record=record)
        assert without_new_events(snapshot(unknown, real), before) == before


class TestRights:
    def test_bob_without_the_merge_right_is_refused(self, alice, bob, world):
        bob = give(bob, *[p for p in MERGE_RIGHTS if p != "identities.merge_identity"])
        with pytest.raises(PermissionDeniedError):
            identity_merge(actor=bob, survivor=world.survivor, merged=world.merged)
        assert not MergeRecord.objects.exists()

    def test_bob_needs_change_rights_on_both(self, alice, bob, world):
        bob = give(bob, "identities.view_identity", "identities.view_all_identity", "identities.merge_identity")
        with pytest.raises(PermissionDeniedError):
            identity_merge(actor=bob, survivor=world.survivor, merged=world.merged)

    def test_an_identity_hidden_by_category_cannot_be_merged(self, alice, bob, world):
        bob = give(bob, *MERGE_RIGHTS)
        vip = category_save(
            actor=alice, category=None, name="VIP", parent=None, restricted=True, positions=[make_position("Board")]
        )
        secret = identity_create(actor=alice, kind="person", first_name="سارا", last_name="احمدی", categories=[vip])
        with pytest.raises(PermissionDeniedError):
            identity_merge(actor=bob, survivor=world.survivor, merged=secret)
        with pytest.raises(PermissionDeniedError):
            identity_merge(actor=bob, survivor=secret, merged=world.survivor)
        assert not Identity.objects.get(pk=secret.pk).is_deleted

    def test_bob_with_rights_merges_and_undoes(self, alice, bob, world):
        bob = give(bob, *MERGE_RIGHTS)
        record = identity_merge(actor=bob, survivor=world.survivor, merged=world.merged)
        identity_merge_undo(actor=bob, record=record)
        assert not Identity.all_objects.get(pk=world.merged.pk).is_deleted

    def test_undo_needs_the_merge_right(self, alice, bob, charlie, world):
        record = identity_merge(actor=alice, survivor=world.survivor, merged=world.merged)
        for user in (give(bob, *[p for p in MERGE_RIGHTS if p != "identities.merge_identity"]), charlie):
            with pytest.raises(PermissionDeniedError):
                identity_merge_undo(actor=user, record=record)
        record.refresh_from_db()
        assert record.undone_at is None
