"""Django discovers the platform's models here; each lives with its mechanism."""

from crm.core.audit.models import AuditEntry
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.dashboard.models import DashboardLayout
from crm.core.dictionaries.models import DictionaryEntry
from crm.core.lists.models import SavedFilter
from crm.core.numbering.models import DocumentNumbering, NumberCounter, NumberSequence
from crm.core.permissions.models import FieldAccessRule, RecordRule
from crm.core.scheduling.models import DueJob
from crm.core.timeline.models import TimelineEntry

__all__ = [
    "AuditEntry",
    "CustomFieldDefinition",
    "DashboardLayout",
    "DictionaryEntry",
    "DocumentNumbering",
    "DueJob",
    "FieldAccessRule",
    "NumberCounter",
    "NumberSequence",
    "RecordRule",
    "SavedFilter",
    "TimelineEntry",
]
