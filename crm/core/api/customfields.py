"""Custom field values arrive nested (`{"custom": {"shoe_size": 41}}`); their errors go back
nested the same way, so a custom key never collides with a field of the record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from crm.core.errors import CoreError, CoreErrorCode


@contextmanager
def custom_errors_under(field: str) -> Iterator[None]:
    try:
        yield
    except CoreError as exc:
        if exc.code == CoreErrorCode.INVALID_CUSTOM_VALUE:
            exc.fields = {field: {key: [str(message)] for key, message in exc.fields.items()}}
        raise
