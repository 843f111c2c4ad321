"""Django discovers the platform's models here; each lives with its mechanism."""

from crm.core.audit.models import AuditEntry
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.dashboard.models import DashboardLayout
from crm.core.dictionaries.models import DictionaryEntry
from crm.core.items.models import Attachment, AttachmentVersion, Comment, FollowUp, Mention
from crm.core.lists.models import SavedFilter
from crm.core.notifications.models import MessageTemplate, Notification, OutboxMessage
from crm.core.numbering.models import DocumentNumbering, NumberCounter, NumberSequence
from crm.core.permissions.models import FieldAccessRule, RecordRule
from crm.core.scheduling.models import DueJob
from crm.core.timeline.models import HistoryItem, TimelineEntry

__all__ = [
    "Attachment",
    "AttachmentVersion",
    "AuditEntry",
    "Comment",
    "CustomFieldDefinition",
    "DashboardLayout",
    "DictionaryEntry",
    "DocumentNumbering",
    "DueJob",
    "FieldAccessRule",
    "FollowUp",
    "HistoryItem",
    "Mention",
    "MessageTemplate",
    "Notification",
    "NumberCounter",
    "NumberSequence",
    "OutboxMessage",
    "RecordRule",
    "SavedFilter",
    "TimelineEntry",
]
