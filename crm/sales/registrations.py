"""What sales documents plug into: the item type "sales.document" (identity histories,
follow-ups, comments, attachments), the "document" placeholders of message templates, the
"Documents" tab and "New quote" action on identity profiles, and a dashboard widget."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.core.dashboard.registry import Widget, register_widget
from crm.core.timeline.registry import ItemType, register_item_type, row_ids
from crm.identities.profile import ProfileAction, ProfileTab, register_profile_action, register_profile_tab
from crm.sales.document_selectors import document_base_for_user, documents_for_identity, pending_approval_for
from crm.sales.documents import ITEM_TYPE
from crm.sales.models import Document


def _visible(user: Any, ids: Iterable[str]) -> set[str]:
    qs = document_base_for_user(user=user).filter(pk__in=row_ids(ids))
    return {str(pk) for pk in qs.values_list("pk", flat=True)}


def _titles(ids: Iterable[str]) -> dict[str, str]:
    docs = Document.all_objects.filter(pk__in=row_ids(ids)).only("pk", "kind", "number")
    return {str(doc.pk): str(doc) for doc in docs}


def _url(item_id: str) -> str | None:
    return reverse("sales:document_detail", args=[item_id]) if row_ids([item_id]) else None


register_item_type(
    ItemType(
        key=ITEM_TYPE,
        label=_("Quote / invoice"),
        icon="bi-receipt",
        url=_url,
        visible_ids=_visible,
        titles=_titles,
    )
)


# --- identity profile ---------------------------------------------------------------------------


def _documents_tab(request: HttpRequest, identity: Any) -> str:
    from crm.sales.document_selectors import identity_names

    documents = documents_for_identity(user=request.user, identity_id=identity.pk)
    return render_to_string(
        "sales/documents/profile_tab.html",
        {"documents": documents, "identity": identity, "names": identity_names({identity.pk})},
        request=request,
    )


register_profile_tab(
    ProfileTab(key="sales_documents", label=_("Documents"), render=_documents_tab, permission=None, order=40)
)
register_profile_action(
    ProfileAction(
        key="sales_new_quote",
        label=_("New quote"),
        icon="bi-file-earmark-plus",
        url=lambda identity: f"{reverse('sales:quote_create')}?identity={identity.pk}",
        permission="sales.add_document",
        order=40,
    )
)


# --- message templates ------------------------------------------------------------------------


def _placeholder_fields() -> list[tuple[str, str]]:
    return [
        ("document.number", str(_("Document number"))),
        ("document.kind", str(_("Document kind"))),
        ("document.date", str(_("Document date"))),
        ("document.valid_until", str(_("Valid until"))),
        ("document.total", str(_("Document total"))),
        ("document.link", str(_("Link for the customer"))),
    ]


def _placeholder_values(items: list[Any]) -> dict[int, dict[str, str]]:
    from crm.core.i18n.formatting import format_date, format_number
    from crm.sales.documents import customer_link_url

    ids = [getattr(item, "pk", item) for item in items]
    out: dict[int, dict[str, str]] = {}
    for doc in Document.objects.filter(pk__in=row_ids(ids)):
        out[doc.pk] = {
            "document.number": doc.number or f"#{doc.pk}",
            "document.kind": str(doc.get_kind_display()),
            "document.date": format_date(doc.issued_on),
            "document.valid_until": format_date(doc.valid_until) if doc.valid_until else "",
            "document.total": format_number(doc.total),
            "document.link": customer_link_url(doc),
        }
    return out


try:
    from crm.messaging.placeholders import PlaceholderSource, register_placeholder_source
except ImportError:  # messaging not there: no document placeholders
    pass
else:
    register_placeholder_source(
        PlaceholderSource(
            key="document", label=_("Sales document"), fields=_placeholder_fields, values=_placeholder_values
        )
    )


# --- dashboard ----------------------------------------------------------------------------------


def _pending(user: Any) -> dict[str, Any]:
    from crm.sales.access import APPROVE
    from crm.sales.document_selectors import identity_names

    rows = list(pending_approval_for(user=user, limit=8)) if user.has_perm(APPROVE) else []
    return {"rows": rows, "names": identity_names({d.identity_id for d in rows})}


register_widget(
    Widget(
        key="sales_pending_approval",
        title=_("Documents to approve"),
        template="sales/documents/widget_pending.html",
        context=_pending,
        icon="bi-patch-check",
        order=40,
        permission="sales.approve_document",
    )
)
