# ruff: noqa: F811 - pytest fixtures are imported by name
"""Approval (SL-4): submit → approve/reject by an approver (not the creator), the creator
notified, re-approval after an edit, handlers in the same transaction, customer numbers."""

from decimal import Decimal

import pytest

from crm.core.notifications.models import Notification
from crm.identities.models import Identity
from crm.sales import documents, events
from crm.sales.document_selectors import returnable_quantities
from crm.sales.errors import SalesError, SalesErrorCode
from crm.sales.models import Document, DocumentEvent, DocumentLine, DocumentSettings
from crm.sales.tests.document_factories import lines, make_document, quiet_events, world  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_events")]


@pytest.fixture
def heard(quiet_events):
    """Records the events handlers hear (stock and money would react to them)."""
    calls = []
    for name in ("approved", "unapproved", "cancelled"):
        events.on_document(name, lambda *, document, actor, name=name: calls.append((name, document.pk)))
    return calls


def _approved(world, **kw):
    doc = make_document(world, kind="invoice", **kw)
    documents.document_submit(actor=world.bob, document=doc, version=doc.version)
    return documents.document_approve(actor=world.dana, document=doc, version=doc.version)


def test_submit_approve_records_the_trail_notifies_and_fires_approved(world, heard):
    doc = make_document(world, kind="invoice")
    submitted = documents.document_submit(actor=world.bob, document=doc)
    assert submitted.status == Document.Status.PENDING and submitted.submitted_at
    assert Notification.objects.filter(user=world.dana, kind="sales.submitted").exists()  # the approver hears
    approved = documents.document_approve(actor=world.dana, document=doc, version=1, note="ok")
    assert approved.status == Document.Status.APPROVED and approved.approved_by == world.dana
    assert list(approved.events.values_list("action", "version", "actor_id")) == [
        (DocumentEvent.Action.SUBMITTED, 1, world.bob.pk),
        (DocumentEvent.Action.APPROVED, 1, world.dana.pk),
    ]
    note = Notification.objects.get(user=world.bob, kind="sales.approved")
    assert str(doc.number) in note.title
    assert heard == [("approved", doc.pk)]


def test_reject_notifies_the_creator_and_allows_a_new_submission(world, heard):
    doc = make_document(world)
    documents.document_submit(actor=world.bob, document=doc)
    rejected = documents.document_reject(actor=world.dana, document=doc, note="too cheap")
    assert rejected.status == Document.Status.REJECTED
    note = Notification.objects.get(user=world.bob, kind="sales.rejected")
    assert "too cheap" in note.body
    assert documents.document_submit(actor=world.bob, document=doc).status == Document.Status.PENDING
    assert heard == []


def test_who_may_approve(world):
    doc = make_document(world)
    documents.document_submit(actor=world.bob, document=doc)
    for user, code in ((world.bob, SalesErrorCode.APPROVE_DENIED), (world.charlie, SalesErrorCode.APPROVE_DENIED)):
        with pytest.raises(SalesError) as exc:
            documents.document_approve(actor=user, document=doc)
        assert exc.value.code == code
        with pytest.raises(SalesError):
            documents.document_reject(actor=user, document=doc)
    own = make_document(world, actor=world.dana)
    documents.document_submit(actor=world.dana, document=own)
    with pytest.raises(SalesError) as exc:  # not one's own document
        documents.document_approve(actor=world.dana, document=own)
    assert exc.value.code == SalesErrorCode.APPROVE_OWN
    mine = make_document(world, actor=world.alice)  # a superuser may (a one-person shop)
    documents.document_submit(actor=world.alice, document=mine)
    assert documents.document_approve(actor=world.alice, document=mine).status == Document.Status.APPROVED


def test_only_pending_documents_are_approved_and_the_version_must_match(world):
    doc = make_document(world)
    with pytest.raises(SalesError) as exc:
        documents.document_approve(actor=world.dana, document=doc)
    assert exc.value.code == SalesErrorCode.WRONG_STATUS
    documents.document_submit(actor=world.bob, document=doc)
    with pytest.raises(SalesError) as exc:
        documents.document_approve(actor=world.dana, document=doc, version=7)
    assert exc.value.code == SalesErrorCode.STALE_VERSION


def test_an_edit_after_approval_needs_a_new_approval_and_reverses(world, heard):
    doc = _approved(world)
    heard.clear()
    edited = documents.document_update(
        actor=world.bob, document=doc, values={}, lines=lines((world.pen, 3)), version=doc.version
    )
    assert edited.status == Document.Status.DRAFT and edited.version == 2
    assert edited.approved_by is None and edited.approved_at is None
    assert heard == [("unapproved", doc.pk)]
    assert edited.events.last().action == DocumentEvent.Action.REOPENED
    documents.document_submit(actor=world.bob, document=edited)
    again = documents.document_approve(actor=world.dana, document=edited, version=2)
    assert again.events.last().version == 2
    assert again.number == doc.number  # the number stays
    assert heard == [("unapproved", doc.pk), ("approved", doc.pk)]


def test_an_edit_while_pending_goes_back_to_draft_without_reversal(world, heard):
    doc = make_document(world)
    documents.document_submit(actor=world.bob, document=doc)
    edited = documents.document_update(actor=world.bob, document=doc, values={"notes": "changed"})
    assert edited.status == Document.Status.DRAFT
    assert heard == []


def test_a_refusing_handler_rolls_the_whole_approval_back(world):
    def refuse(*, document, actor):
        raise SalesError(SalesErrorCode.NOT_ENOUGH_STOCK, detail="Pen: 0 left")

    events.on_document("approved", refuse)
    doc = make_document(world, kind="invoice")
    documents.document_submit(actor=world.bob, document=doc)
    with pytest.raises(SalesError) as exc:
        documents.document_approve(actor=world.dana, document=doc)
    assert "Pen: 0 left" in exc.value.message
    doc.refresh_from_db()
    assert doc.status == Document.Status.PENDING and doc.approved_by is None
    assert not doc.events.filter(action=DocumentEvent.Action.APPROVED).exists()
    assert Identity.objects.get(pk=world.customer.pk).customer_number is None


def test_the_first_approved_sales_invoice_gives_the_customer_number_once(world):
    assert world.customer.customer_number is None
    quote = make_document(world)
    documents.document_submit(actor=world.bob, document=quote)
    documents.document_approve(actor=world.dana, document=quote)
    assert Identity.objects.get(pk=world.customer.pk).customer_number is None  # not for a quote
    _approved(world)
    number = Identity.objects.get(pk=world.customer.pk).customer_number
    assert number
    _approved(world)
    assert Identity.objects.get(pk=world.customer.pk).customer_number == number
    purchase = documents.document_create(
        actor=world.bob,
        kind="invoice",
        direction="purchase",
        values={"identity_id": world.customer_b.pk},
        lines=lines((world.pen, 1)),
    )
    documents.document_submit(actor=world.bob, document=purchase)
    documents.document_approve(actor=world.dana, document=purchase)
    assert Identity.objects.get(pk=world.customer_b.pk).customer_number is None  # suppliers are not customers


def test_types_without_approval_are_approved_on_submit(world, heard):
    documents.document_settings_ensure(kind="quote", direction="sale")
    DocumentSettings.objects.filter(kind="quote", direction="sale").update(approval_required=False)
    doc = make_document(world)
    done = documents.document_submit(actor=world.bob, document=doc)
    assert done.status == Document.Status.APPROVED and done.approved_by == world.bob
    assert heard == [("approved", doc.pk)]


def test_cancel(world, heard):
    draft = make_document(world)
    assert documents.document_cancel(actor=world.bob, document=draft).status == Document.Status.CANCELLED
    with pytest.raises(SalesError):  # a cancelled document is not changed any more
        documents.document_update(actor=world.bob, document=draft, values={"notes": "x"})
    doc = _approved(world)
    heard.clear()
    with pytest.raises(SalesError) as exc:  # an approved one needs the approval right
        documents.document_cancel(actor=world.bob, document=doc)
    assert exc.value.code == SalesErrorCode.APPROVE_DENIED
    with pytest.raises(SalesError):
        documents.document_cancel(actor=world.charlie, document=doc)
    documents.document_cancel(actor=world.dana, document=doc, note="duplicate")
    assert heard == [("cancelled", doc.pk)]


def test_returns_are_checked_again_at_approval(world):
    invoice = _approved(world)
    first = documents.document_issue_from(actor=world.bob, source=invoice, kind="return")
    # a second return of the same goods made before the first was approved (quantities race)

    second = Document.objects.create(
        kind="return",
        identity_id=invoice.identity_id,
        issued_on=invoice.issued_on,
        source=invoice,
        created_by=world.bob,
        status=Document.Status.PENDING,
    )
    for line in invoice.lines.all():
        DocumentLine.objects.create(
            document=second,
            product=line.product,
            quantity=line.quantity,
            unit_price=line.unit_price,
            source_line=line,
        )
    documents.document_submit(actor=world.bob, document=first)
    documents.document_approve(actor=world.dana, document=first)
    with pytest.raises(SalesError) as exc:
        documents.document_approve(actor=world.dana, document=second)
    assert exc.value.code == SalesErrorCode.RETURN_TOO_MUCH
    assert sum(returnable_quantities(invoice=invoice, approved_only=True).values(), Decimal(0)) == 0
