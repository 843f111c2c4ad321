"""Due-time work of the money context: reminders before cheques fall due."""

from __future__ import annotations

from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_handler
from crm.finance.services import CHEQUE_DUE_JOB, cheque_remind


@due_handler(CHEQUE_DUE_JOB)
def _cheque_due(job: DueJob) -> None:
    cheque_remind(cheque_id=int(job.payload.get("cheque") or 0))
