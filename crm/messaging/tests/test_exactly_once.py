"""Exactly once at the gateway (CM-6): a worker killed in the middle of a send and a second
worker taking over leave every recipient with exactly one SMS at the operator.

Real processes: `manage.py crm_worker` subprocesses on the test database, Kannel with its
fake SMSC, delivery reports back through the live server. PostgreSQL only (the workers
claim rows with SKIP LOCKED from another process)."""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from crm.core.notifications.models import OutboxMessage
from crm.messaging.models import Message, MessageEvent
from crm.messaging.sending import Outgoing, messages_queue
from crm.messaging.testing import ROOT, kannel_fixture, kannel_running, kannel_session  # noqa: F401  (fixtures)
from crm.messaging.transports import send_sms_batch

COUNT = 1000


def start_worker(name: str, log: Path) -> subprocess.Popen:
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CRM_DB_ENGINE": "postgresql",
        "CRM_DB_NAME": settings["NAME"],
        "CRM_DB_HOST": str(settings["HOST"]),
        "CRM_DB_PORT": str(settings["PORT"]),
        "CRM_DB_USER": str(settings["USER"]),
        "CRM_DB_CONN_MAX_AGE": "0",
    }
    handle = log.open("w")
    return subprocess.Popen(
        [sys.executable, "manage.py", "crm_worker", "--no-tasks", "--worker-id", name, "--batch-size", "100"],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def outbox_counts() -> dict[str, int]:
    rows = OutboxMessage.objects.filter(channel="msg.sms").values_list("status", flat=True)
    return dict(collections.Counter(rows))


@pytest.mark.postgres
@pytest.mark.slow
def test_worker_killed_mid_send_every_recipient_gets_exactly_one(kannel: Any, tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    # a Kannel of its own: its backlog of reports must not spill into other tests
    with kannel_running(callback_url=kannel.callback_url, directory=tmp_path / "kannel") as gw:
        line = gw.make_line(name="once", config={**gw.line_config(), "dlr_mask": 8, "concurrency": 8})
        run_killed_send(gw, line, tmp_path)


def run_killed_send(gw: Any, line: Any, tmp_path: Path) -> None:
    numbers = [f"+98935{i:07d}" for i in range(COUNT)]
    items = [Outgoing(to_address=n, body=f"پیام آزمایشی شماره {i}", key=n) for i, n in enumerate(numbers)]
    messages_queue(actor=None, channel="sms", items=items, dedupe_prefix="once", sms_line=line, history=False)

    first = start_worker("w-killed", tmp_path / "w1.log")
    deadline = time.monotonic() + 120
    while gw.received_parts() < COUNT // 4 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = gw.received_parts()
    assert 0 < at_kill < COUNT, "the kill should land in the middle of the send"
    # what the lease does in two minutes: the dead worker's rows may be taken over now
    OutboxMessage.objects.filter(status="sending").update(lease_until=timezone.now() - dt.timedelta(seconds=1))

    second = start_worker("w-takeover", tmp_path / "w2.log")
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if outbox_counts().get("sent", 0) == COUNT:
                break
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    time.sleep(0.5)  # anything still on its way to the operator
    received = collections.Counter(sms.receiver for sms in gw.received())
    assert outbox_counts() == {"sent": COUNT}, (tmp_path / "w2.log").read_text()[-2000:]
    assert len(received) == COUNT and set(received) == set(numbers)
    duplicates = {number: n for number, n in received.items() if n > 1}
    assert duplicates == {}
    assert not Message.objects.filter(dedupe_key__startswith="once:", status__in=["queued", "sending"]).exists()
    # every message's SMSC ack comes back
    deadline = time.monotonic() + 180
    while MessageEvent.objects.filter(kind="accepted").count() < COUNT and time.monotonic() < deadline:
        time.sleep(0.5)
    assert MessageEvent.objects.filter(kind="accepted").count() == COUNT


def test_takeover_waits_for_the_report_then_decides(kannel: Any) -> None:
    """A row with a hand-off marker: deferred while the grace period runs, done if a report
    came, sent again only after the grace period without one."""
    from crm.core.notifications.registry import Deferred

    with kannel.db_lock:
        [reported, silent, old] = messages_queue(
            actor=None,
            channel="sms",
            items=[Outgoing(to_address=f"+9891200000{i}", body="x", key=str(i)) for i in range(3)],
            dedupe_prefix="takeover",
            sms_line=kannel.line,
        )
        now = timezone.now()
        for message, age in ((reported, 1), (silent, 1), (old, 600)):
            message.status = "sending"
            message.meta = {"handoff": {"a": "dead", "at": (now - dt.timedelta(seconds=age)).isoformat()}}
            message.save(update_fields=["status", "meta"])
        MessageEvent.objects.create(message=reported, kind="accepted", dedupe_key=f"kannel:{reported.pk}:8")
        rows = list(OutboxMessage.objects.filter(dedupe_key__startswith="takeover:").order_by("pk"))
        results = send_sms_batch(rows)
    by_message = {row.dedupe_key: results[row.pk] for row in rows}
    assert isinstance(by_message[reported.dedupe_key], str)
    assert isinstance(by_message[silent.dedupe_key], Deferred)
    assert by_message[old.dedupe_key].startswith(f"kannel:{old.pk}:")
    got = kannel.wait_received(1)
    assert [sms.receiver for sms in got] == [old.to_address]
