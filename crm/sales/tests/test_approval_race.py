# ruff: noqa: F811 - pytest fixtures are imported by name
"""Approvals racing on PostgreSQL: two approvers press "approve" on the same invoices at
the same moment; each invoice is approved once, its `approved` handlers run once, and the
numbers given on approval are all different. (The row lock of the approval is taken with
`FOR UPDATE OF` the document: PostgreSQL refuses to lock the nullable side of the joins.)"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from crm.core.numbering.models import DocumentNumbering, NumberSequence
from crm.core.tests.support import POSTGRES_ONLY
from crm.sales import documents, events
from crm.sales.errors import SalesError
from crm.sales.models import Document
from crm.sales.tests.document_factories import make_document, quiet_events, world  # noqa: F401

pytestmark = [*POSTGRES_ONLY, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quiet_events")]
INVOICES = 12


def test_two_approvers_racing_approve_each_invoice_once(world):
    sequence = NumberSequence.objects.create(key="race-invoices", name="Race", prefix="R-", start=1)
    DocumentNumbering.objects.update_or_create(
        doc_type="sales.sale_invoice", defaults={"label": "Invoice", "sequence": sequence, "assign_on": "approve"}
    )
    heard: list[int] = []
    events.on_document("approved", lambda *, document, actor: heard.append(document.pk))
    ids = []
    for _ in range(INVOICES):
        doc = make_document(world, kind="invoice")
        documents.document_submit(actor=world.bob, document=doc)
        ids.append(doc.pk)
    go = threading.Barrier(2)
    outcomes: list[tuple[str, int]] = []
    errors: list[BaseException] = []

    def approve(order: list[int], approver) -> None:
        try:
            go.wait()
            for pk in order:
                try:
                    documents.document_approve(actor=approver, document=Document(pk=pk))
                    outcomes.append(("approved", pk))
                except SalesError:
                    outcomes.append(("lost", pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(ids, world.dana)),
        threading.Thread(target=approve, args=(list(reversed(ids)), world.alice)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    approved = [pk for what, pk in outcomes if what == "approved"]
    assert sorted(approved) == sorted(ids)  # each once, by one of the two
    assert Counter(heard) == Counter(ids)  # the handlers ran once per invoice
    numbers = list(Document.objects.filter(pk__in=ids).values_list("number", flat=True))
    assert len(set(numbers)) == INVOICES and all(n.startswith("R-") for n in numbers)
