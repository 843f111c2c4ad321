"""Two approvals racing for the last units (PostgreSQL row locks): exactly one wins, the
stock never goes negative, and each approved invoice has exactly one issue."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from crm.core.tests.support import POSTGRES_ONLY
from crm.inventory.models import StockLevel, StockMove
from crm.inventory.tests.factories import make_document, make_identity, make_product, make_warehouse, receive
from crm.sales import events
from crm.sales.models import Document

pytestmark = [*POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]


def document_approve(*, actor, document):
    """What the sales approval does around its handlers (crm.sales.documents._approve):
    lock the document, check it waits for approval, approve it, fire "approved"."""
    document = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
    if document.status != Document.Status.PENDING:
        raise RuntimeError("not pending")
    document.status, document.approved_at = Document.Status.APPROVED, timezone.now()
    document.save(update_fields=["status", "approved_at", "updated_at"])
    events.document_event("approved", document=document, actor=actor)
    return document


def _race(actions):
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = action()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("rounds", [3])
def test_two_approvals_race_for_the_last_units(alice, rounds):
    warehouse = make_warehouse("central", "Central", is_default=True)
    pen = make_product("P1", "Pen")
    customer = make_identity(alice)
    for _round in range(rounds):
        StockLevel.objects.filter(product=pen).update(quantity=0)
        receive(alice, warehouse, pen, 3)
        docs = [make_document(identity_id=customer, lines=[(pen, 2)]) for _ in range(2)]
        Document.objects.filter(pk__in=[d.pk for d in docs]).update(status=Document.Status.PENDING, approved_at=None)

        def approve(doc=None):
            with transaction.atomic():
                return document_approve(actor=alice, document=Document.objects.get(pk=doc.pk))

        outcomes = _race([lambda d=doc: approve(d) for doc in docs])
        wins = [o for o in outcomes if isinstance(o, Document)]
        losses = [o for o in outcomes if isinstance(o, Exception)]
        assert len(wins) == 1 and len(losses) == 1, outcomes
        assert "not enough stock" in str(losses[0]).lower()
        level = StockLevel.objects.get(product=pen, warehouse=warehouse)
        assert level.quantity == 1
        winner = wins[0]
        assert StockMove.objects.filter(source_document=winner, kind="issue").count() == 1
        loser = next(d for d in docs if d.pk != winner.pk)
        assert not StockMove.objects.filter(source_document=loser).exists()
        assert Document.objects.get(pk=loser.pk).status == Document.Status.PENDING


def test_same_invoice_approved_twice_at_once_issues_once(alice):
    warehouse = make_warehouse("central", "Central", is_default=True)
    pen = make_product("P1", "Pen")
    receive(alice, warehouse, pen, 5)
    doc = make_document(identity_id=make_identity(alice), lines=[(pen, 2)])
    Document.objects.filter(pk=doc.pk).update(status=Document.Status.PENDING, approved_at=None)

    def approve():
        with transaction.atomic():
            return document_approve(actor=alice, document=Document.objects.get(pk=doc.pk))

    outcomes = _race([approve, approve])
    assert sum(isinstance(o, Document) for o in outcomes) == 1, outcomes
    assert StockLevel.objects.get(product=pen).quantity == 3
    assert StockMove.objects.filter(source_document_id=doc.pk).count() == 1
