"""Claiming due rows for one worker among many: the queue pattern shared by due jobs and
the outbox (ADR 0005, ADR 0012)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.db.models import Q


def claim_leased(
    model: type[models.Model],
    *,
    worker_id: str,
    limit: int,
    now: dt.datetime,
    lease: dt.timedelta,
    pending: str,
    running: str,
) -> list[Any]:
    """Take up to `limit` rows due by `now` for this worker: pending ones, and running ones
    whose holder's lease ran out (a worker that died). Rows other workers hold locked are
    skipped, not waited for. The rows need `status`, `due_at`, `claimed_by`, `lease_until`."""
    claimable = Q(status=pending) | Q(status=running, lease_until__lt=now)
    manager = model._default_manager
    with transaction.atomic():
        rows = list(
            manager.select_for_update(skip_locked=True)
            .filter(claimable, due_at__lte=now)
            .order_by("due_at", "id")[:limit]
        )
        if not rows:
            return []
        until = now + lease
        manager.filter(pk__in=[row.pk for row in rows]).update(status=running, claimed_by=worker_id, lease_until=until)
    for row in rows:
        row.status, row.claimed_by, row.lease_until = running, worker_id, until
    return rows
