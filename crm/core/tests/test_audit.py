"""The audit trail (PL-6): tracked writes save only what changed and record the diff; a
record's history can leave out fields the reader may not see."""

from __future__ import annotations

import pytest

from crm.core.audit.models import AuditEntry
from crm.core.audit.selectors import audit_entries_for
from crm.core.audit.services import audit_diff, audit_record, tracked_create, tracked_update
from crm.core.dictionaries.models import DictionaryEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(alice):
    return tracked_create(obj=DictionaryEntry(dictionary="status", code="open", labels={"en": "Open"}), actor=alice)


def test_create_records_the_non_empty_values(alice, entry):
    audit = AuditEntry.objects.get(action="dictionaryentry.created")
    assert audit.actor == alice
    assert audit.actor_label == "alice"
    assert audit.target_id == str(entry.pk)
    assert audit.changes == {
        "id": [None, entry.pk],
        "dictionary": [None, "status"],
        "code": [None, "open"],
        "labels": [None, {"en": "Open"}],
        "is_system": [None, False],
        "position": [None, 0],
        "active": [None, True],
    }


def test_update_saves_and_records_only_the_changed_fields(alice, entry):
    DictionaryEntry.objects.filter(pk=entry.pk).update(code="sneaky")  # a concurrent change to another field

    diff = tracked_update(obj=entry, actor=alice, labels={"en": "Opened"}, position=2, active=True)

    assert diff == {"labels": [{"en": "Open"}, {"en": "Opened"}], "position": [0, 2]}
    row = DictionaryEntry.objects.get(pk=entry.pk)
    assert (row.labels, row.position, row.code) == ({"en": "Opened"}, 2, "sneaky")  # other fields not overwritten
    assert AuditEntry.objects.get(action="dictionaryentry.updated").changes == diff


def test_an_update_without_changes_writes_nothing(alice, entry):
    assert tracked_update(obj=entry, actor=alice, code="open") == {}
    assert not AuditEntry.objects.filter(action="dictionaryentry.updated").exists()


def test_a_system_actor_is_recorded_by_name(entry):
    audit = audit_record(actor="reminder-worker", target=entry, action="dictionaryentry.touched")
    assert (audit.actor, audit.actor_label) == (None, "reminder-worker")


def test_diff_lists_only_differences():
    assert audit_diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}


def test_history_is_newest_first_and_can_hide_fields(alice, entry):
    tracked_update(obj=entry, actor=alice, code="opened", position=5)

    full = audit_entries_for(target=entry)
    assert [e.action for e in full] == ["dictionaryentry.updated", "dictionaryentry.created"]
    assert full[0].changes == {"code": ["open", "opened"], "position": [0, 5]}

    redacted = audit_entries_for(target=entry, hidden={"code"})
    assert redacted[0].changes == {"position": [0, 5]}
    assert "code" not in redacted[1].changes
    # and the stored rows keep everything
    assert AuditEntry.objects.get(action="dictionaryentry.updated").changes["code"] == ["open", "opened"]
