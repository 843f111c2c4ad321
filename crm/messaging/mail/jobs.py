"""The periodic mail fetch: one due job ("mail.fetch") that imports new mail of every active
mailbox with an IMAP server, then schedules itself again `CRM_MAIL_FETCH_MINUTES` later.
Saving a mailbox (and the worker's first run after a deploy, via `mail_fetch_ensure`) makes
sure one is pending; the dedupe key per time slot keeps it to one job per slot."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_handler, due_job_schedule, on_worker_start
from crm.messaging.models import Mailbox

logger = logging.getLogger(__name__)
KIND = "mail.fetch"


def fetch_interval() -> dt.timedelta:
    return dt.timedelta(minutes=max(1, int(getattr(settings, "CRM_MAIL_FETCH_MINUTES", 5))))


def mail_fetch_schedule(*, due_at: dt.datetime) -> DueJob:
    slot = int(due_at.timestamp() // fetch_interval().total_seconds())
    return due_job_schedule(kind=KIND, due_at=due_at, dedupe_key=f"{KIND}:{slot}")


@on_worker_start
def mail_fetch_ensure() -> DueJob | None:
    """Schedule the fetch if none is pending (a new mailbox gets mail within a minute)."""
    if DueJob.objects.filter(kind=KIND, status__in=[DueJob.Status.PENDING, DueJob.Status.RUNNING]).exists():
        return None
    return mail_fetch_schedule(due_at=timezone.now() + dt.timedelta(seconds=30))


def mailboxes_to_fetch() -> list[Mailbox]:
    from crm.messaging.mail.servers import has_imap

    return [m for m in Mailbox.objects.filter(active=True).order_by("id") if has_imap(m)]


def mail_fetch_all() -> dict[int, int]:
    """Fetch every mailbox (each in its own savepoint: one broken server stops nothing)."""
    from crm.messaging.mail.imap import mailbox_fetch

    counts: dict[int, int] = {}
    for mailbox in mailboxes_to_fetch():
        try:
            with transaction.atomic():
                counts[mailbox.pk] = mailbox_fetch(mailbox=mailbox).new
        except Exception:
            logger.exception("fetching mailbox %s failed", mailbox.pk)
    return counts


@due_handler(KIND)
def _run(job: DueJob) -> None:
    # schedule the next run first: it is kept even when this run has trouble
    mail_fetch_schedule(due_at=timezone.now() + fetch_interval())
    mail_fetch_all()
