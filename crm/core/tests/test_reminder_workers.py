"""Reminders with real workers on PostgreSQL (AC-7): two workers racing tell each owner
exactly once; a worker killed in the middle of a batch loses nothing and repeats nothing."""

from __future__ import annotations

import datetime as dt
import signal
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.core.items.models import FollowUp
from crm.core.notifications.models import Notification
from crm.core.scheduling.models import DueJob
from crm.core.tests.support import POSTGRES_ONLY, finish, racing_children, release

pytestmark = [*POSTGRES_ONLY, pytest.mark.django_db(transaction=True), pytest.mark.slow]


def due_reminders(count: int) -> list[FollowUp]:
    """`count` follow-ups of five users, all due a moment ago, with their due jobs."""
    users = [get_user_model().objects.create_user(f"user{i}") for i in range(5)]
    due = timezone.now() - dt.timedelta(seconds=5)
    followups = FollowUp.objects.bulk_create(
        FollowUp(item_type="test.thing", item_id=str(i), user=users[i % 5], due_at=due, note=f"n{i}")
        for i in range(count)
    )
    DueJob.objects.bulk_create(
        DueJob(kind="followup.remind", due_at=due, payload={"followup": f.pk}, dedupe_key=f.dedupe_key)
        for f in followups
    )
    return followups


def told_once_each(followups: list[FollowUp]) -> None:
    keys = Counter(Notification.objects.values_list("dedupe_key", flat=True))
    expected = {f"{f.dedupe_key}:u{f.user_id}" for f in followups}
    assert [key for key, times in keys.items() if times > 1] == []
    assert set(keys) == expected
    # (workers also make sure other contexts' recurring jobs exist when they start)
    assert not DueJob.objects.filter(kind="followup.remind").exclude(status=DueJob.Status.DONE).exists()


def test_two_workers_racing_tell_each_reminder_once():
    followups = due_reminders(600)
    args = [["--once", "--no-tasks", "--batch-size", "20", "--worker-id", name] for name in ("w1", "w2")]
    with racing_children("crm.core.tests.run_worker", args) as workers:
        release(workers)
        for worker in workers:
            finish(worker)
    told_once_each(followups)
    reminders = DueJob.objects.filter(kind="followup.remind")
    assert set(reminders.values_list("claimed_by", flat=True).distinct()) == {"w1", "w2"}


def test_a_worker_killed_mid_batch_loses_nothing():
    followups = due_reminders(3000)
    # a worker that takes big batches is killed once it has told some but not all
    with racing_children(
        "crm.core.tests.run_worker", [["--no-tasks", "--batch-size", "500", "--worker-id", "doomed"]]
    ) as [doomed]:
        release([doomed])
        deadline = time.monotonic() + 120
        # reminders due together are handled a claimed batch at a time (one transaction):
        # kill it once some batches are told and another is claimed but not finished
        while time.monotonic() < deadline and not (
            Notification.objects.count() >= 100
            and DueJob.objects.filter(status=DueJob.Status.RUNNING, claimed_by="doomed").exists()
        ):
            time.sleep(0.01)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)
    told_before = Notification.objects.count()
    assert 0 < told_before < len(followups)
    held = DueJob.objects.filter(status=DueJob.Status.RUNNING, claimed_by="doomed")
    assert held.exists()  # its unfinished batch is still leased to it

    # when its lease runs out, another worker takes over the rest
    held.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    with racing_children("crm.core.tests.run_worker", [["--once", "--no-tasks", "--worker-id", "rescuer"]]) as [
        rescuer
    ]:
        release([rescuer])
        finish(rescuer)
    told_once_each(followups)
