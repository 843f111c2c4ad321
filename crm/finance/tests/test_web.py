"""The money pages: lists, forms, details, status actions, statement, balances, profile
tab and fact, dashboard widget; refusals for those without rights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.finance import selectors, services
from crm.finance.models import PaymentLink, Receipt
from crm.finance.tests.conftest import MoneyWorld
from crm.org.models import User
from crm.org.testing import PASSWORD

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_recording_a_cheque_receipt_with_allocations_from_the_form(money: MoneyWorld) -> None:
    client = client_for(money.dana)
    url = reverse("finance:receipt_create")
    page = client.get(url, {"identity": money.sara.pk})
    assert page.status_code == 200 and b"allocation-table" in page.content
    first, second = money.invoices
    due = timezone.localdate() + dt.timedelta(days=20)
    response = client.post(
        url,
        {
            "identity": money.sara.pk,
            "direction": "in",
            "method": "cheque",
            "date": timezone.localdate().isoformat(),
            "amount": "۱٬۲۰۰٬۰۰۰",
            "cheque_number": "778899",
            "cheque_bank": "Mellat",
            "cheque_due_date": due.isoformat(),
            f"alloc_{first.pk}": "1000000",
            f"alloc_{second.pk}": "200,000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    receipt = Receipt.objects.get()
    assert receipt.amount == Decimal("1200000") and receipt.cheque.number == "778899"
    assert receipt.allocations.count() == 2
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and b"cheque-deposited" in detail.content and b"allocations" in detail.content
    moved = client.post(reverse("finance:cheque_status", args=[receipt.cheque.pk]), {"status": "deposited"})
    assert moved.status_code == 302
    receipt.cheque.refresh_from_db()
    assert receipt.cheque.status == "deposited"


def test_form_errors_are_shown_not_raised(money: MoneyWorld) -> None:
    client = client_for(money.dana)
    response = client.post(
        reverse("finance:receipt_create"),
        {
            "identity": money.sara.pk,
            "direction": "in",
            "method": "cash",
            "date": timezone.localdate().isoformat(),
            "amount": "100",
            f"alloc_{money.invoices[0].pk}": "5000",
        },
    )
    assert response.status_code == 200 and "more than the amount" in response.content.decode()
    assert not Receipt.objects.exists()


def test_allocation_partial_follows_the_identity(money: MoneyWorld) -> None:
    client = client_for(money.dana)
    response = client.get(reverse("finance:receipt_allocations"), {"identity": money.sara.pk, "direction": "in"})
    assert response.status_code == 200 and response.content.count(b"alloc_") >= 2
    empty = client.get(reverse("finance:receipt_allocations"), {"identity": money.ali.pk, "direction": "in"})
    assert b"alloc_" not in empty.content


def test_lists_and_reports_render(money: MoneyWorld, alice: User) -> None:
    services.receipt_create(actor=alice, values={"identity_id": money.sara.pk, "amount": Decimal(10)})
    client = client_for(alice)
    for name, args, params in [
        ("finance:receipt_list", [], {"direction": "in"}),
        ("finance:cheque_list", [], {"when": "week"}),
        ("finance:cheque_list", [], {"when": "overdue"}),
        ("finance:link_list", [], {"status": "expired"}),
        ("finance:link_create", [], {"identity": money.sara.pk}),
        ("finance:balance_list", [], {}),
        ("finance:balance_list", [], {"side": "creditors"}),
        ("finance:statement", [money.sara.pk], {}),
        ("finance:statement", [money.sara.pk], {"print": "1"}),
    ]:
        response = client.get(reverse(name, args=args), params)
        assert response.status_code == 200, name
    statement = client.get(reverse("finance:statement", args=[money.sara.pk]))
    assert b"statement-table" in statement.content


def test_profile_shows_the_balance_and_the_statement_tab(money: MoneyWorld) -> None:
    client = client_for(money.dana)
    url = reverse("identity_detail", args=[money.sara.pk])
    page = client.get(url).content.decode()
    assert 'data-fact="balance"' in page and "1,500,000 debtor" in page
    tab = client.get(url, {"tab": "statement"}).content.decode()
    assert 'data-testid="statement-tab"' in tab and "1,500,000" in tab


def test_profile_fact_and_tab_hidden_without_the_right(money: MoneyWorld, bob: User) -> None:
    from crm.org.testing import appoint, fresh, make_position

    appoint(bob, make_position("Viewer", ["identities.view_identity", "identities.view_all_identity"]))
    page = client_for(fresh(bob)).get(reverse("identity_detail", args=[money.sara.pk]), {"tab": "statement"})
    assert page.status_code == 200
    assert b'data-fact="balance"' not in page.content and b"statement-tab" not in page.content


def test_payment_link_pages(money: MoneyWorld) -> None:
    client = client_for(money.dana)
    response = client.post(
        reverse("finance:link_create") + f"?identity={money.sara.pk}",
        {
            "identity": money.sara.pk,
            "amount": "500000",
            "expires_at": (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M"),
            "document": money.invoices[1].pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    link = PaymentLink.objects.get()
    assert link.document_id == money.invoices[1].pk
    detail = client.get(response["Location"]).content.decode()
    assert services.payment_link_path(link) in detail
    assert client.post(reverse("finance:link_cancel", args=[link.pk])).status_code == 302
    link.refresh_from_db()
    assert link.status == "cancelled"


def test_dashboard_widget_lists_cheques_due(money: MoneyWorld) -> None:
    from crm.core.dashboard.registry import widget_get

    services.receipt_create(
        actor=money.dana,
        values={"identity_id": money.sara.pk, "amount": Decimal(9), "method": "cheque"},
        cheque={"number": "1", "bank": "Saman", "due_date": timezone.localdate() + dt.timedelta(days=2)},
    )
    widget = widget_get("cheques_due")
    assert widget is not None and widget.allowed_for(money.dana)
    assert len(widget.context(money.dana)["rows"]) == 1


def test_charlie_is_refused_everywhere(money: MoneyWorld, charlie: User, alice: User) -> None:
    receipt = services.receipt_create(actor=alice, values={"identity_id": money.sara.pk, "amount": Decimal(10)})
    link = services.payment_link_create(
        actor=alice, identity_id=money.sara.pk, amount=Decimal(1), expires_at=timezone.now() + dt.timedelta(days=1)
    )
    client = client_for(charlie)
    for name in (
        "finance:receipt_list",
        "finance:receipt_create",
        "finance:cheque_list",
        "finance:link_list",
        "finance:link_create",
        "finance:balance_list",
    ):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("finance:receipt_detail", args=[receipt.pk])).status_code == 404
    assert client.get(reverse("finance:link_detail", args=[link.pk])).status_code == 404
    assert client.get(reverse("finance:statement", args=[money.sara.pk])).status_code == 404
    assert client.post(reverse("finance:receipt_cancel", args=[receipt.pk])).status_code == 404
    assert Client().get(reverse("finance:receipt_list")).status_code == 302  # to the sign-in page


def test_a_cashier_sees_only_her_own_receipts(money: MoneyWorld, alice: User) -> None:
    theirs = services.receipt_create(actor=alice, values={"identity_id": money.sara.pk, "amount": Decimal(10)})
    mine = services.receipt_create(actor=money.dana, values={"identity_id": money.sara.pk, "amount": Decimal(20)})
    client = client_for(money.dana)
    listing = client.get(reverse("finance:receipt_list")).content.decode()
    assert reverse("finance:receipt_detail", args=[mine.pk]) in listing
    assert reverse("finance:receipt_detail", args=[theirs.pk]) not in listing
    assert client.get(reverse("finance:receipt_detail", args=[theirs.pk])).status_code == 404
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1499970")
