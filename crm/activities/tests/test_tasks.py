"""Task services (AC-3, AC-12): who a task reaches (oneself, people, positions), the
referral chain, done closing the task when the last share is done, simple workflows,
announcements to staff and who may see a task."""

from __future__ import annotations

import pytest

from crm.activities import selectors, services
from crm.activities.errors import ActivityError, ActivityErrorCode
from crm.activities.models import Task, TaskAssignee, TaskReferral, TaskType
from crm.core.errors import PermissionDeniedError
from crm.core.notifications.models import Notification
from crm.org.models import Department
from crm.org.testing import appoint, fresh, make_position, make_user

pytestmark = pytest.mark.django_db

OPEN, WAITING, DONE, REFERRED = (
    TaskAssignee.State.OPEN,
    TaskAssignee.State.WAITING,
    TaskAssignee.State.DONE,
    TaskAssignee.State.REFERRED,
)


def states(task: Task) -> dict[str, str]:
    return {row.user.username: row.state for row in task.assignees.select_related("user")}


def new_task(actor, **kwargs) -> Task:
    return services.task_create(actor=actor, values={"title": kwargs.pop("title", "Call the supplier")}, **kwargs)


@pytest.fixture
def dana(db):
    return make_user("dana", first_name="Dana")


class TestWhoGetsTheTask:
    def test_nobody_chosen_means_a_task_for_oneself(self, bob):
        task = new_task(bob)

        assert states(task) == {"bob": OPEN}
        assert task.status.code == "open"
        assert list(selectors.task_cartable(user=bob, box="received")) == list(task.assignees.all())

    def test_a_task_to_colleagues_opens_in_each_cartable(self, alice, bob, dana):
        task = new_task(alice, user_ids=[bob.pk, dana.pk])

        assert states(task) == {"bob": OPEN, "dana": OPEN}
        assert selectors.task_cartable_counts(user=bob)["received"] == 1

    def test_a_task_to_a_position_reaches_whoever_holds_it(self, alice, bob, bob_position):
        task = new_task(alice, position_ids=[bob_position.pk])

        row = task.assignees.get()
        assert (row.user, row.position_id, row.state) == (bob, bob_position.pk, OPEN)

    def test_a_position_nobody_holds_is_refused(self, alice):
        empty = make_position("Vacant post")

        with pytest.raises(ActivityError) as caught:
            new_task(alice, position_ids=[empty.pk])

        assert caught.value.code == ActivityErrorCode.POSITION_EMPTY
        assert "Vacant post" in caught.value.message
        assert not Task.objects.exists()

    def test_the_assignee_is_notified_with_a_link_to_the_task(self, alice, bob):
        task = new_task(alice, user_ids=[bob.pk], title="Approve the leave")

        note = Notification.objects.get(user=bob)
        assert note.kind == "task.assigned"
        assert "Approve the leave" in note.title
        assert note.url == f"/work/tasks/{task.pk}/"
        assert not Notification.objects.filter(user=alice).exists()  # one does not notify oneself

    def test_linked_identities_are_kept(self, alice):
        from crm.identities.services import identity_create

        person = identity_create(actor=alice, kind="person", first_name="Sara", last_name="Ahmadi")
        task = new_task(alice, identity_ids=[person.pk])

        assert list(task.identities.all()) == [person]


class TestReferral:
    def test_the_chain_is_kept_and_the_referrer_still_sees_the_task(self, alice, bob, charlie, dana):
        task = new_task(alice, user_ids=[bob.pk])

        services.task_refer(actor=fresh(bob), task=task, to_user=charlie, note="you know this customer")
        services.task_refer(actor=fresh(charlie), task=task, to_user=dana, note="")

        chain = [(r.from_user.username, r.to_user.username, r.note) for r in TaskReferral.objects.filter(task=task)]
        assert chain == [("bob", "charlie", "you know this customer"), ("charlie", "dana", "")]
        assert states(task) == {"bob": REFERRED, "charlie": REFERRED, "dana": OPEN}
        assert selectors.task_get_for_user(user=fresh(bob), pk=task.pk) is not None
        assert [r.task for r in selectors.task_cartable(user=fresh(bob), box="referred")] == [task]
        assert Notification.objects.filter(user=dana, kind="task.assigned").exists()

    def test_refer_to_oneself_is_refused(self, alice, bob):
        task = new_task(alice, user_ids=[bob.pk])

        with pytest.raises(ActivityError) as caught:
            services.task_refer(actor=bob, task=task, to_user=bob)

        assert caught.value.code == ActivityErrorCode.REFER_TO_SELF
        assert states(task) == {"bob": OPEN}

    def test_only_someone_with_an_open_share_may_refer(self, alice, bob, charlie):
        task = new_task(alice, user_ids=[bob.pk])

        with pytest.raises(ActivityError) as caught:
            services.task_refer(actor=charlie, task=task, to_user=alice)

        assert caught.value.code == ActivityErrorCode.NOT_ASSIGNED
        assert not TaskReferral.objects.exists()

    def test_a_closed_task_cannot_be_referred(self, bob, charlie):
        task = new_task(bob)
        services.task_done(actor=bob, task=task)

        with pytest.raises(ActivityError) as caught:
            services.task_refer(actor=bob, task=task, to_user=charlie)

        assert caught.value.code == ActivityErrorCode.ALREADY_CLOSED


class TestDone:
    def test_the_task_closes_when_the_last_share_is_done(self, alice, bob, dana):
        task = new_task(alice, user_ids=[bob.pk, dana.pk])

        services.task_done(actor=bob, task=task, note="called them")
        task.refresh_from_db()
        assert (task.status.code, task.closed_at) == ("in_progress", None)
        assert states(task) == {"bob": DONE, "dana": OPEN}

        services.task_done(actor=dana, task=task)
        task.refresh_from_db()
        assert task.status.code == "done"
        assert task.closed_at is not None
        assert Notification.objects.filter(user=alice, kind="task.closed").count() == 1

    def test_done_twice_is_refused(self, bob):
        task = new_task(bob)
        services.task_done(actor=bob, task=task)

        with pytest.raises(ActivityError) as caught:
            services.task_done(actor=bob, task=task)

        assert caught.value.code == ActivityErrorCode.ALREADY_CLOSED

    def test_a_done_share_moves_to_the_done_box(self, alice, bob):
        task = new_task(alice, user_ids=[bob.pk])
        services.task_done(actor=bob, task=task)

        assert not selectors.task_cartable(user=bob, box="received").exists()
        assert [r.task for r in selectors.task_cartable(user=bob, box="done")] == [task]

    def test_setting_a_closed_status_closes_the_open_shares(self, alice, bob):
        task = new_task(alice, user_ids=[bob.pk])

        services.task_update(actor=alice, task=task, values={"status": services._status("cancelled")})

        assert states(task) == {"bob": TaskAssignee.State.CANCELLED}
        assert task.closed_at is not None


class TestWorkflow:
    @pytest.fixture
    def approval(self, alice, bob, bob_position, dana):
        return services.task_type_save(
            actor=alice,
            name="Leave request",
            steps=[{"title": "Check", "position_id": bob_position.pk}, {"title": "Approve", "user_id": dana.pk}],
        )

    def test_step_two_opens_only_after_step_one_is_done(self, alice, bob, dana, approval):
        task = services.task_create(actor=alice, values={"title": "Leave for Ali", "task_type": approval})

        assert states(task) == {"bob": OPEN, "dana": WAITING}
        assert not selectors.task_cartable(user=dana, box="received").exists()
        with pytest.raises(ActivityError):
            services.task_done(actor=dana, task=task)

        services.task_done(actor=fresh(bob), task=task, note="checked")

        assert states(task) == {"bob": DONE, "dana": OPEN}
        assert Notification.objects.filter(user=dana, kind="task.assigned").count() == 1
        task.refresh_from_db()
        assert task.closed_at is None

        services.task_done(actor=dana, task=task)
        task.refresh_from_db()
        assert task.status.code == "done"

    def test_steps_decide_and_chosen_people_are_ignored(self, alice, bob, charlie, approval):
        task = services.task_create(
            actor=alice, values={"title": "Leave", "task_type": approval}, user_ids=[charlie.pk]
        )

        assert "charlie" not in states(task)
        assert [r.step for r in task.assignees.order_by("step")] == [1, 2]

    def test_only_task_type_managers_may_save_a_type(self, bob):
        with pytest.raises(PermissionDeniedError):
            services.task_type_save(actor=bob, name="Mine", steps=[])
        assert not TaskType.objects.exists()


class TestAnnouncements:
    @pytest.fixture
    def announcer(self, db):
        user = make_user("olga", first_name="Olga")
        appoint(user, make_position("Office manager", ["activities.announce"]))
        return fresh(user)

    def test_an_announcement_to_a_department_reaches_its_staff(self, announcer, bob, bob_position, charlie):
        task = services.announcement_send(
            actor=announcer, title="New leave policy", department_ids=[bob_position.department_id]
        )

        assert task.is_announcement
        assert states(task) == {"bob": OPEN}
        assert Notification.objects.filter(user=bob, kind="task.assigned").exists()

    def test_an_announcement_without_departments_reaches_all_staff_but_the_sender(self, announcer, bob, charlie):
        task = services.announcement_send(actor=announcer, title="Office closed on Monday")

        assert set(states(task)) == {"bob", "charlie"}
        assert [t.pk for t in selectors.task_cartable(user=announcer, box="created")] == [task.pk]

    def test_announcing_needs_the_permission(self, bob):
        with pytest.raises(PermissionDeniedError):
            services.announcement_send(actor=bob, title="Party!", department_ids=[Department.objects.first().pk])
        assert not Task.objects.exists()


class TestAccess:
    def test_charlie_cannot_see_bobs_task(self, bob, charlie):
        task = new_task(bob, title="Private")

        assert selectors.task_get_for_user(user=charlie, pk=task.pk) is None
        assert not selectors.task_base_for_user(user=charlie).exists()

    def test_creator_and_assignees_see_it_and_view_all_widens(self, alice, bob, charlie, dana):
        task = new_task(bob, user_ids=[dana.pk])
        appoint(charlie, make_position("Auditor", ["activities.view_all_task"]))

        assert selectors.task_get_for_user(user=bob, pk=task.pk) is not None
        assert selectors.task_get_for_user(user=dana, pk=task.pk) is not None
        assert selectors.task_get_for_user(user=fresh(charlie), pk=task.pk) is not None
        assert selectors.task_get_for_user(user=alice, pk=task.pk) is not None

    def test_only_the_creator_may_delete(self, bob, dana):
        task = new_task(bob, user_ids=[dana.pk])

        with pytest.raises(ActivityError):
            services.task_delete(actor=dana, task=task)
        services.task_delete(actor=bob, task=task)

        assert selectors.task_get_for_user(user=bob, pk=task.pk) is None
        assert not selectors.task_cartable(user=dana, box="received").exists()


def test_a_closed_task_set_back_to_open_is_in_the_cartable_again(alice, bob):
    from crm.activities.selectors import task_cartable
    from crm.activities.services import _status, task_create, task_done, task_update

    task = task_create(actor=alice, values={"title": "Call the bank"}, user_ids=[bob.pk])
    task_done(actor=bob, task=task)
    task.refresh_from_db()
    assert task.closed_at is not None
    task_update(actor=alice, task=task, values={"status": _status("open")})
    task.refresh_from_db()
    assert task.closed_at is None
    assert [row.task for row in task_cartable(user=bob, box="received")] == [task]
    task_done(actor=bob, task=task)  # and it can be finished again


def test_an_announcement_to_an_empty_department_is_refused(alice):
    from crm.activities.errors import ActivityError, ActivityErrorCode
    from crm.activities.services import announcement_send
    from crm.org.models import Department

    empty = Department.objects.create(name="Nobody here", path="")
    with pytest.raises(ActivityError) as refused:
        announcement_send(actor=alice, title="Hello", department_ids=[empty.pk])
    assert refused.value.code == ActivityErrorCode.NO_ASSIGNEE


def test_a_deleted_task_leaves_every_cartable_and_its_counts(alice, bob):
    task = services.task_create(actor=alice, values={"title": "Old request"}, user_ids=[bob.pk])
    assert selectors.task_cartable_counts(user=bob)["received"] == 1
    services.task_delete(actor=alice, task=task)
    assert selectors.task_cartable_counts(user=bob) == {"received": 0, "overdue": 0}
    assert list(selectors.task_cartable(user=bob, box="received")) == []
