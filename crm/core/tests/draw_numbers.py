"""Child process of the numbering race: draw N numbers of one sequence, one transaction each.

    python -m crm.core.tests.draw_numbers <sequence key> <count>

Prints "ready", waits for "go" on stdin, then prints one drawn number per line.
"""

from __future__ import annotations

import sys

import django


def main(key: str, count: int) -> None:
    django.setup()
    from django.db import connection

    from crm.core.numbering.services import sequence_next
    from crm.core.tests.child_gate import wait_for_go

    wait_for_go()
    drawn = [sequence_next(key=key) for _ in range(count)]  # each call commits on its own
    connection.close()
    print("\n".join(drawn), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
