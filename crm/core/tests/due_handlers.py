"""A due-job handler for tests: "test.append" appends the job id to the file in its payload.

The file is opened with O_APPEND, so lines written by several worker processes never mix:
counting the lines afterwards shows how often each job ran.
"""

from __future__ import annotations

import os

from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_handler

KIND = "test.append"


@due_handler(KIND)
def append_job_id(job: DueJob) -> None:
    fd = os.open(job.payload["path"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{job.pk}\n".encode())
    finally:
        os.close(fd)
