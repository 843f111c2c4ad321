"""Import of identities from CSV, XLSX and vCard files (ID-9). See services.py."""

from crm.identities.imports.services import (
    identity_import_run,
    import_job_configure,
    import_job_create,
    import_job_rerun,
    import_job_start,
)

__all__ = [
    "identity_import_run",
    "import_job_configure",
    "import_job_create",
    "import_job_rerun",
    "import_job_start",
]
