"""What the identities context plugs into the platform: the 'identity' link type for
custom fields, dashboard widgets (quick search, my assigned identities)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from crm.core.customfields.registry import register_link_target
from crm.core.dashboard.registry import Widget, register_widget
from crm.core.timeline.registry import ItemType, register_item_type, row_ids
from crm.identities.events import EVENT_ITEM_TYPE, IMPORT_ITEM_TYPE
from crm.identities.models import Identity


def _existing(ids: Iterable[int]) -> set[int]:
    return set(Identity.objects.filter(pk__in=list(ids)).values_list("pk", flat=True))


def _label(pk: int) -> str:
    identity = Identity.all_objects.filter(pk=pk).only("display_name").first()
    return str(identity) if identity else f"#{pk}"


register_link_target("identity", resolver=_existing, labeler=_label)


def _assigned_context(user: Any) -> dict[str, Any]:
    from crm.identities.selectors import assigned_identities

    return {"identities": list(assigned_identities(user=user)[:8])}


register_widget(
    Widget(
        key="quick_search",
        title=_("Quick search"),
        template="identities/widgets/quick_search.html",
        context=lambda user: {},
        icon="bi-search",
        order=5,
        permission="identities.view_identity",
    )
)
register_widget(
    Widget(
        key="my_identities",
        title=_("My assigned identities"),
        template="identities/widgets/my_identities.html",
        context=_assigned_context,
        icon="bi-person-check",
        order=30,
        permission="identities.view_identity",
    )
)


# Profile history (ID-6): the identity's own milestones (created, became a customer,
# merged, imported, number added from a call) are timeline items of type
# "identities.event" whose id is the audit entry that recorded them.
def _milestones_visible(item_type: str) -> Any:
    """Whoever may see the identity may read its own milestones; nobody else (they show in
    the global CRM history too, so they must not leak hidden identities)."""

    def visible(user: Any, ids: Iterable[str]) -> set[str]:
        from crm.core.timeline.models import TimelineEntry
        from crm.identities.selectors import identity_base_for_user

        links = list(
            TimelineEntry.objects.filter(item_type=item_type, item_id__in=[str(i) for i in ids]).values_list(
                "item_id", "identity_id"
            )
        )
        shown = set(
            identity_base_for_user(user=user)
            .filter(pk__in={identity_id for _item, identity_id in links})
            .values_list("pk", flat=True)
        )
        return {item_id for item_id, identity_id in links if identity_id in shown}

    return visible


register_item_type(
    ItemType(
        key=EVENT_ITEM_TYPE,
        label=_("Profile event"),
        icon="bi-person-gear",
        url=lambda item_id: None,
        visible_ids=_milestones_visible(EVENT_ITEM_TYPE),
    )
)


# Identities created by an import: one history item each, linking to the import job
# (its page shows the file, the options and the report; only its owner may open it).
def _import_url(item_id: str) -> str | None:
    from django.urls import reverse

    return reverse("identity_import_job", args=[item_id])


register_item_type(
    ItemType(
        key=IMPORT_ITEM_TYPE,
        label=_("Imported from a file"),
        icon="bi-upload",
        url=_import_url,
        visible_ids=_milestones_visible(IMPORT_ITEM_TYPE),
    )
)


# The profile itself is an item: follow-ups, comments and files hang on it (AC-7, AC-8).
PROFILE_ITEM_TYPE = "identities.identity"


def _profile_visible(user: Any, ids: Iterable[str]) -> set[str]:
    from crm.identities.selectors import identity_base_for_user

    wanted = row_ids(ids)
    rows = identity_base_for_user(user=user).filter(pk__in=wanted).values_list("pk", flat=True)
    return {str(pk) for pk in rows}


def _profile_titles(ids: Iterable[str]) -> dict[str, str]:
    wanted = row_ids(ids)
    return {str(pk): name for pk, name in Identity.all_objects.filter(pk__in=wanted).values_list("pk", "display_name")}


def _profile_url(item_id: str) -> str | None:
    from django.urls import reverse

    return reverse("identity_detail", args=[item_id]) if row_ids([item_id]) else None


register_item_type(
    ItemType(
        key=PROFILE_ITEM_TYPE,
        label=_("Identity"),
        icon="bi-person",
        url=_profile_url,
        visible_ids=_profile_visible,
        titles=_profile_titles,
        in_history=False,
    )
)
