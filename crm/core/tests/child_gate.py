"""Child side of the start gate: say "ready" once Django is set up, then wait for "go"."""

from __future__ import annotations

import sys


def wait_for_go() -> None:
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no go signal")
