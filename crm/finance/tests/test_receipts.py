"""Receipts and payments (FN-1): allocations, numbering, audit, histories and access."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.core.audit.models import AuditEntry
from crm.core.errors import PermissionDeniedError
from crm.core.timeline.models import TimelineEntry
from crm.finance import selectors, services
from crm.finance.errors import FinanceError
from crm.finance.models import Receipt
from crm.finance.tests.conftest import MoneyWorld, approved_document
from crm.org.models import User

pytestmark = pytest.mark.django_db
A = services.AllocationInput


def receive(actor: User, identity_id: int, amount: str, *allocations: A, **values: object) -> Receipt:
    return services.receipt_create(
        actor=actor, values={"identity_id": identity_id, "amount": Decimal(amount), **values}, allocations=allocations
    )


def test_a_receipt_credits_the_customer_and_is_numbered_audited_and_in_the_history(money: MoneyWorld) -> None:
    receipt = receive(money.dana, money.sara.pk, "400000", method="card", reference="TRX-1")
    assert receipt.number.startswith("R") and receipt.created_by == money.dana
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1100000")
    assert AuditEntry.objects.filter(action="receipt.created", target_id=str(receipt.pk)).exists()
    entry = TimelineEntry.objects.get(item_type="finance.receipt", item_id=str(receipt.pk))
    assert entry.identity_id == money.sara.pk and receipt.number in entry.summary
    second = receive(money.dana, money.sara.pk, "1")
    assert second.number != receipt.number


def test_a_payment_to_a_supplier_debits_them(alice: User, money: MoneyWorld) -> None:
    approved_document(alice, money.supplier, "750000", direction="purchase")
    payment = receive(alice, money.supplier.pk, "750000", direction="out", method="transfer")
    assert payment.number.startswith("P")
    assert selectors.balance_for(money.supplier.pk).side == "settled"


def test_one_receipt_settles_several_invoices_and_states_follow(money: MoneyWorld) -> None:
    first, second = money.invoices
    receipt = receive(
        money.dana, money.sara.pk, "1200000", A(first.pk, Decimal("1000000")), A(second.pk, Decimal("200000"))
    )
    assert receipt.allocations.count() == 2
    paid = selectors.document_paid_amounts([first.pk, second.pk])
    assert selectors.document_payment_state(total=first.total, paid=paid[first.pk]) == "paid"
    assert selectors.document_payment_state(total=second.total, paid=paid[second.pk]) == "partly_paid"
    rows = selectors.open_documents_for(user=money.dana, identity_id=money.sara.pk, direction="in")
    assert [(r["document"].pk, r["open"]) for r in rows] == [(first.pk, 0), (second.pk, Decimal("300000"))]


@pytest.mark.parametrize(
    ("amount", "allocated", "code"),
    [("100", "200", "allocation_over_receipt"), ("2000000", "1000001", "allocation_over_open")],
)
def test_allocations_are_bounded(money: MoneyWorld, amount: str, allocated: str, code: str) -> None:
    with pytest.raises(FinanceError) as caught:
        receive(money.dana, money.sara.pk, amount, A(money.invoices[0].pk, Decimal(allocated)))
    assert caught.value.code == code
    assert not Receipt.objects.exists()


def test_an_invoice_of_someone_else_cannot_be_allocated(money: MoneyWorld) -> None:
    with pytest.raises(FinanceError) as caught:
        receive(money.dana, money.ali.pk, "100", A(money.invoices[0].pk, Decimal("100")))
    assert caught.value.code == "invoice_not_allocatable"


def test_a_second_receipt_sees_what_the_first_took(money: MoneyWorld) -> None:
    invoice = money.invoices[1]
    receive(money.dana, money.sara.pk, "400000", A(invoice.pk, Decimal("400000")))
    with pytest.raises(FinanceError):
        receive(money.dana, money.sara.pk, "200000", A(invoice.pk, Decimal("200000")))
    receive(money.dana, money.sara.pk, "100000", A(invoice.pk, Decimal("100000")))


def test_cancelling_reverses_and_frees_the_invoice(money: MoneyWorld) -> None:
    invoice = money.invoices[1]
    receipt = receive(money.dana, money.sara.pk, "500000", A(invoice.pk, Decimal("500000")))
    services.receipt_cancel(actor=money.dana, receipt=receipt, reason="typo")
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1500000")
    assert selectors.document_paid_amounts([invoice.pk]) == {}
    with pytest.raises(FinanceError):
        services.receipt_cancel(actor=money.dana, receipt=receipt)


def test_editing_keeps_the_amount_and_reallocates(money: MoneyWorld) -> None:
    first, second = money.invoices
    receipt = receive(money.dana, money.sara.pk, "300000", A(first.pk, Decimal("300000")))
    services.receipt_update(actor=money.dana, receipt=receipt, values={"reference": "X-9", "amount": Decimal(1)})
    services.receipt_allocate(actor=money.dana, receipt=receipt, allocations=[A(second.pk, Decimal("300000"))])
    receipt.refresh_from_db()
    assert receipt.reference == "X-9" and receipt.amount == Decimal("300000")
    assert list(receipt.allocations.values_list("document_id", flat=True)) == [second.pk]


def test_custom_fields_on_receipts(alice: User, money: MoneyWorld) -> None:
    from crm.core.customfields.services import custom_field_define

    custom_field_define(actor=alice, model=Receipt, key="till", labels={"en": "Till"}, kind="text")
    receipt = services.receipt_create(
        actor=money.dana, values={"identity_id": money.sara.pk, "amount": Decimal(5)}, custom={"till": "2"}
    )
    assert receipt.custom == {"till": "2"}


def test_access_own_only_unless_view_all(money: MoneyWorld, charlie: User, alice: User) -> None:
    mine = receive(money.dana, money.sara.pk, "10")
    theirs = receive(alice, money.sara.pk, "20")
    assert list(selectors.receipt_base_for_user(user=money.dana)) == [mine]
    assert set(selectors.receipt_base_for_user(user=money.erin)) == {mine, theirs}
    assert not selectors.receipt_base_for_user(user=charlie).exists()
    with pytest.raises(FinanceError):
        services.receipt_cancel(actor=money.dana, receipt=theirs)
    services.receipt_cancel(actor=money.erin, receipt=mine)


def test_recording_needs_the_right_and_a_visible_identity(money: MoneyWorld, charlie: User, bob: User) -> None:
    with pytest.raises(PermissionDeniedError):
        receive(charlie, money.sara.pk, "10")
    with pytest.raises(FinanceError) as caught:
        receive(money.dana, 10**12, "10")
    assert caught.value.code == "identity_not_found"
    with pytest.raises(FinanceError):
        receive(money.dana, money.sara.pk, "0")
