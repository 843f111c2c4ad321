"""Record rules on employee cards (PL-5): own-records-only reach, edit and delete windows
with a bypass right, and field-level rules (hidden / read-only), in services and pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from crm.core.customfields.services import custom_field_define
from crm.core.errors import CoreError, CoreErrorCode, PermissionDeniedError
from crm.core.permissions.access import can, field_access, hidden_fields, visible_to
from crm.core.permissions.services import field_rule_save, record_rule_save
from crm.org.models import EmployeeCard
from crm.org.selectors import employee_card_get_for_user, employee_card_list_for_user
from crm.org.services import employee_card_create, employee_card_delete, employee_card_update
from crm.org.testing import appoint, fresh, make_position

pytestmark = pytest.mark.django_db


@pytest.fixture
def bobs_card(bob):
    return employee_card_create(actor=bob, first_name="Sara", last_name="Ahmadi", national_id="0012345678")


@pytest.fixture
def alices_card(alice):
    return employee_card_create(actor=alice, first_name="Nazanin", last_name="Karimi")


def card_type() -> ContentType:
    return ContentType.objects.get_for_model(EmployeeCard)


def permission(codename: str) -> Permission:
    return Permission.objects.get(content_type=card_type(), codename=codename)


def age(card: EmployeeCard, hours: float) -> EmployeeCard:
    """Pretend the card was created `hours` ago."""
    EmployeeCard.all_objects.filter(pk=card.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours))
    card.refresh_from_db()
    return card


def give(user, *names: str):
    """A second post holding `names`, so the user keeps his first post's rights too."""
    appoint(user, make_position(f"Extra {'/'.join(names)}", names))
    return fresh(user)


# --- own records only ---------------------------------------------------------------------------


class TestOwnRecords:
    def test_view_without_view_all_shows_only_cards_he_created(self, bob, bobs_card, alices_card):
        assert list(employee_card_list_for_user(user=bob)) == [bobs_card]
        assert employee_card_get_for_user(user=bob, pk=alices_card.pk) is None
        assert list(visible_to(bob, EmployeeCard.objects.all())) == [bobs_card]

    def test_charlie_sees_none(self, charlie, bobs_card, alices_card):
        assert list(employee_card_list_for_user(user=charlie)) == []
        assert employee_card_get_for_user(user=charlie, pk=bobs_card.pk) is None

    def test_view_all_shows_every_card(self, bob, bobs_card, alices_card):
        bob = give(bob, "org.view_all_employeecard")
        assert set(employee_card_list_for_user(user=bob)) == {bobs_card, alices_card}

    def test_view_all_does_not_mean_change_all(self, bob, alices_card):
        bob = give(bob, "org.view_all_employeecard")
        with pytest.raises(PermissionDeniedError):
            employee_card_update(actor=bob, card=alices_card, mobile="09120000000")

    def test_he_cannot_change_or_delete_another_persons_card(self, bob, alices_card):
        with pytest.raises(PermissionDeniedError):
            employee_card_update(actor=bob, card=alices_card, first_name="Changed")
        with pytest.raises(PermissionDeniedError):
            employee_card_delete(actor=bob, card=alices_card)
        alices_card.refresh_from_db()
        assert (alices_card.first_name, alices_card.deleted_at) == ("Nazanin", None)

    def test_change_all_lets_him_change_any_card(self, bob, alices_card):
        bob = give(bob, "org.change_all_employeecard")
        employee_card_update(actor=bob, card=alices_card, mobile="09120000000")
        alices_card.refresh_from_db()
        assert alices_card.mobile == "09120000000"

    def test_pages_refuse_what_the_selectors_hide(self, client, bob, charlie, alices_card, bobs_card):
        client.force_login(bob)
        assert client.get(reverse("employee_detail", args=[alices_card.pk])).status_code == 404
        listing = client.get(reverse("employee_list")).content.decode()
        assert "Sara" in listing
        assert "Nazanin" not in listing

        client.force_login(charlie)
        assert client.get(reverse("employee_list")).status_code == 403
        assert client.get(reverse("employee_detail", args=[bobs_card.pk])).status_code == 404


# --- edit and delete windows -----------------------------------------------------------------------


class TestEditWindow:
    @pytest.fixture(autouse=True)
    def one_hour_window(self, alice):
        record_rule_save(
            actor=alice, values={"content_type": card_type(), "edit_window_hours": 1, "delete_window_hours": 1}
        )

    def test_a_card_created_two_hours_ago_can_no_longer_be_changed(self, bob, bobs_card):
        card = age(bobs_card, hours=2)

        with pytest.raises(CoreError) as error:
            employee_card_update(actor=bob, card=card, mobile="09121111111")

        assert error.value.code == CoreErrorCode.EDIT_WINDOW_CLOSED
        card.refresh_from_db()
        assert card.mobile == ""

    def test_a_card_within_the_window_can_be_changed(self, bob, bobs_card):
        card = age(bobs_card, hours=0.5)
        employee_card_update(actor=bob, card=card, mobile="09121111111")
        card.refresh_from_db()
        assert card.mobile == "09121111111"

    def test_the_delete_window_closes_too(self, bob, bobs_card):
        card = age(bobs_card, hours=2)
        with pytest.raises(CoreError) as error:
            employee_card_delete(actor=bob, card=card)
        assert error.value.code == CoreErrorCode.EDIT_WINDOW_CLOSED
        assert EmployeeCard.objects.filter(pk=card.pk).exists()

    def test_the_bypass_right_allows_late_changes(self, bob, bobs_card):
        card = age(bobs_card, hours=2)
        bob = give(bob, "core.bypass_edit_window")

        employee_card_update(actor=bob, card=card, mobile="09121111111")
        employee_card_delete(actor=bob, card=card)

        assert EmployeeCard.all_objects.get(pk=card.pk).is_deleted

    def test_a_superuser_is_not_held_by_the_window(self, alice, bobs_card):
        card = age(bobs_card, hours=2)
        assert can(alice, "change", card)

    def test_the_card_page_no_longer_offers_editing(self, client, bob, bobs_card):
        card = age(bobs_card, hours=2)
        client.force_login(bob)
        response = client.get(reverse("employee_detail", args=[card.pk]))
        assert response.context["can_change"] is False
        response = client.post(reverse("employee_edit", args=[card.pk]), {"first_name": "X", "last_name": "Y"})
        assert response.status_code == 302
        card.refresh_from_db()
        assert card.first_name == "Sara"


# --- field-level rules ----------------------------------------------------------------------------


class TestHiddenField:
    @pytest.fixture(autouse=True)
    def national_id_needs_sensitive_right(self, alice, bobs_card):
        field_rule_save(
            actor=alice,
            values={
                "content_type": card_type(),
                "field_name": "national_id",
                "view_permission": permission("view_sensitive_employeecard"),
            },
        )

    def test_bob_without_the_right_does_not_see_the_field(self, bob, alice):
        assert hidden_fields(bob, EmployeeCard) == {"national_id"}
        assert hidden_fields(alice, EmployeeCard) == set()

    def test_holders_of_the_right_see_it(self, bob):
        bob = give(bob, "org.view_sensitive_employeecard")
        assert hidden_fields(bob, EmployeeCard) == set()

    def test_the_card_page_and_export_leave_it_out(self, client, bob, bobs_card):
        client.force_login(bob)
        page = client.get(reverse("employee_detail", args=[bobs_card.pk])).content.decode()
        assert 'data-testid="national-id"' not in page
        assert "0012345678" not in page  # not in the card, nor in its history of changes
        assert "employeecard.created" in page  # the history itself is still there
        export = client.get(reverse("employee_list"), {"export": "csv"})
        body = b"".join(export.streaming_content).decode()
        assert "Sara" in body
        assert "0012345678" not in body
        assert "National ID" not in body

    def test_the_admin_still_sees_it(self, client, alice, bobs_card):
        client.force_login(alice)
        page = client.get(reverse("employee_detail", args=[bobs_card.pk])).content.decode()
        assert "0012345678" in page

    def test_a_hidden_field_cannot_be_written(self, bob, bobs_card):
        with pytest.raises(CoreError) as error:
            employee_card_update(actor=bob, card=bobs_card, national_id="9999999999")
        assert error.value.code == CoreErrorCode.FIELD_READ_ONLY


class TestReadOnlyField:
    @pytest.fixture(autouse=True)
    def national_id_needs_sensitive_right_to_change(self, alice, bobs_card):
        field_rule_save(
            actor=alice,
            values={
                "content_type": card_type(),
                "field_name": "national_id",
                "edit_permission": permission("view_sensitive_employeecard"),
            },
        )

    def test_bob_may_see_but_not_change_it(self, bob):
        assert field_access(bob, EmployeeCard) == {"national_id": "view"}
        assert hidden_fields(bob, EmployeeCard) == set()

    def test_changing_it_is_refused(self, bob, bobs_card):
        with pytest.raises(CoreError) as error:
            employee_card_update(actor=bob, card=bobs_card, national_id="9999999999", mobile="0912")

        assert error.value.code == CoreErrorCode.FIELD_READ_ONLY
        bobs_card.refresh_from_db()
        assert (bobs_card.national_id, bobs_card.mobile) == ("0012345678", "")

    def test_sending_it_unchanged_is_allowed(self, bob, bobs_card):
        employee_card_update(actor=bob, card=bobs_card, national_id="0012345678", mobile="0912")
        bobs_card.refresh_from_db()
        assert bobs_card.mobile == "0912"

    def test_setting_it_on_a_new_card_is_refused(self, bob, bobs_card):
        with pytest.raises(CoreError) as error:
            employee_card_create(actor=bob, first_name="N", last_name="M", national_id="1111111111")
        assert error.value.code == CoreErrorCode.FIELD_READ_ONLY
        assert list(EmployeeCard.objects.all()) == [bobs_card]

    def test_the_form_shows_it_disabled_and_ignores_a_forged_value(self, client, bob, bobs_card):
        client.force_login(bob)
        response = client.post(
            reverse("employee_edit", args=[bobs_card.pk]),
            {"first_name": "Sara", "last_name": "Ahmadi", "national_id": "9999999999", "mobile": "0935"},
        )
        assert response.status_code == 302
        bobs_card.refresh_from_db()
        assert (bobs_card.national_id, bobs_card.mobile) == ("0012345678", "0935")


class TestCustomFieldRules:
    @pytest.fixture
    def salary(self, alice):
        definition = custom_field_define(
            actor=alice, model=EmployeeCard, key="salary", labels={"en": "Salary"}, kind="money"
        )
        field_rule_save(
            actor=alice,
            values={
                "content_type": card_type(),
                "field_name": "custom.salary",
                "edit_permission": permission("change_all_employeecard"),
            },
        )
        return definition

    def test_a_read_only_custom_field_cannot_be_changed(self, alice, bob, salary):
        card = employee_card_create(actor=alice, first_name="A", last_name="B", custom={"salary": "100"})
        EmployeeCard.objects.filter(pk=card.pk).update(created_by=bob)
        with pytest.raises(CoreError) as error:
            employee_card_update(actor=bob, card=card, custom={"salary": "999"})
        assert error.value.code == CoreErrorCode.FIELD_READ_ONLY
        card.refresh_from_db()
        assert card.custom == {"salary": "100.00"}

    def test_a_hidden_custom_field_shows_neither_value_nor_history(self, client, alice, bob):
        definition = custom_field_define(
            actor=alice, model=EmployeeCard, key="bonus", labels={"en": "Bonus"}, kind="money"
        )
        field_rule_save(
            actor=alice,
            values={
                "content_type": card_type(),
                "field_name": "custom.bonus",
                "view_permission": permission("view_sensitive_employeecard"),
            },
        )
        card = employee_card_create(actor=alice, first_name="A", last_name="B")
        employee_card_update(actor=alice, card=card, custom={"bonus": "777777"})
        EmployeeCard.objects.filter(pk=card.pk).update(created_by=bob)

        client.force_login(bob)
        page = client.get(reverse("employee_detail", args=[card.pk])).content.decode()

        assert "777" not in page
        assert definition.label not in page
        client.force_login(alice)
        assert "777" in client.get(reverse("employee_detail", args=[card.pk])).content.decode()
