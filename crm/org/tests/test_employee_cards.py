"""Employee cards: every write audited with a diff (custom values too), edits really
saved, and soft delete / restore (PL-6): hidden from `objects`, kept in `all_objects`."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.core.audit.models import AuditEntry
from crm.core.audit.services import restore
from crm.core.customfields.services import custom_field_define
from crm.core.errors import CoreError, CoreErrorCode
from crm.org.models import EmployeeCard
from crm.org.selectors import employee_card_get_for_user, employee_card_list_for_user
from crm.org.services import employee_card_create, employee_card_delete, employee_card_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(bob):
    return employee_card_create(actor=bob, first_name="Sara", last_name="Ahmadi", mobile="09121234567")


def audit_of(card: EmployeeCard, action: str) -> AuditEntry:
    return AuditEntry.objects.get(action=action, target_id=str(card.pk))


class TestWrites:
    def test_creation_is_audited_with_the_values_set(self, bob, card):
        entry = audit_of(card, "employeecard.created")
        assert entry.actor == bob
        assert entry.changes["first_name"] == [None, "Sara"]
        assert entry.changes["mobile"] == [None, "09121234567"]
        assert entry.changes["created_by_id"] == [None, bob.pk]
        assert "national_id" not in entry.changes  # empty values are not listed

    def test_an_update_is_saved_and_audited_with_a_diff(self, bob, card):
        employee_card_update(actor=bob, card=card, mobile="09350000000", notes="Moved to Shiraz")

        card.refresh_from_db()
        assert (card.mobile, card.notes) == ("09350000000", "Moved to Shiraz")
        assert audit_of(card, "employeecard.updated").changes == {
            "mobile": ["09121234567", "09350000000"],
            "notes": ["", "Moved to Shiraz"],
        }

    def test_an_invalid_update_changes_nothing(self, bob, card):
        with pytest.raises(ValidationError):
            employee_card_update(actor=bob, card=card, email="not-an-address", mobile="0935")
        card.refresh_from_db()
        assert (card.email, card.mobile) == ("", "09121234567")
        assert not AuditEntry.objects.filter(action="employeecard.updated").exists()

    @pytest.fixture
    def shoe_size(self, alice):
        # Defined before any card is written: on PostgreSQL the definition builds an index on the
        # card table, which cannot happen in a transaction that still has pending FK checks on it.
        return custom_field_define(
            actor=alice, model=EmployeeCard, key="shoe_size", labels={"en": "Shoe size"}, kind="number"
        )

    def test_custom_values_are_validated_saved_and_audited(self, shoe_size, bob, card):
        employee_card_update(actor=bob, card=card, custom={"shoe_size": "۴۲"})

        card.refresh_from_db()
        assert card.custom == {"shoe_size": 42}
        assert audit_of(card, "employeecard.custom_updated").changes == {"custom.shoe_size": [None, 42]}

        with pytest.raises(CoreError) as error:
            employee_card_update(actor=bob, card=card, custom={"shoe_size": "big"})
        assert error.value.code == CoreErrorCode.INVALID_CUSTOM_VALUE
        card.refresh_from_db()
        assert card.custom == {"shoe_size": 42}

    def test_the_edit_page_saves_changes(self, client, bob, card):
        client.force_login(bob)
        response = client.post(
            reverse("employee_edit", args=[card.pk]),
            {"first_name": "Sara", "last_name": "Ahmadi-Rad", "mobile": "09121234567"},
        )
        assert response.status_code == 302
        card.refresh_from_db()
        assert card.last_name == "Ahmadi-Rad"


class TestSoftDelete:
    def test_delete_hides_the_card_but_keeps_the_row(self, bob, card):
        # when bob deletes his card
        employee_card_delete(actor=bob, card=card)

        # then it is gone from the default manager and lists, but not from the database
        assert not EmployeeCard.objects.filter(pk=card.pk).exists()
        kept = EmployeeCard.all_objects.get(pk=card.pk)
        assert kept.is_deleted
        assert kept.deleted_by == bob
        assert list(employee_card_list_for_user(user=bob)) == []
        assert employee_card_get_for_user(user=bob, pk=card.pk, include_deleted=True) == kept
        assert audit_of(card, "employeecard.deleted").actor == bob

    def test_deleting_twice_is_an_error(self, bob, card):
        employee_card_delete(actor=bob, card=card)
        with pytest.raises(CoreError) as error:
            employee_card_delete(actor=bob, card=EmployeeCard.all_objects.get(pk=card.pk))
        assert error.value.code == CoreErrorCode.ALREADY_DELETED

    def test_restore_brings_it_back(self, alice, bob, card):
        employee_card_delete(actor=bob, card=card)

        restore(obj=EmployeeCard.all_objects.get(pk=card.pk), actor=alice)

        back = EmployeeCard.objects.get(pk=card.pk)
        assert (back.deleted_at, back.deleted_by) == (None, None)
        assert audit_of(card, "employeecard.restored").actor == alice
        assert [e.action for e in AuditEntry.objects.filter(target_id=str(card.pk)).order_by("id")] == [
            "employeecard.created",
            "employeecard.deleted",
            "employeecard.restored",
        ]

    def test_restoring_a_live_card_is_an_error(self, alice, card):
        with pytest.raises(CoreError) as error:
            restore(obj=card, actor=alice)
        assert error.value.code == CoreErrorCode.NOT_DELETED

    def test_pages_delete_and_restore_for_the_owner(self, client, bob, card):
        client.force_login(bob)
        client.post(reverse("employee_delete", args=[card.pk]))
        assert EmployeeCard.all_objects.get(pk=card.pk).is_deleted

        client.post(reverse("employee_restore", args=[card.pk]))
        assert not EmployeeCard.all_objects.get(pk=card.pk).is_deleted

    def test_charlie_can_neither_delete_nor_restore(self, client, bob, charlie, card):
        client.force_login(charlie)
        assert client.post(reverse("employee_delete", args=[card.pk])).status_code == 404
        assert not EmployeeCard.all_objects.get(pk=card.pk).is_deleted

        employee_card_delete(actor=bob, card=card)
        assert client.post(reverse("employee_restore", args=[card.pk])).status_code == 404
        assert EmployeeCard.all_objects.get(pk=card.pk).is_deleted


class TestListPage:
    def test_custom_choice_filter_and_number_sort_work_on_the_list(self, client, alice):
        custom_field_define(
            actor=alice,
            model=EmployeeCard,
            key="level",
            labels={"en": "Level"},
            kind="choice",
            choices=[{"value": "junior"}, {"value": "senior"}],
        )
        custom_field_define(actor=alice, model=EmployeeCard, key="years", labels={"en": "Years"}, kind="number")
        for name, level, years in (("Ali", "senior", 10), ("Bita", "junior", 2), ("Cyrus", "senior", 9)):
            employee_card_create(actor=alice, first_name=name, last_name="X", custom={"level": level, "years": years})

        client.force_login(alice)
        response = client.get(reverse("employee_list"), {"cf_level": "senior", "sort": "cf_years"})

        assert response.status_code == 200
        assert [c.first_name for c in response.context["rows"]] == ["Cyrus", "Ali"]  # 9 before 10, no junior

    def test_export_neutralises_formulas_in_names(self, client, bob):
        employee_card_create(actor=bob, first_name='=HYPERLINK("http://x")', last_name="مریم")
        client.force_login(bob)

        response = client.get(reverse("employee_list"), {"export": "csv"})

        body = b"".join(response.streaming_content).decode()
        assert "'=HYPERLINK" in body
        assert "مریم" in body
