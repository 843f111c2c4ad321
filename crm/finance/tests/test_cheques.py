"""Cheques: their life with its own history, bounces re-debiting, reminders before due."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.core.notifications.models import Notification
from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_jobs_run_batch
from crm.finance import selectors, services
from crm.finance.errors import FinanceError
from crm.finance.models import Cheque
from crm.finance.tests.conftest import MoneyWorld
from crm.org.models import User

pytestmark = pytest.mark.django_db


def cheque_receipt(actor: User, money: MoneyWorld, *, days: int = 10, amount: str = "600000") -> Cheque:
    receipt = services.receipt_create(
        actor=actor,
        values={"identity_id": money.sara.pk, "amount": Decimal(amount), "method": "cheque"},
        cheque={
            "number": "123456",
            "bank": "Mellat",
            "branch": "Valiasr",
            "due_date": timezone.localdate() + dt.timedelta(days=days),
        },
        allocations=[services.AllocationInput(money.invoices[0].pk, Decimal(amount))],
    )
    return receipt.cheque


def test_a_cheque_needs_its_details(money: MoneyWorld) -> None:
    with pytest.raises(FinanceError) as caught:
        services.receipt_create(
            actor=money.dana, values={"identity_id": money.sara.pk, "amount": Decimal(5), "method": "cheque"}
        )
    assert caught.value.code == "cheque_details_missing"


def test_life_of_a_cheque_with_history(money: MoneyWorld) -> None:
    cheque = cheque_receipt(money.dana, money)
    services.cheque_set_status(actor=money.dana, cheque=cheque, status="deposited")
    services.cheque_set_status(actor=money.dana, cheque=cheque, status="cleared", note="ok")
    events = list(cheque.events.values_list("from_status", "to_status", "actor__username"))
    assert events == [("", "received", "dana"), ("received", "deposited", "dana"), ("deposited", "cleared", "dana")]
    with pytest.raises(FinanceError) as caught:
        services.cheque_set_status(actor=money.dana, cheque=cheque, status="bounced")
    assert caught.value.code == "cheque_transition" and caught.value.status == 409
    assert selectors.balance_for(money.sara.pk).balance == Decimal("900000")


def test_a_bounced_cheque_debits_again_and_unsettles_the_invoice(money: MoneyWorld) -> None:
    cheque = cheque_receipt(money.dana, money)
    invoice = money.invoices[0]
    services.cheque_set_status(actor=money.dana, cheque=cheque, status="deposited")
    services.cheque_set_status(actor=money.dana, cheque=cheque, status="bounced")
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1500000")
    assert selectors.document_paid_amounts([invoice.pk]) == {}
    assert Notification.objects.filter(kind="finance.cheque_bounced", user=money.dana).exists()
    services.cheque_set_status(actor=money.dana, cheque=cheque, status="deposited")  # presented again
    assert selectors.balance_for(money.sara.pk).balance == Decimal("900000")
    services.cheque_set_status(actor=money.dana, cheque=cheque, status="bounced")
    services.cheque_set_status(actor=money.dana, cheque=cheque, status="returned")
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1500000")
    assert selectors.balance_from_ledger(money.sara.pk) == selectors.balance_for(money.sara.pk)


def test_someone_else_cannot_move_my_cheque(money: MoneyWorld, alice: User) -> None:
    cheque = cheque_receipt(alice, money)
    with pytest.raises(FinanceError):
        services.cheque_set_status(actor=money.dana, cheque=cheque, status="deposited")
    assert selectors.cheque_get_for_user(user=money.dana, pk=cheque.pk) is None
    assert selectors.cheque_get_for_user(user=money.erin, pk=cheque.pk) == cheque


def test_a_reminder_reaches_finance_staff_once_before_the_due_date(money: MoneyWorld) -> None:
    cheque = cheque_receipt(money.dana, money, days=10)
    job = DueJob.objects.get(kind=services.CHEQUE_DUE_JOB)
    remind_on = cheque.due_date - dt.timedelta(days=services.cheque_remind_days())
    assert timezone.localtime(job.due_at).date() == remind_on
    DueJob.objects.filter(pk=job.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    due_jobs_run_batch(worker_id="t")
    notified = set(Notification.objects.filter(kind=services.CHEQUE_DUE_JOB).values_list("user__username", flat=True))
    assert notified == {"erin", "dana"}  # the finance head and the cashier who took it
    assert services.cheque_remind(cheque_id=cheque.pk) == 0  # once per cheque


def test_moving_the_due_date_moves_the_reminder_and_clearing_cancels_it(money: MoneyWorld) -> None:
    cheque = cheque_receipt(money.dana, money, days=10)
    services.cheque_update(actor=money.dana, cheque=cheque, values={"due_date": cheque.due_date + dt.timedelta(days=5)})
    jobs = dict(DueJob.objects.filter(kind=services.CHEQUE_DUE_JOB).values_list("dedupe_key", "status"))
    assert sorted(jobs.values()) == ["cancelled", "pending"]
    cheque.refresh_from_db()
    services.cheque_set_status(actor=money.dana, cheque=cheque, status="deposited")
    services.cheque_set_status(actor=money.dana, cheque=cheque, status="cleared")
    assert not DueJob.objects.filter(kind=services.CHEQUE_DUE_JOB, status="pending").exists()


def test_cheques_due_this_week(money: MoneyWorld) -> None:
    soon = cheque_receipt(money.dana, money, days=3, amount="100")
    cheque_receipt(money.dana, money, days=30, amount="200")
    assert selectors.cheques_due(user=money.dana) == [soon]
