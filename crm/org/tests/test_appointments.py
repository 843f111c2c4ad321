"""Appointments and substitutions: no overlapping decrees for one person and post, dates in
order, no standing in for a post one already holds, and every write audited with a diff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.core.audit.models import AuditEntry
from crm.org.errors import OrgError, OrgErrorCode
from crm.org.models import Appointment, Substitution
from crm.org.services import (
    appointment_create,
    appointment_end,
    appointment_move,
    position_save,
    substitution_create,
    substitution_delete,
    user_create,
    user_preferences_set,
    user_set_active,
)
from crm.org.testing import make_position, make_user, perms

pytestmark = pytest.mark.django_db

JAN_1, JAN_31, FEB_1, MAR_1 = dt.date(2026, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


@pytest.fixture
def post():
    return make_position("Accountant")


@pytest.fixture
def dara():
    return make_user("dara", first_name="Dara")


def appoint(alice, user, post, start, end=None):
    return appointment_create(actor=alice, user=user, position=post, start_date=start, end_date=end)


def audit_of(obj, action: str) -> AuditEntry:
    return AuditEntry.objects.get(action=action, target_id=str(obj.pk))


class TestOverlap:
    def test_an_open_ended_appointment_blocks_any_later_one(self, alice, dara, post):
        appoint(alice, dara, post, JAN_1)
        with pytest.raises(OrgError) as error:
            appoint(alice, dara, post, MAR_1)
        assert error.value.code == OrgErrorCode.APPOINTMENT_OVERLAP
        assert Appointment.objects.filter(user=dara).count() == 1

    def test_periods_sharing_a_day_overlap(self, alice, dara, post):
        appoint(alice, dara, post, JAN_1, JAN_31)
        with pytest.raises(OrgError):
            appoint(alice, dara, post, JAN_31, MAR_1)

    def test_a_new_period_may_not_start_before_and_enclose_an_old_one(self, alice, dara, post):
        appoint(alice, dara, post, FEB_1, FEB_1)
        with pytest.raises(OrgError):
            appoint(alice, dara, post, JAN_1)

    def test_back_to_back_periods_are_fine(self, alice, dara, post):
        appoint(alice, dara, post, JAN_1, JAN_31)
        appoint(alice, dara, post, FEB_1)
        assert Appointment.objects.filter(user=dara).count() == 2

    def test_another_person_or_another_post_is_fine(self, alice, bob, dara, post):
        appoint(alice, dara, post, JAN_1)
        appoint(alice, bob, post, JAN_1)
        appoint(alice, dara, make_position("Auditor", department=post.department), JAN_1)
        assert Appointment.objects.count() == 4  # bob's own post from the fixture too


class TestDates:
    def test_an_end_before_the_start_is_refused(self, alice, dara, post):
        with pytest.raises(OrgError) as error:
            appoint(alice, dara, post, FEB_1, JAN_31)
        assert error.value.code == OrgErrorCode.DATES_ORDER

    def test_ending_before_the_start_is_refused(self, alice, dara, post):
        appointment = appoint(alice, dara, post, FEB_1)
        with pytest.raises(OrgError) as error:
            appointment_end(actor=alice, appointment=appointment, end_date=JAN_31)
        assert error.value.code == OrgErrorCode.DATES_ORDER
        appointment.refresh_from_db()
        assert appointment.end_date is None

    def test_the_database_refuses_reversed_dates_too(self, dara, post):
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.create(user=dara, position=post, start_date=FEB_1, end_date=JAN_1)

    def test_an_inactive_post_takes_no_appointments(self, alice, dara, post):
        position_save(actor=alice, position=post, title=post.title, department=post.department, active=False)
        with pytest.raises(OrgError) as error:
            appoint(alice, dara, post, JAN_1)
        assert error.value.code == OrgErrorCode.INACTIVE_POSITION


class TestSubstitution:
    def test_the_holder_of_a_post_cannot_be_its_substitute(self, alice, bob, bob_position):
        with pytest.raises(OrgError) as error:
            substitution_create(
                actor=alice,
                position=bob_position,
                substitute=bob,
                start_date=timezone.localdate(),
                end_date=timezone.localdate(),
            )
        assert error.value.code == OrgErrorCode.SUBSTITUTE_IS_HOLDER
        assert not Substitution.objects.exists()

    def test_reversed_dates_are_refused(self, alice, dara, post):
        with pytest.raises(OrgError) as error:
            substitution_create(actor=alice, position=post, substitute=dara, start_date=FEB_1, end_date=JAN_1)
        assert error.value.code == OrgErrorCode.DATES_ORDER

    def test_create_and_delete_are_audited(self, alice, dara, post):
        substitution = substitution_create(
            actor=alice, position=post, substitute=dara, start_date=JAN_1, end_date=JAN_31, reason="Holiday"
        )
        created = audit_of(substitution, "substitution.created")
        assert created.changes["substitute_id"] == [None, dara.pk]
        assert created.changes["end_date"] == [None, "2026-01-31"]
        assert created.changes["reason"] == [None, "Holiday"]

        pk = substitution.pk
        substitution_delete(actor=alice, substitution=substitution)
        deleted = AuditEntry.objects.get(action="substitution.deleted", target_id=str(pk))
        assert deleted.changes["position_id"] == post.pk


class TestAudit:
    def test_an_appointment_and_its_end_are_audited(self, alice, dara, post):
        appointment = appoint(alice, dara, post, JAN_1)
        created = audit_of(appointment, "appointment.created")
        assert created.actor == alice
        assert created.changes["user_id"] == [None, dara.pk]
        assert created.changes["position_id"] == [None, post.pk]
        assert created.changes["start_date"] == [None, "2026-01-01"]

        appointment_end(actor=alice, appointment=appointment, end_date=JAN_31)
        assert audit_of(appointment, "appointment.ended").changes == {"end_date": [None, "2026-01-31"]}

    def test_a_move_audits_both_decrees(self, alice, dara, post):
        old = appoint(alice, dara, post, JAN_1)
        new_post = make_position("Chief accountant", department=post.department)

        new = appointment_move(
            actor=alice, user=dara, from_position=post, to_position=new_post, on=FEB_1, decree_number="1405-17"
        )

        assert audit_of(old, "appointment.ended").changes == {"end_date": [None, "2026-01-31"]}
        assert audit_of(new, "appointment.created").changes["decree_number"] == [None, "1405-17"]

    def test_a_posts_rights_change_is_audited_as_added_and_removed(self, alice, post):
        post.permissions.set(perms("org.view_department", "org.view_position"))
        position_save(
            actor=alice,
            position=post,
            title=post.title,
            department=post.department,
            permissions=perms("org.view_department", "org.add_appointment"),
        )

        entry = audit_of(post, "position.permissions_changed")
        assert entry.changes == {"added": ["org.add_appointment"], "removed": ["org.view_position"]}

    def test_a_posts_fields_are_audited_with_a_diff(self, alice, post):
        position_save(
            actor=alice, position=post, title="Senior accountant", department=post.department, is_manager=True
        )
        assert audit_of(post, "position.updated").changes == {
            "title": ["Accountant", "Senior accountant"],
            "is_manager": [False, True],
        }

    def test_user_writes_are_audited_without_the_password(self, alice):
        user = user_create(actor=alice, username="olena", password="Very-secret-42", language="uk")
        created = audit_of(user, "user.created")
        assert created.changes == {"username": [None, "olena"]}

        user_set_active(actor=alice, user=user, active=False)
        assert audit_of(user, "user.updated").changes == {"is_active": [True, False]}

        user_preferences_set(actor=user, language="fa", calendar="gregorian", notify_by_email=True)
        changed = audit_of(user, "user.preferences_changed")
        assert changed.changes == {
            "language": ["uk", "fa"],
            "calendar": ["", "gregorian"],
            "notify_by_email": [False, True],
        }
        assert not any("Very-secret-42" in str(e.changes) for e in AuditEntry.objects.all())
