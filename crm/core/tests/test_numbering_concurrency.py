"""Numbering under contention (PostgreSQL): 8 threads and 4 processes draw from one sequence
at the same time, each number in its own transaction. Every number appears exactly once
and the numbers form one unbroken run from the start value."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from crm.core.numbering.models import NumberSequence
from crm.core.numbering.services import sequence_next
from crm.core.tests.support import POSTGRES_ONLY, finish, racing_children, release

pytestmark = [*POSTGRES_ONLY, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

START = 1000
THREADS, PER_THREAD = 8, 125
PROCESSES, PER_PROCESS = 4, 250


def _draw_in_thread(key: str, count: int, go: threading.Barrier, out: list[str], errors: list[BaseException]) -> None:
    try:
        go.wait()
        out.extend(sequence_next(key=key) for _ in range(count))
    except BaseException as exc:
        errors.append(exc)
    finally:
        connection.close()  # this thread's own connection


def test_threads_and_processes_never_share_or_skip_a_number():
    # given one sequence that starts at 1000
    NumberSequence.objects.create(key="race", name="Race", start=START)
    total = THREADS * PER_THREAD + PROCESSES * PER_PROCESS
    assert total >= 2000

    # when 4 processes and 8 threads (each with its own connection) draw at the same moment
    results: list[list[str]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []
    go = threading.Barrier(THREADS + 1)
    threads = [
        threading.Thread(target=_draw_in_thread, args=("race", PER_THREAD, go, results[i], errors))
        for i in range(THREADS)
    ]
    with racing_children("crm.core.tests.draw_numbers", [["race", str(PER_PROCESS)]] * PROCESSES) as children:
        for thread in threads:
            thread.start()
        release(children)
        go.wait()
        for thread in threads:
            thread.join(timeout=120)
        outputs = [finish(child) for child in children]

    # then nobody failed, and every number from 1000 on was handed out exactly once
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    drawn = [int(n) for numbers in results for n in numbers]
    drawn += [int(line) for out in outputs for line in out.split()]
    duplicates = [n for n, times in Counter(drawn).items() if times > 1]
    assert duplicates == []
    assert sorted(drawn) == list(range(START, START + total))
    # and each process really drew its share
    assert [len(out.split()) for out in outputs] == [PER_PROCESS] * PROCESSES
