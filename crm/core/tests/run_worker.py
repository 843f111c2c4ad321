"""Child process of the worker race: the real `crm_worker` command with the test handlers.

    python -m crm.core.tests.run_worker --once --no-tasks --worker-id w1

Imports crm.core.tests.due_handlers (which registers "test.append"), prints "ready",
waits for "go" on stdin, then runs `manage.py crm_worker` with the given arguments.
"""

from __future__ import annotations

import sys

import django


def main(args: list[str]) -> None:
    django.setup()
    from django.core.management import call_command

    import crm.core.tests.due_handlers  # noqa: F401 - registers the "test.append" handler
    from crm.core.tests.child_gate import wait_for_go

    wait_for_go()
    call_command("crm_worker", *args)


if __name__ == "__main__":
    main(sys.argv[1:])
