"""Shared set-up for benchmarks: a PostgreSQL database of its own (crm_bench) on the
project's private cluster, migrated, and a timer that reports percentiles."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def django_on_postgres(db_name: str = "crm_bench") -> None:
    os.environ.setdefault("CRM_DB_ENGINE", "postgresql")
    os.environ.setdefault("CRM_DB_PORT", "55432")
    os.environ["CRM_DB_NAME"] = db_name
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("CRM_DEBUG", "false")
    os.environ.setdefault("CRM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=os.environ["CRM_DB_PORT"], user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{db_name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def measure(label: str, fn: Callable[[], object], runs: int = 200, warmup: int = 5) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    result = {
        "p50": statistics.median(samples),
        "p95": samples[int(len(samples) * 0.95) - 1],
        "p99": samples[int(len(samples) * 0.99) - 1],
    }
    print(f"{label:<58} p50 {result['p50']:8.2f} ms   p95 {result['p95']:8.2f} ms   p99 {result['p99']:8.2f} ms")
    return result


def machine_note() -> str:
    import platform

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()} · {os.cpu_count()} cores · {cpu} · Python {platform.python_version()}"
