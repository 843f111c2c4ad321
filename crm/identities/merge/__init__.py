"""Duplicates and merge (ID-7, ID-10): detection, "not duplicates", merge and its undo."""

from crm.identities.merge.duplicates import (
    DuplicatePair,
    Reason,
    duplicate_candidates,
    duplicate_dismiss,
    sound_key,
    suggested_survivor,
)
from crm.identities.merge.selectors import (
    merge_comparison,
    merge_identity_get,
    merge_record_get_for_user,
    merge_record_summary,
    merge_records_for_identity,
)
from crm.identities.merge.services import identity_merge, identity_merge_undo

__all__ = [
    "DuplicatePair",
    "Reason",
    "duplicate_candidates",
    "duplicate_dismiss",
    "identity_merge",
    "identity_merge_undo",
    "merge_comparison",
    "merge_identity_get",
    "merge_record_get_for_user",
    "merge_record_summary",
    "merge_records_for_identity",
    "sound_key",
    "suggested_survivor",
]
