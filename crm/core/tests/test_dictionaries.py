"""Admin-editable lists (PL-11): system entries that code relies on cannot be removed,
deactivated or re-coded (their labels may change); entries users made can be."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.core.audit.models import AuditEntry
from crm.core.dictionaries.models import DictionaryEntry
from crm.core.dictionaries.services import (
    DictionaryError,
    dictionary_entry_create,
    dictionary_entry_delete,
    dictionary_entry_ensure_system,
    dictionary_entry_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def system_entry():
    return dictionary_entry_ensure_system(dictionary="task-status", code="done", labels={"en": "Done"})


@pytest.fixture
def user_entry(alice):
    return dictionary_entry_create(actor=alice, dictionary="task-status", code="waiting", labels={"en": "Waiting"})


def test_a_system_entry_cannot_be_deleted(alice, system_entry):
    with pytest.raises(DictionaryError):
        dictionary_entry_delete(actor=alice, entry=system_entry)
    assert DictionaryEntry.objects.filter(pk=system_entry.pk).exists()


def test_a_system_entry_cannot_be_deactivated(alice, system_entry):
    with pytest.raises(DictionaryError):
        dictionary_entry_update(actor=alice, entry=system_entry, active=False)
    system_entry.refresh_from_db()
    assert system_entry.active is True


def test_a_system_entry_cannot_change_its_code(alice, system_entry):
    with pytest.raises(DictionaryError):
        dictionary_entry_update(actor=alice, entry=system_entry, code="finished")
    system_entry.refresh_from_db()
    assert system_entry.code == "done"


def test_a_system_entry_may_be_relabelled_and_reordered(alice, system_entry):
    dictionary_entry_update(
        actor=alice,
        entry=system_entry,
        labels={"en": "Finished", "fa": "انجام شد"},
        position=3,
        code="done",
        active=True,
    )
    system_entry.refresh_from_db()
    assert (system_entry.label, system_entry.position) == ("Finished", 3)
    entry = AuditEntry.objects.get(action="dictionaryentry.updated")
    assert set(entry.changes) == {"labels", "position"}


def test_ensuring_a_system_entry_again_keeps_the_admins_labels(system_entry):
    DictionaryEntry.objects.filter(pk=system_entry.pk).update(labels={"en": "Completed"}, active=False)
    again = dictionary_entry_ensure_system(dictionary="task-status", code="done", labels={"en": "Done"})
    assert again.pk == system_entry.pk
    assert (again.labels, again.active, again.is_system) == ({"en": "Completed"}, True, True)


def test_a_user_entry_can_be_recoded_deactivated_and_deleted(alice, user_entry):
    dictionary_entry_update(actor=alice, entry=user_entry, code="on-hold", active=False)
    user_entry.refresh_from_db()
    assert (user_entry.code, user_entry.active, user_entry.is_system) == ("on-hold", False, False)

    pk = user_entry.pk
    dictionary_entry_delete(actor=alice, entry=user_entry)
    assert not DictionaryEntry.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(action="dictionaryentry.deleted", target_id=str(pk)).exists()


def test_codes_are_unique_within_a_list(alice, system_entry):
    with pytest.raises(ValidationError):
        dictionary_entry_create(actor=alice, dictionary="task-status", code="done", labels={"en": "Again"})
    # the same code in another list is fine
    dictionary_entry_create(actor=alice, dictionary="event-type", code="done", labels={"en": "Done"})


def test_the_web_page_refuses_to_delete_a_system_entry(client, alice, system_entry):
    client.force_login(alice)
    client.post(reverse("dictionary_entry_delete", args=[system_entry.pk]))
    assert DictionaryEntry.objects.filter(pk=system_entry.pk).exists()


def test_charlie_cannot_reach_the_delete_page(client, charlie, user_entry):
    client.force_login(charlie)
    response = client.post(reverse("dictionary_entry_delete", args=[user_entry.pk]))
    assert response.status_code == 403
    assert DictionaryEntry.objects.filter(pk=user_entry.pk).exists()
