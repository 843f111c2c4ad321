from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from crm.core.lists.models import SavedFilter


def saved_filters_for(*, user: Any, list_key: str) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(Q(owner=user) | Q(shared=True), list_key=list_key).select_related("owner")


def saved_filter_get_for(*, user: Any, pk: int) -> SavedFilter | None:
    return SavedFilter.objects.filter(Q(owner=user) | Q(shared=True), pk=pk).first()
