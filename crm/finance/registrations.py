"""What money plugs into the platform: item types (histories, follow-ups, comments,
attachments on receipts and payment links), the identity profile (balance fact, statement
tab, actions) and the dashboard widget "cheques due this week"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.dashboard.registry import Widget, register_widget
from crm.core.i18n.formatting import format_number
from crm.core.timeline.registry import ItemType, register_item_type, row_ids
from crm.finance import selectors
from crm.finance.gateways import sandbox  # noqa: F401 - registers the sandbox gateway
from crm.finance.models import PaymentLink, Receipt
from crm.finance.services import LINK_ITEM, RECEIPT_ITEM, payment_link_state
from crm.identities.profile import (
    ProfileAction,
    ProfileFact,
    ProfileTab,
    register_profile_action,
    register_profile_fact,
    register_profile_tab,
)


def _receipt_visible(user: Any, ids: Iterable[str]) -> set[str]:
    rows = selectors.receipt_base_for_user(user=user).filter(pk__in=row_ids(ids)).values_list("pk", flat=True)
    return {str(pk) for pk in rows}


def _receipt_titles(ids: Iterable[str]) -> dict[str, str]:
    rows = Receipt.all_objects.filter(pk__in=row_ids(ids))
    return {str(r.pk): str(r) for r in rows}


def _link_visible(user: Any, ids: Iterable[str]) -> set[str]:
    rows = selectors.paymentlink_base_for_user(user=user).filter(pk__in=row_ids(ids)).values_list("pk", flat=True)
    return {str(pk) for pk in rows}


def _link_titles(ids: Iterable[str]) -> dict[str, str]:
    rows = PaymentLink.objects.filter(pk__in=row_ids(ids)).values_list("pk", "amount")
    return {str(pk): f"{_('Payment link')} {format_number(amount)}" for pk, amount in rows}


register_item_type(
    ItemType(
        key=RECEIPT_ITEM,
        label=_("Receipt or payment"),
        icon="bi-cash-coin",
        url=lambda item_id: reverse("finance:receipt_detail", args=[item_id]) if row_ids([item_id]) else None,
        visible_ids=_receipt_visible,
        titles=_receipt_titles,
    )
)
register_item_type(
    ItemType(
        key=LINK_ITEM,
        label=_("Payment link"),
        icon="bi-link-45deg",
        url=lambda item_id: reverse("finance:link_detail", args=[item_id]) if row_ids([item_id]) else None,
        visible_ids=_link_visible,
        titles=_link_titles,
    )
)


# --- identity profile ------------------------------------------------------------------------


def balance_text(info: selectors.BalanceInfo) -> str:
    if info.side == "debtor":
        return str(_("%(amount)s debtor")) % {"amount": format_number(info.amount)}
    if info.side == "creditor":
        return str(_("%(amount)s creditor")) % {"amount": format_number(info.amount)}
    return str(_("Settled"))


def _balance_fact(user: Any, identity: Any) -> str | None:
    if not user.has_perm(selectors.STATEMENT_PERM):
        return None
    return balance_text(selectors.balance_for(identity.pk))


def _statement_tab(request: HttpRequest, identity: Any) -> str:
    if not selectors.can_view_statement(request.user, identity.pk):
        return ""
    data = selectors.statement(identity_id=identity.pk, per_page=20)
    links = selectors.paymentlink_list_for_user(user=request.user, identity_id=identity.pk)[:10]
    receipts = selectors.receipt_list_for_user(
        user=request.user, filters=selectors.ReceiptFilters(identity_id=identity.pk)
    )[:10]
    now = timezone.now()
    return render_to_string(
        "finance/includes/statement_tab.html",
        {
            "identity": identity,
            "statement": data,
            "balance": selectors.balance_for(identity.pk),
            "balance_text": balance_text(selectors.balance_for(identity.pk)),
            "links": [(link, payment_link_state(link, now)) for link in links],
            "receipts": receipts,
            "can_add_receipt": request.user.has_perm("finance.add_receipt"),
            "can_add_link": request.user.has_perm("finance.add_paymentlink"),
        },
        request=request,
    )


register_profile_fact(ProfileFact(key="balance", label=_("Balance"), value=_balance_fact, order=20))
register_profile_tab(
    ProfileTab(
        key="statement", label=_("Statement"), render=_statement_tab, permission=selectors.STATEMENT_PERM, order=40
    )
)
register_profile_action(
    ProfileAction(
        key="new_receipt",
        label=_("New receipt"),
        icon="bi-cash-coin",
        url=lambda identity: f"{reverse('finance:receipt_create')}?identity={identity.pk}",
        permission="finance.add_receipt",
        order=60,
    )
)
register_profile_action(
    ProfileAction(
        key="payment_link",
        label=_("Payment link"),
        icon="bi-link-45deg",
        url=lambda identity: f"{reverse('finance:link_create')}?identity={identity.pk}",
        permission="finance.add_paymentlink",
        order=61,
    )
)


# --- dashboard -------------------------------------------------------------------------------


def _cheques_due(user: Any) -> dict[str, Any]:
    cheques = selectors.cheques_due(user=user, days=7, limit=10)
    names = selectors.identity_names({c.identity_id for c in cheques})
    return {"rows": [(c, names.get(c.identity_id, "")) for c in cheques], "today": timezone.localdate()}


register_widget(
    Widget(
        key="cheques_due",
        title=_("Cheques due this week"),
        template="finance/widgets/cheques_due.html",
        context=_cheques_due,
        icon="bi-credit-card-2-front",
        order=40,
        permission="finance.view_receipt",
    )
)
