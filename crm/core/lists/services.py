from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.db import transaction

from crm.core.audit.services import audit_record
from crm.core.errors import PermissionDeniedError
from crm.core.lists.models import SavedFilter

IGNORED_PARAMS = {"page", "cursor", "export", "csrfmiddlewaretoken"}


def clean_query(query: str) -> str:
    """Keep only filter parameters of a list query string (no paging or export flags)."""
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=False) if k not in IGNORED_PARAMS]
    return urlencode(pairs)


@transaction.atomic
def saved_filter_create(*, actor: Any, list_key: str, name: str, query: str, shared: bool = False) -> SavedFilter:
    if shared and not actor.has_perm("core.share_savedfilter"):
        raise PermissionDeniedError()
    saved = SavedFilter.objects.create(
        owner=actor, list_key=list_key, name=name.strip()[:120], query=clean_query(query)[:2000], shared=shared
    )
    audit_record(actor=actor, target=saved, action="savedfilter.created")
    return saved


@transaction.atomic
def saved_filter_delete(*, actor: Any, saved: SavedFilter) -> None:
    if saved.owner_id != actor.pk and not actor.is_superuser:
        raise PermissionDeniedError()
    audit_record(actor=actor, target=saved, action="savedfilter.deleted", changes={"query": [saved.query, None]})
    saved.delete()
