"""Rights follow posts, not people (PL-5): a user has the permissions of the positions
they hold today and of those they stand in for today, and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crm.org.models import Appointment, EmployeeCard, Substitution
from crm.org.selectors import employee_card_list_for_user
from crm.org.services import appointment_end, appointment_move, position_save, substitution_create
from crm.org.testing import appoint, fresh, make_position, make_user, perms

pytestmark = pytest.mark.django_db

BOB_RIGHTS = {
    "org.view_department",
    "org.view_employeecard",
    "org.add_employeecard",
    "org.change_employeecard",
    "org.delete_employeecard",
}
LEAD_RIGHTS = {"org.view_all_employeecard", "org.view_department"}


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.fixture
def lead_position():
    return make_position("Team lead", sorted(LEAD_RIGHTS))


def test_bob_has_exactly_his_positions_rights(bob):
    assert bob.get_all_permissions() == BOB_RIGHTS
    assert bob.has_perm("org.change_employeecard")
    assert not bob.has_perm("org.add_department")
    assert not bob.has_perm("org.view_all_employeecard")


def test_charlie_without_a_position_has_no_rights(charlie):
    assert charlie.get_all_permissions() == set()


def test_rights_end_the_day_after_the_appointment_ends(alice, bob):
    # given bob's appointment ends today: he still has the rights today
    appointment = Appointment.objects.get(user=bob)
    appointment_end(actor=alice, appointment=appointment, end_date=today())
    assert fresh(bob).has_perm("org.view_employeecard")

    # when it is made to end yesterday
    appointment_end(actor=alice, appointment=appointment, end_date=today() - days(1))

    # then he has none of them
    assert fresh(bob).get_all_permissions() == set()


def test_rights_start_on_the_start_date(bob, lead_position):
    appoint(bob, lead_position, start=today() + days(1))
    assert not fresh(bob).has_perm("org.view_all_employeecard")


def test_a_move_gives_exactly_the_new_posts_rights(alice, bob, bob_position, lead_position):
    # when bob moves to the team lead post today
    appointment_move(actor=alice, user=bob, from_position=bob_position, to_position=lead_position, on=today())

    # then he has the lead's rights and none left over from his old post
    assert fresh(bob).get_all_permissions() == LEAD_RIGHTS
    old = Appointment.objects.get(user=bob, position=bob_position)
    assert old.end_date == today() - days(1)


def test_a_move_planned_for_tomorrow_changes_nothing_today(alice, bob, bob_position, lead_position):
    appointment_move(actor=alice, user=bob, from_position=bob_position, to_position=lead_position, on=today() + days(1))
    assert fresh(bob).get_all_permissions() == BOB_RIGHTS


def test_an_inactive_position_gives_no_rights(alice, bob, bob_position):
    position_save(
        actor=alice, position=bob_position, title=bob_position.title, department=bob_position.department, active=False
    )
    assert fresh(bob).get_all_permissions() == set()


def test_changing_a_posts_permissions_changes_its_holders_rights(alice, bob, bob_position):
    position_save(
        actor=alice,
        position=bob_position,
        title=bob_position.title,
        department=bob_position.department,
        permissions=perms("org.view_department"),
    )
    assert fresh(bob).get_all_permissions() == {"org.view_department"}


def test_two_posts_add_up(bob, lead_position):
    appoint(bob, lead_position)
    assert fresh(bob).get_all_permissions() == BOB_RIGHTS | LEAD_RIGHTS


class TestSubstitutes:
    def test_a_substitute_has_the_posts_rights_only_within_the_dates(self, alice, charlie, bob_position):
        # given charlie will stand in for the sales expert from tomorrow
        substitution = substitution_create(
            actor=alice,
            position=bob_position,
            substitute=charlie,
            start_date=today() + days(1),
            end_date=today() + days(5),
        )
        # then he has nothing yet
        assert fresh(charlie).get_all_permissions() == set()

        # when the period includes today, he has the post's rights
        Substitution.objects.filter(pk=substitution.pk).update(start_date=today() - days(2), end_date=today())
        assert fresh(charlie).get_all_permissions() == BOB_RIGHTS

        # when it ended yesterday, he has nothing again
        Substitution.objects.filter(pk=substitution.pk).update(start_date=today() - days(5), end_date=today() - days(1))
        assert fresh(charlie).get_all_permissions() == set()

    def test_the_holder_keeps_the_rights_while_a_substitute_stands_in(self, alice, bob, charlie, bob_position):
        substitution_create(
            actor=alice, position=bob_position, substitute=charlie, start_date=today(), end_date=today()
        )
        assert fresh(bob).get_all_permissions() == BOB_RIGHTS
        assert fresh(charlie).get_all_permissions() == BOB_RIGHTS


class TestSuperuser:
    def test_a_superuser_has_every_right_without_a_position(self, alice):
        assert alice.has_perm("org.delete_all_employeecard")
        assert alice.has_perm("core.bypass_edit_window")
        assert alice.has_perm("any.made_up_permission")

    def test_a_superuser_sees_every_record(self, alice, bob):
        EmployeeCard.objects.create(first_name="A", last_name="B", created_by=bob)
        assert employee_card_list_for_user(user=alice).count() == 1

    def test_an_inactive_superuser_has_nothing(self):
        ghost = make_user("ghost", is_superuser=True, is_active=False)
        assert not ghost.has_perm("org.view_employeecard")
