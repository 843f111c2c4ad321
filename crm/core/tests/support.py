"""Test-side helpers of the platform tests: PostgreSQL-only marks and racing child processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# For tests that need real PostgreSQL: row locks, SKIP LOCKED, several sessions at once.
POSTGRES_ONLY = [pytest.mark.postgres, pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL")]


def child_env() -> dict[str, str]:
    """Environment for a child process that must use this test's database."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CRM_DB_ENGINE": "postgresql",
        "CRM_DB_NAME": db["NAME"],
        "CRM_DB_HOST": db["HOST"] or "127.0.0.1",
        "CRM_DB_PORT": str(db["PORT"]),
        "CRM_DB_USER": db["USER"],
        "CRM_DB_PASSWORD": db["PASSWORD"],
        "CRM_DB_CONN_MAX_AGE": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def start_child(module: str, *args: str) -> subprocess.Popen[str]:
    """`python -m module args…` on the test database; it waits at its start gate (child_gate)."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=settings.BASE_DIR,
        env=child_env(),
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def release(processes: list[subprocess.Popen[str]]) -> None:
    """Wait until every child has said "ready", then let all of them go at once."""
    for process in processes:
        assert process.stdout is not None and process.stdin is not None
        line = process.stdout.readline().strip()
        if line != "ready":
            _out, err = process.communicate(timeout=60)
            raise AssertionError(f"child did not start: {line!r}\n{err}")
    for process in processes:
        process.stdin.write("go\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]


def finish(process: subprocess.Popen[str], timeout: float = 120) -> str:
    """The child's stdout once it has exited successfully."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out


@contextmanager
def racing_children(module: str, arg_lists: list[list[str]]) -> Iterator[list[subprocess.Popen[str]]]:
    """Start one child per argument list; whatever happens, none outlives the test."""
    processes = [start_child(module, *args) for args in arg_lists]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
