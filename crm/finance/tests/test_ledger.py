"""The ledger follows sales documents; balances and statements read it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.finance import selectors, services
from crm.finance.errors import FinanceError
from crm.finance.models import Balance, LedgerEntry
from crm.finance.tests.conftest import MoneyWorld, approved_document
from crm.org.models import User
from crm.sales.events import document_event

pytestmark = pytest.mark.django_db


def test_an_approved_sales_invoice_debits_the_customer(money: MoneyWorld) -> None:
    info = selectors.balance_for(money.sara.pk)
    assert info.balance == Decimal("1500000") and info.side == "debtor"
    assert selectors.balance_from_ledger(money.sara.pk) == info
    kinds = list(LedgerEntry.objects.filter(identity_id=money.sara.pk).values_list("kind", "debit"))
    assert kinds == [("sale_invoice", Decimal("1000000")), ("sale_invoice", Decimal("500000"))]


def test_returns_and_purchases_credit(alice: User, money: MoneyWorld) -> None:
    approved_document(alice, money.sara, "200000", kind="return")
    approved_document(alice, money.supplier, "750000", direction="purchase")
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1300000")
    supplier = selectors.balance_for(money.supplier.pk)
    assert supplier.balance == Decimal("-750000") and supplier.side == "creditor"


def test_quotes_do_not_move_money(alice: User, money: MoneyWorld) -> None:
    approved_document(alice, money.ali, "999", kind="quote")
    assert selectors.balance_for(money.ali.pk).side == "settled"


def test_approving_twice_posts_once_and_unapproval_reverses(alice: User, money: MoneyWorld) -> None:
    invoice = money.invoices[0]
    document_event("approved", document=invoice, actor=alice)
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1500000")
    document_event("unapproved", document=invoice, actor=alice)
    assert selectors.balance_for(money.sara.pk).balance == Decimal("500000")
    reversal = LedgerEntry.objects.get(kind="reversal")
    assert reversal.credit == Decimal("1000000") and reversal.reversal_of.reversed
    invoice.total = Decimal("1200000")
    document_event("approved", document=invoice, actor=alice)  # re-approved after the edit
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1700000")
    assert selectors.balance_from_ledger(money.sara.pk) == selectors.balance_for(money.sara.pk)


def test_cancelling_an_invoice_with_payments_is_refused(alice: User, money: MoneyWorld) -> None:
    invoice = money.invoices[1]
    services.receipt_create(
        actor=alice,
        values={"identity_id": money.sara.pk, "amount": Decimal("100000")},
        allocations=[services.AllocationInput(invoice.pk, Decimal("100000"))],
    )
    with pytest.raises(FinanceError) as caught:
        document_event("cancelled", document=invoice, actor=alice)
    assert caught.value.code == "document_allocated"
    document_event("cancelled", document=money.invoices[0], actor=alice)  # unpaid: fine
    assert selectors.balance_for(money.sara.pk).balance == Decimal("400000")


def test_statement_has_a_running_balance_an_opening_and_pages(alice: User, money: MoneyWorld) -> None:
    services.receipt_create(actor=alice, values={"identity_id": money.sara.pk, "amount": Decimal("300000")})
    whole = selectors.statement(identity_id=money.sara.pk, per_page=None)
    assert [r["balance"] for r in whole["rows"]] == [Decimal("1000000"), Decimal("1500000"), Decimal("1200000")]
    assert whole["closing"] == Decimal("1200000") and whole["opening"] == 0
    since = timezone.localdate() - dt.timedelta(days=7)
    later = selectors.statement(identity_id=money.sara.pk, date_from=since)
    assert later["opening"] == Decimal("1000000")
    assert [r["balance"] for r in later["rows"]] == [Decimal("1500000"), Decimal("1200000")]
    latest = selectors.statement(identity_id=money.sara.pk, page=1, per_page=2)
    assert latest["has_next"] and [r["balance"] for r in latest["rows"]] == [Decimal("1500000"), Decimal("1200000")]
    older = selectors.statement(identity_id=money.sara.pk, page=2, per_page=2)
    assert not older["has_next"] and [r["balance"] for r in older["rows"]] == [Decimal("1000000")]
    until = selectors.statement(identity_id=money.sara.pk, date_to=timezone.localdate() - dt.timedelta(days=7))
    assert until["closing"] == Decimal("1000000") and len(until["rows"]) == 1


def test_balance_list_debtors_and_creditors(alice: User, money: MoneyWorld) -> None:
    approved_document(alice, money.supplier, "750000", direction="purchase")
    debtors = list(selectors.balance_list_for_user(user=alice, side="debtors"))
    creditors = list(selectors.balance_list_for_user(user=alice, side="creditors"))
    assert [b.identity_id for b in debtors] == [money.sara.pk]
    assert [b.identity_id for b in creditors] == [money.supplier.pk]
    assert selectors.balance_total(selectors.balance_list_for_user(user=alice, side="creditors")) == Decimal("750000")


def test_balances_need_the_statement_right(charlie: User, money: MoneyWorld) -> None:
    assert not selectors.balance_list_for_user(user=charlie, side="debtors").exists()
    assert not selectors.can_view_statement(charlie, money.sara.pk)
    assert selectors.can_view_statement(money.dana, money.sara.pk)


def test_balance_row_stays_equal_to_the_ledger(alice: User, money: MoneyWorld) -> None:
    for identity in (money.sara, money.ali):
        services.receipt_create(actor=alice, values={"identity_id": identity.pk, "amount": Decimal("10")})
    for row in Balance.objects.all():
        assert selectors.balance_from_ledger(row.identity_id).balance == row.balance
