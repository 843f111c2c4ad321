"""Task pages (AC-3, AC-12): the cartable and its boxes, the task form (oneself,
colleagues, positions, identities, workflows), the task with its referral chain, refer
and done, announcements, task types — and what bob and charlie are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from crm.activities import selectors, services
from crm.activities.models import Task, TaskAssignee, TaskReferral, TaskType
from crm.identities.services import identity_create
from crm.org.testing import appoint, fresh, make_position, make_user

pytestmark = pytest.mark.django_db

CARTABLE = reverse("activities:task_cartable")


def new_task(actor, **kwargs) -> Task:
    values = {"title": kwargs.pop("title", "Call the supplier")} | kwargs.pop("values", {})
    return services.task_create(actor=actor, values=values, **kwargs)


def open_status() -> int:
    services.task_statuses_ensure()
    return selectors.task_statuses().get(code="open").pk


def form_data(**values) -> dict:
    return {"title": "Send the contract", "priority": "2", "status": open_status()} | values


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def dana(db):
    return make_user("dana", first_name="Dana")


class TestCartable:
    def test_received_box_lists_open_tasks_with_sender_counts_and_quick_done(self, client, alice, bob):
        task = new_task(alice, user_ids=[bob.pk], title="Ring the customer", values={"priority": 4})
        client.force_login(bob)

        response = client.get(CARTABLE)

        html = response.content.decode()
        assert response.status_code == 200
        assert "Ring the customer" in html
        assert 'data-count="received">1<' in html
        assert 'data-priority="4"' in html
        assert reverse("activities:task_done", args=[task.pk]) in html
        assert [r.task for r in response.context["rows"]] == [task]
        assert response.context["rows"][0].sender == alice

    def test_each_box_shows_its_rows(self, client, alice, bob, dana):
        late = new_task(
            alice, user_ids=[bob.pk], title="Late one", values={"due_at": timezone.now() - dt.timedelta(days=1)}
        )
        handed = new_task(alice, user_ids=[bob.pk], title="Handed on")
        services.task_refer(actor=bob, task=handed, to_user=dana, note="yours")
        finished = new_task(alice, user_ids=[bob.pk], title="Finished")
        services.task_done(actor=bob, task=finished)
        mine = new_task(bob, user_ids=[dana.pk], title="For Dana")
        client.force_login(bob)

        def box(name):
            response = client.get(CARTABLE, {"box": name})
            assert response.status_code == 200
            return [getattr(r, "task", r).title for r in response.context["rows"]]

        assert box("received") == ["Late one"]
        assert box("overdue") == ["Late one"]
        assert box("referred") == ["Handed on"]
        assert box("done") == ["Finished"]
        assert box("created") == ["For Dana"]
        html = client.get(CARTABLE, {"box": "overdue"}).content.decode()
        assert 'data-overdue="1"' in html and "text-danger" in html
        assert mine.pk and late.pk

    def test_filters_by_priority_and_due_range(self, client, bob):
        now = timezone.now()
        new_task(bob, title="Urgent", values={"priority": 4, "due_at": now + dt.timedelta(days=2)})
        new_task(bob, title="Low", values={"priority": 1, "due_at": now + dt.timedelta(days=20)})
        client.force_login(bob)

        urgent = client.get(CARTABLE, {"priority": "4"})
        soon = client.get(CARTABLE, {"due_to": (now + dt.timedelta(days=5)).date().isoformat(), "sort": "due"})

        assert [r.task.title for r in urgent.context["rows"]] == ["Urgent"]
        assert [r.task.title for r in soon.context["rows"]] == ["Urgent"]

    def test_the_page_is_paginated_without_counting(self, client, bob):
        for n in range(27):
            new_task(bob, title=f"Task {n}")
        client.force_login(bob)

        first = client.get(CARTABLE)
        second = client.get(CARTABLE, {"page": 2})

        assert (len(first.context["rows"]), first.context["has_next"]) == (25, True)
        assert (len(second.context["rows"]), second.context["has_next"]) == (2, False)

    def test_queries_do_not_grow_with_the_rows(self, client, alice, bob, dana):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        person = identity_create(actor=alice, kind="person", first_name="Sara", last_name="Ahmadi")

        def page_queries() -> int:
            client.force_login(bob)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(CARTABLE).status_code == 200
            return len(captured)

        def add(n: int) -> None:
            for i in range(n):
                task = new_task(alice, user_ids=[dana.pk], identity_ids=[person.pk], title=f"T{i}")
                services.task_refer(actor=dana, task=task, to_user=bob, note="over to you")

        add(2)
        few = page_queries()
        add(10)
        assert page_queries() == few

    def test_charlie_sees_nothing_of_bobs_tasks(self, client, bob, charlie):
        new_task(bob, title="Bob's secret")
        client.force_login(charlie)

        for name in selectors.CARTABLE_BOXES:
            assert "Bob's secret" not in client.get(CARTABLE, {"box": name}).content.decode()

    def test_anonymous_is_sent_to_sign_in(self, client):
        assert client.get(CARTABLE).status_code == 302


class TestCreate:
    def test_nobody_chosen_makes_a_task_for_oneself(self, client, bob):
        client.force_login(bob)

        response = client.post(reverse("activities:task_create"), form_data())

        task = Task.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("activities:task_detail", args=[task.pk])
        assert [(r.user, r.state) for r in task.assignees.all()] == [(bob, TaskAssignee.State.OPEN)]

    def test_to_people_and_a_position_with_identities_and_due_in_jalali(self, client, alice, bob, bob_position, dana):
        alice.language = "fa"
        alice.save(update_fields=["language"])
        person = identity_create(actor=alice, kind="person", first_name="سارا", last_name="احمدی")
        client.force_login(alice)

        response = client.post(
            reverse("activities:task_create"),
            form_data(
                users=[dana.pk],
                positions=[bob_position.pk],
                identities=[person.pk],
                due_at="۱۴۰۵/۰۱/۳۱ ۰۹:۳۰",
                priority="3",
            ),
        )

        assert response.status_code == 302
        task = Task.objects.get()
        assert {r.user.username for r in task.assignees.all()} == {"bob", "dana"}
        assert list(task.identities.all()) == [person]
        assert timezone.localtime(task.due_at).date() == dt.date(2026, 4, 20)
        assert (task.priority, task.assignees.get(user=bob).position_id) == (3, bob_position.pk)

    def test_a_position_nobody_holds_shows_the_error_on_the_form(self, client, alice):
        empty = make_position("Vacant post")
        client.force_login(alice)

        response = client.post(reverse("activities:task_create"), form_data(positions=[empty.pk]))

        assert response.status_code == 200
        assert "Nobody holds the position" in response.content.decode()
        assert not Task.objects.exists()

    def test_identity_prefill_from_a_profile(self, client, alice):
        person = identity_create(actor=alice, kind="person", first_name="Reza", last_name="Karimi")
        client.force_login(alice)

        response = client.get(reverse("activities:task_create"), {"identity": person.pk})

        assert response.status_code == 200
        assert [i.pk for i in response.context["chosen"]] == [person.pk]
        assert f'name="identities" value="{person.pk}" checked' in response.content.decode()

    def test_form_shows_statuses_types_and_help(self, client, alice, bob_position):
        services.task_type_save(
            actor=alice, name="Leave request", steps=[{"title": "Check", "position_id": bob_position.pk}]
        )
        client.force_login(alice)

        html = client.get(reverse("activities:task_create")).content.decode()

        assert "Leave request" in html
        assert "the steps" in html or "steps decide" in html or "first step" in html
        assert "reaches whoever holds it today" in html
        assert 'data-datepicker="datetime"' in html

    def test_a_workflow_type_ignores_chosen_people(self, client, alice, bob, bob_position, dana):
        flow = services.task_type_save(
            actor=alice, name="Approval", steps=[{"position_id": bob_position.pk}, {"user_id": dana.pk}]
        )
        client.force_login(alice)

        client.post(reverse("activities:task_create"), form_data(task_type=flow.pk, users=[alice.pk]))

        task = Task.objects.get()
        assert {r.user.username: r.state for r in task.assignees.all()} == {"bob": "open", "dana": "waiting"}

    def test_custom_fields_are_on_the_form_and_saved(self, client, alice):
        from crm.core.customfields.services import custom_field_define

        custom_field_define(actor=alice, model=Task, key="contract_no", labels={"en": "Contract number"}, kind="text")
        client.force_login(alice)

        assert "Contract number" in client.get(reverse("activities:task_create")).content.decode()
        client.post(reverse("activities:task_create"), form_data(cf_contract_no="C-17"))

        task = Task.objects.get()
        assert task.custom == {"contract_no": "C-17"}
        assert "C-17" in client.get(reverse("activities:task_detail", args=[task.pk])).content.decode()

    def test_identity_picker_lists_only_visible_identities(self, client, alice, charlie):
        identity_create(actor=alice, kind="person", first_name="Sara", last_name="Ahmadi")
        url = reverse("activities:task_identity_search")
        client.force_login(alice)
        assert "Ahmadi" in client.get(url, {"q": "Sara"}).content.decode()
        client.force_login(charlie)
        assert "Ahmadi" not in client.get(url, {"q": "Sara"}).content.decode()


class TestDetail:
    def test_shows_assignees_and_the_referral_chain(self, client, alice, bob, dana):
        task = new_task(alice, user_ids=[bob.pk], title="Announce the leave policy")
        services.task_refer(actor=bob, task=task, to_user=dana, note="please send it to everyone")
        client.force_login(bob)

        response = client.get(reverse("activities:task_detail", args=[task.pk]))

        html = response.content.decode()
        assert response.status_code == 200
        assert [e["kind"] for e in response.context["chain"]] == ["created", "referred"]
        assert "please send it to everyone" in html
        assert 'data-user="dana" data-state="open"' in html
        assert 'data-user="bob" data-state="referred"' in html
        assert 'data-testid="refer-form"' not in html  # bob has nothing open any more

    def test_the_assignee_gets_done_and_refer_buttons(self, client, alice, bob):
        task = new_task(alice, user_ids=[bob.pk])
        client.force_login(bob)

        html = client.get(reverse("activities:task_detail", args=[task.pk])).content.decode()

        assert 'data-testid="done-form"' in html and 'data-testid="refer-form"' in html
        assert 'data-testid="delete"' not in html  # only the creator deletes

    def test_charlie_gets_404(self, client, bob, charlie):
        task = new_task(bob)
        client.force_login(charlie)

        for name in ("task_detail", "task_edit"):
            assert client.get(reverse(f"activities:{name}", args=[task.pk])).status_code == 404
        for name in ("task_done", "task_refer", "task_delete"):
            assert client.post(reverse(f"activities:{name}", args=[task.pk]), {"to_user": bob.pk}).status_code == 404
        assert Task.objects.get().closed_at is None


class TestReferAndDone:
    def test_refer_hands_the_task_on(self, client, alice, bob, dana):
        task = new_task(alice, user_ids=[bob.pk])
        client.force_login(bob)

        response = client.post(
            reverse("activities:task_refer", args=[task.pk]), {"to_user": dana.pk, "note": "you know them"}
        )

        assert response.status_code == 302
        referral = TaskReferral.objects.get()
        assert (referral.from_user, referral.to_user, referral.note) == (bob, dana, "you know them")
        client.force_login(dana)
        assert [r.task for r in client.get(CARTABLE).context["rows"]] == [task]

    def test_refer_without_an_open_share_is_refused(self, client, alice, bob, dana):
        task = new_task(alice, user_ids=[bob.pk])
        client.force_login(alice)  # the creator sees it, but it is not in her cartable

        response = client.post(reverse("activities:task_refer", args=[task.pk]), {"to_user": dana.pk})

        assert response.status_code == 302
        assert "This task is not in your cartable." in texts(response)
        assert not TaskReferral.objects.exists()

    def test_refer_to_oneself_is_refused(self, client, alice, bob):
        task = new_task(alice, user_ids=[bob.pk])
        client.force_login(bob)

        response = client.post(reverse("activities:task_refer", args=[task.pk]), {"to_user": bob.pk})

        assert response.status_code == 302
        assert texts(response)  # the choice is not offered; a forged one is refused
        assert not TaskReferral.objects.exists()

    def test_quick_done_from_the_cartable_returns_there(self, client, alice, bob):
        task = new_task(alice, user_ids=[bob.pk])
        client.force_login(bob)

        response = client.post(reverse("activities:task_done", args=[task.pk]), {"next": f"{CARTABLE}?box=received"})

        assert response["Location"] == f"{CARTABLE}?box=received"
        task.refresh_from_db()
        assert task.closed_at is not None

    def test_done_ignores_an_outside_next(self, client, bob):
        task = new_task(bob)
        client.force_login(bob)

        response = client.post(reverse("activities:task_done", args=[task.pk]), {"next": "https://evil.example/"})

        assert response["Location"] == reverse("activities:task_detail", args=[task.pk])

    def test_done_by_someone_without_an_open_share_is_refused(self, client, alice, bob):
        task = new_task(alice, user_ids=[bob.pk])
        client.force_login(alice)

        response = client.post(reverse("activities:task_done", args=[task.pk]))

        assert "This task is not in your cartable." in texts(response)
        task.refresh_from_db()
        assert task.closed_at is None

    def test_get_is_not_allowed(self, client, bob):
        task = new_task(bob)
        client.force_login(bob)
        assert client.get(reverse("activities:task_done", args=[task.pk])).status_code == 405


class TestEditAndDelete:
    def test_the_creator_edits(self, client, bob):
        task = new_task(bob)
        client.force_login(bob)

        response = client.post(
            reverse("activities:task_edit", args=[task.pk]), form_data(title="Renamed", priority="4")
        )

        assert response.status_code == 302
        task.refresh_from_db()
        assert (task.title, task.priority) == ("Renamed", 4)
        assert task.assignees.get().priority == 4

    def test_identities_the_editor_cannot_see_stay_linked(self, client, alice, bob):
        person = identity_create(actor=alice, kind="person", first_name="Hidden", last_name="Person")
        task = new_task(alice, user_ids=[bob.pk], identity_ids=[person.pk])
        client.force_login(bob)  # bob may not open identities

        client.post(reverse("activities:task_edit", args=[task.pk]), form_data(title="Still about them"))

        assert list(task.identities.all()) == [person]

    def test_the_creator_deletes_an_assignee_may_not(self, client, alice, bob):
        task = new_task(alice, user_ids=[bob.pk])
        client.force_login(bob)
        client.post(reverse("activities:task_delete", args=[task.pk]))
        assert Task.objects.filter(pk=task.pk).exists()

        client.force_login(alice)
        response = client.post(reverse("activities:task_delete", args=[task.pk]))

        assert response.status_code == 302
        assert not Task.objects.filter(pk=task.pk).exists()


class TestAnnouncement:
    def test_needs_the_permission(self, client, bob):
        client.force_login(bob)
        assert client.get(reverse("activities:announcement_create")).status_code == 403
        assert client.post(reverse("activities:announcement_create"), {"title": "x"}).status_code == 403

    def test_sent_to_a_department(self, client, bob, bob_position):
        olga = make_user("olga")
        appoint(olga, make_position("Office manager", ["activities.announce"]))
        client.force_login(fresh(olga))

        response = client.post(
            reverse("activities:announcement_create"),
            {"title": "New leave policy", "description": "Read it.", "departments": [bob_position.department_id]},
        )

        task = Task.objects.get()
        assert response["Location"] == reverse("activities:task_detail", args=[task.pk])
        assert task.is_announcement
        assert [r.user for r in task.assignees.all()] == [bob]


class TestTaskTypes:
    def test_create_a_workflow_with_ordered_steps(self, client, alice, bob, bob_position, dana):
        client.force_login(alice)
        data = {
            "name": "Leave request",
            "active": "on",
            "steps-TOTAL_FORMS": "3",
            "steps-INITIAL_FORMS": "0",
            "steps-0-title": "Approve",
            "steps-0-user": dana.pk,
            "steps-0-ORDER": "2",
            "steps-1-title": "Check",
            "steps-1-position": bob_position.pk,
            "steps-1-ORDER": "1",
        }

        response = client.post(reverse("activities:task_type_create"), data)

        assert response.status_code == 302
        flow = TaskType.objects.get()
        assert [(s.order, s.title) for s in flow.steps.all()] == [(1, "Check"), (2, "Approve")]
        html = client.get(reverse("activities:task_type_list")).content.decode()
        assert "Leave request" in html and reverse("dictionaries") in html

    def test_a_step_needs_one_person_or_position(self, client, alice, bob, bob_position):
        client.force_login(alice)
        data = {
            "name": "Bad",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-title": "Both",
            "steps-0-user": bob.pk,
            "steps-0-position": bob_position.pk,
        }

        response = client.post(reverse("activities:task_type_create"), data)

        assert response.status_code == 200
        assert not TaskType.objects.exists()

    def test_edit_keeps_and_removes_steps(self, client, alice, bob, dana):
        flow = services.task_type_save(
            actor=alice, name="Flow", steps=[{"title": "A", "user_id": bob.pk}, {"title": "B", "user_id": dana.pk}]
        )
        client.force_login(alice)
        form = client.get(reverse("activities:task_type_edit", args=[flow.pk])).context["steps"]
        data = {"name": "Flow 2", "active": "on", "steps-TOTAL_FORMS": "5", "steps-INITIAL_FORMS": "2"}
        for i, initial in enumerate(form.initial):
            data |= {f"steps-{i}-{k}": v for k, v in initial.items() if v is not None}
        data["steps-0-DELETE"] = "on"

        client.post(reverse("activities:task_type_edit", args=[flow.pk]), data)

        flow.refresh_from_db()
        assert flow.name == "Flow 2"
        assert [(s.order, s.title) for s in flow.steps.all()] == [(1, "B")]

    def test_bob_and_charlie_are_refused(self, client, bob, charlie):
        for user in (bob, charlie):
            client.force_login(user)
            assert client.get(reverse("activities:task_type_list")).status_code == 403
            assert client.get(reverse("activities:task_type_create")).status_code == 403


class TestWidget:
    def test_my_tasks_widget_shows_open_rows_and_counts(self, client, alice, bob):
        new_task(
            alice, user_ids=[bob.pk], title="Widget task", values={"due_at": timezone.now() - dt.timedelta(hours=1)}
        )
        from django.template.loader import render_to_string

        from crm.activities.registrations import _my_tasks

        html = render_to_string("activities/widgets/my_tasks.html", {"w": _my_tasks(bob)})

        assert "Widget task" in html
        assert 'data-count="received">1<' in html and 'data-count="overdue">1<' in html
        assert "text-danger" in html
