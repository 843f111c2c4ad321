# ruff: noqa: F811 - pytest fixtures are imported by name
"""Document services: pricing from the customer's price list, discounts, tax, formulas,
totals by hand with permission, issuing one from another, returns, access rules."""

import pytest

from crm.core.audit.models import AuditEntry
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.services import custom_field_define
from crm.core.errors import PermissionDeniedError
from crm.core.numbering.models import DocumentNumbering, NumberSequence
from crm.core.timeline.models import TimelineEntry
from crm.sales import document_selectors, documents
from crm.sales.document_selectors import DocumentFilters, document_list_for_user
from crm.sales.documents import LineInput, document_totals, line_amounts
from crm.sales.errors import SalesError, SalesErrorCode
from crm.sales.models import Document, DocumentLine, DocumentSettings
from crm.sales.tests.document_factories import D, lines, make_document, quiet_events, world  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_events")]


# --- the calculation kernel -------------------------------------------------------------------


def test_line_amounts_percent_discount_and_tax():
    a = line_amounts(
        position=1,
        quantity=D(3),
        unit_price=D("10.00"),
        discount_percent=D(10),
        discount=None,
        tax_percent=D(9),
        tax_exempt=False,
    )
    assert (a.gross, a.discount, a.total, a.tax) == (D("30.00"), D("3.00"), D("27.00"), D("2.43"))


def test_line_amounts_refuse_bad_values():
    base = {"position": 2, "unit_price": D(10), "discount_percent": D(0), "discount": None, "tax_percent": D(9)}
    with pytest.raises(SalesError) as exc:
        line_amounts(quantity=D(0), tax_exempt=False, **base)
    assert exc.value.code == SalesErrorCode.BAD_QUANTITY and "Line 2" in exc.value.message
    with pytest.raises(SalesError):
        line_amounts(quantity=D(1), tax_exempt=False, **{**base, "unit_price": D(-1)})
    with pytest.raises(SalesError):
        line_amounts(quantity=D(1), tax_exempt=False, **{**base, "discount_percent": D(101)})
    with pytest.raises(SalesError):
        line_amounts(quantity=D(1), tax_exempt=False, **{**base, "discount": D(11)})


def test_document_discount_spreads_over_taxable_lines():
    taxed = line_amounts(
        position=1, quantity=D(1), unit_price=D(100), discount_percent=D(0), discount=None, tax_percent=D(10),
        tax_exempt=False,
    )  # fmt: skip
    exempt = line_amounts(
        position=2, quantity=D(1), unit_price=D(100), discount_percent=D(0), discount=None, tax_percent=D(10),
        tax_exempt=True,
    )  # fmt: skip
    t = document_totals(lines=[(taxed, False), (exempt, True)], discount=D(20), tax_percent=D(10))
    # the taxed line carries half of the 20 discount: (100 - 10) × 10 %
    assert (t.subtotal, t.discount, t.tax, t.total) == (D(200), D("20.00"), D("9.00"), D("189.00"))
    with pytest.raises(SalesError):
        document_totals(lines=[(taxed, False)], discount=D(500), tax_percent=D(10))


# --- create -----------------------------------------------------------------------------------


def test_create_prices_lines_from_the_customers_class_price_list(world):
    doc = make_document(world)
    assert doc.price_list == world.class_a
    pen, book = list(doc.lines.order_by("position"))
    assert pen.unit_price == D("80.00")  # an item of the list
    assert book.unit_price == D("225.00")  # the group rule: 250 − 10 %
    assert doc.subtotal == D("385.00")
    assert doc.tax_percent == D(10)
    assert doc.tax == D("38.50")
    assert doc.total == D("423.50")
    assert doc.status == Document.Status.DRAFT and doc.version == 1
    assert doc.number  # numbered on creation by default
    assert AuditEntry.objects.filter(action="sales.document.created", target_id=str(doc.pk)).exists()
    assert TimelineEntry.objects.filter(identity_id=world.customer.pk, item_type="sales.document").exists()


def test_a_customer_of_another_class_gets_sale_prices_and_tax_exempt_products_no_tax(world):
    doc = documents.document_create(
        actor=world.bob,
        kind="invoice",
        values={"identity_id": world.customer_b.pk},
        lines=lines((world.book, 2), (world.service, 1)),
    )
    assert doc.price_list is None
    assert doc.subtotal == D("1500.00")
    assert doc.tax == D("50.00")  # only the book is taxed
    assert doc.total == D("1550.00")


def test_a_typed_price_and_discounts(world):
    doc = documents.document_create(
        actor=world.bob,
        kind="quote",
        values={"identity_id": world.customer.pk},
        lines=[
            LineInput(product_id=world.pen.pk, quantity=D(10), unit_price=D("90"), discount_percent=D(5)),
            LineInput(product_id=world.book.pk, quantity=D(1), discount=D("25")),
        ],
    )
    pen, book = doc.lines.order_by("position")
    assert (pen.unit_price, pen.discount, pen.total) == (D("90.00"), D("45.00"), D("855.00"))
    assert (book.discount, book.total) == (D("25.00"), D("200.00"))
    assert doc.lines_discount == D("70.00")


def test_no_lines_unknown_product_and_hidden_customer_are_refused(world):
    with pytest.raises(SalesError) as exc:
        documents.document_create(actor=world.bob, kind="quote", values={"identity_id": world.customer.pk}, lines=[])
    assert exc.value.code == SalesErrorCode.NO_LINES
    with pytest.raises(SalesError) as exc:
        documents.document_create(
            actor=world.bob,
            kind="quote",
            values={"identity_id": world.customer.pk},
            lines=[LineInput(product_id=999999, quantity=D(1))],
        )
    assert exc.value.code == SalesErrorCode.PRODUCT_NOT_FOUND
    with pytest.raises(SalesError) as exc:
        documents.document_create(
            actor=world.bob, kind="quote", values={"identity_id": 999999}, lines=lines((world.pen, 1))
        )
    assert exc.value.code == SalesErrorCode.IDENTITY_NOT_FOUND


def test_charlie_may_not_create(world):
    with pytest.raises(PermissionDeniedError):
        make_document(world, actor=world.charlie)


def test_document_discount_and_tax_by_hand_need_the_permission(world):
    with pytest.raises(SalesError) as exc:
        make_document(world, discount=D(10))
    assert exc.value.code == SalesErrorCode.TOTALS_OVERRIDE_DENIED
    with pytest.raises(SalesError):
        make_document(world, tax=D(1))
    with pytest.raises(SalesError):
        make_document(world, tax_percent=D(0))
    doc = make_document(world, actor=world.dana, discount=D("35"), tax=D("12.34"))
    assert doc.discount == D("35.00") and doc.tax == D("12.34") and doc.tax_overridden
    assert doc.total == D("385.00") - D("35.00") + D("12.34")
    # bob may edit lines of a document with an override, without touching the override
    doc.workflow_users.add(world.bob)
    documents.document_update(actor=world.bob, document=doc, values={"notes": "x"})
    doc.refresh_from_db()
    assert doc.tax == D("12.34") and doc.discount == D("35.00")
    with pytest.raises(SalesError):
        documents.document_update(actor=world.bob, document=doc, values={"discount": D(1)})


def test_choosing_another_price_list_needs_the_permission(world):
    from crm.sales.models import PriceList

    cash = PriceList.objects.create(name="Cash", code="cash", priority=0)
    with pytest.raises(SalesError) as exc:
        make_document(world, price_list_id=cash.pk)
    assert exc.value.code == SalesErrorCode.PRICE_LIST_NOT_ALLOWED
    doc = make_document(world, actor=world.dana, price_list_id=cash.pk)
    assert doc.price_list == cash
    assert doc.lines.get(product=world.pen).unit_price == D("100.00")
    # the chosen list passed back unchanged is fine for anyone
    assert make_document(world, price_list_id=world.class_a.pk).price_list == world.class_a


def test_formulas_compute_quantity_and_line_total(world):
    for key in ("length", "width"):
        custom_field_define(
            actor=world.alice,
            model=DocumentLine,
            key=key,
            labels={"en": key},
            kind=CustomFieldDefinition.Kind.NUMBER,
        )
    settings = documents.document_settings_ensure(kind="quote", direction="sale")
    documents.document_settings_save(
        actor=world.alice, settings=settings, values={"quantity_formula": "length × width"}
    )
    doc = documents.document_create(
        actor=world.bob,
        kind="quote",
        values={"identity_id": world.customer_b.pk},
        lines=[LineInput(product_id=world.pen.pk, custom={"length": "2.5", "width": "4"})],
    )
    line = doc.lines.get()
    assert line.quantity == D("10.000") and line.total == D("1000.00")
    documents.document_settings_save(
        actor=world.alice,
        settings=settings,
        values={"quantity_formula": "", "line_total_formula": "quantity * unit_price / (width - 4)"},
    )
    with pytest.raises(SalesError) as exc:
        documents.document_create(
            actor=world.bob,
            kind="quote",
            values={"identity_id": world.customer_b.pk},
            lines=[LineInput(product_id=world.pen.pk, quantity=D(1), custom={"length": "1", "width": "4"})],
        )
    assert exc.value.code == SalesErrorCode.FORMULA_DIVISION_BY_ZERO


def test_settings_refuse_bad_formulas_and_people_without_the_right(world):
    settings = documents.document_settings_ensure(kind="invoice", direction="sale")
    with pytest.raises(SalesError) as exc:
        documents.document_settings_save(actor=world.alice, settings=settings, values={"quantity_formula": "height*2"})
    assert exc.value.code == SalesErrorCode.FORMULA_UNKNOWN_NAME
    with pytest.raises(SalesError):
        documents.document_settings_save(
            actor=world.alice, settings=settings, values={"line_total_formula": "__import__('os')"}
        )
    with pytest.raises(SalesError):  # the quantity formula may not use the quantity
        documents.document_settings_save(actor=world.alice, settings=settings, values={"quantity_formula": "quantity"})
    with pytest.raises(PermissionDeniedError):
        documents.document_settings_save(actor=world.bob, settings=settings, values={"tax_percent": D(0)})
    settings.refresh_from_db()
    assert settings.quantity_formula == "" and settings.tax_percent == D(10)


# --- numbering (PL-4) -----------------------------------------------------------------------------


def test_numbering_on_approval_and_shared_sequences(world):
    shared = NumberSequence.objects.create(key="sales-shared", name="Shared", prefix="S-", start=500)
    for doc_type in ("sales.sale_quote", "sales.sale_invoice"):
        DocumentNumbering.objects.update_or_create(
            doc_type=doc_type, defaults={"label": doc_type, "sequence": shared, "assign_on": "approve"}
        )
    quote = make_document(world)
    invoice = make_document(world, kind="invoice")
    assert quote.number == "" and invoice.number == ""
    documents.document_submit(actor=world.bob, document=invoice)
    documents.document_approve(actor=world.dana, document=invoice)
    documents.document_submit(actor=world.bob, document=quote)
    documents.document_approve(actor=world.dana, document=quote)
    invoice.refresh_from_db()
    quote.refresh_from_db()
    assert (invoice.number, quote.number) == ("S-500", "S-501")


# --- update -----------------------------------------------------------------------------------------


def test_update_keeps_line_ids_and_bumps_the_version(world):
    doc = make_document(world)
    pen = doc.lines.get(product=world.pen)
    updated = documents.document_update(
        actor=world.bob,
        document=doc,
        values={},
        lines=[LineInput(id=pen.pk, product_id=world.pen.pk, quantity=D(5))],
        version=1,
    )
    assert updated.version == 2
    assert list(updated.lines.values_list("pk", "quantity")) == [(pen.pk, D("5.000"))]
    assert updated.total == D("440.00")
    with pytest.raises(SalesError) as exc:  # an edit of the version before
        documents.document_update(actor=world.bob, document=doc, values={"notes": "late"}, version=1)
    assert exc.value.code == SalesErrorCode.STALE_VERSION


def test_a_line_of_another_document_cannot_be_taken_over(world):
    first = make_document(world)
    other = make_document(world)
    foreign = first.lines.first()
    with pytest.raises(SalesError):
        documents.document_update(
            actor=world.bob,
            document=other,
            values={},
            lines=[LineInput(id=foreign.pk, product_id=world.pen.pk, quantity=D(1))],
        )
    assert DocumentLine.objects.get(pk=foreign.pk).document_id == first.pk


def test_edit_rules_creator_workflow_and_window(world):
    doc = make_document(world, actor=world.dana)  # dana's document
    with pytest.raises(SalesError) as exc:  # bob sees nothing of it and may not edit
        documents.document_update(actor=world.bob, document=doc, values={"notes": "mine now"})
    assert exc.value.code == SalesErrorCode.EDIT_DENIED
    doc.workflow_users.add(world.bob)
    documents.document_update(actor=world.bob, document=doc, values={"notes": "as a workflow user"})
    doc.workflow_users.clear()
    documents.document_update(actor=world.dana, document=doc, values={"assignee_id": world.bob.pk})
    documents.document_update(actor=world.bob, document=doc, values={"notes": "as the salesperson"})
    with pytest.raises(SalesError):
        documents.document_update(actor=world.charlie, document=doc, values={"notes": "x"})
    # the edit window of the type
    DocumentSettings.objects.filter(kind="quote", direction="sale").update(edit_window_hours=2)
    Document.objects.filter(pk=doc.pk).update(created_at=doc.created_at - __import__("datetime").timedelta(hours=3))
    doc.refresh_from_db()
    with pytest.raises(SalesError) as exc:
        documents.document_update(actor=world.bob, document=doc, values={"notes": "too late"})
    assert exc.value.code == SalesErrorCode.EDIT_WINDOW_CLOSED
    documents.document_update(actor=world.alice, document=doc, values={"notes": "superuser"})  # bypasses


def test_delete_only_drafts_and_only_with_the_right(world):
    doc = make_document(world)
    with pytest.raises(SalesError):
        documents.document_delete(actor=world.charlie, document=doc)
    documents.document_delete(actor=world.bob, document=doc)
    assert Document.objects.filter(pk=doc.pk).count() == 0
    assert Document.all_objects.get(pk=doc.pk).deleted_at is not None
    approved = make_document(world, kind="invoice")
    documents.document_submit(actor=world.bob, document=approved)
    documents.document_approve(actor=world.dana, document=approved)
    with pytest.raises(SalesError) as exc:
        documents.document_delete(actor=world.dana, document=approved)
    assert exc.value.code == SalesErrorCode.WRONG_STATUS


# --- visibility -----------------------------------------------------------------------------------


def test_visibility_own_all_and_creator_only(world):
    bobs = make_document(world)
    danas = make_document(world, actor=world.dana)
    seen = set(document_selectors.document_base_for_user(user=world.bob).values_list("pk", flat=True))
    assert seen == {bobs.pk}
    assert document_selectors.document_get_for_user(user=world.bob, pk=danas.pk) is None
    assert document_selectors.document_get_for_user(user=world.charlie, pk=bobs.pk) is None
    assert {bobs.pk, danas.pk} <= set(
        document_selectors.document_base_for_user(user=world.dana).values_list("pk", flat=True)
    )
    DocumentSettings.objects.filter(kind="quote", direction="sale").update(creator_only_view=True)
    assert document_selectors.document_get_for_user(user=world.dana, pk=bobs.pk) is None  # a draft of bob's
    documents.document_submit(actor=world.bob, document=bobs)
    assert document_selectors.document_get_for_user(user=world.dana, pk=bobs.pk) is not None  # to approve it
    assert document_selectors.document_get_for_user(user=world.alice, pk=bobs.pk) is not None


def test_list_filters_and_status_report(world):
    quote = make_document(world)
    invoice = make_document(world, kind="invoice", lines=[(world.book, 4)])
    other = documents.document_create(
        actor=world.bob, kind="quote", values={"identity_id": world.customer_b.pk}, lines=lines((world.service, 1))
    )
    user = world.bob

    def ids(**kw):
        return set(document_list_for_user(user=user, filters=DocumentFilters(**kw)).values_list("pk", flat=True))

    assert ids(kind="invoice") == {invoice.pk}
    assert ids(identity_id=world.customer_b.pk) == {other.pk}
    assert ids(product_id=world.service.pk) == {other.pk}
    assert ids(q=quote.number) == {quote.pk}
    assert ids(status="approved") == set()
    report = document_selectors.document_status_report(user=user)
    quotes = next(g for g in report if g["kind"] == "quote")
    assert quotes["count"] == 2 and quotes["total"] == quote.total + other.total
    assert document_selectors.document_status_report(user=world.charlie) == []


# --- issuing ---------------------------------------------------------------------------------------


def test_quote_to_invoice_to_return_keeps_the_chain(world):
    quote = make_document(world)
    invoice = documents.document_issue_from(actor=world.bob, source=quote, kind="invoice")
    assert invoice.kind == "invoice" and invoice.source == quote and invoice.price_list == world.class_a
    assert [line.source_line_id for line in invoice.lines.all()] == [line.pk for line in quote.lines.all()]
    assert invoice.total == quote.total
    with pytest.raises(SalesError):  # returns only from approved invoices
        documents.document_issue_from(actor=world.bob, source=invoice, kind="return")
    documents.document_submit(actor=world.bob, document=invoice)
    documents.document_approve(actor=world.dana, document=invoice)
    invoice.refresh_from_db()
    pen_line = invoice.lines.get(product=world.pen)
    first = documents.document_issue_from(
        actor=world.bob, source=invoice, kind="return", quantities={pen_line.pk: D(1)}
    )
    assert list(first.lines.values_list("product_id", "quantity")) == [(world.pen.pk, D("1.000"))]
    second = documents.document_issue_from(actor=world.bob, source=invoice, kind="return")
    assert {(line.product_id, line.quantity) for line in second.lines.all()} == {
        (world.pen.pk, D("1.000")),
        (world.book.pk, D("1.000")),
    }
    with pytest.raises(SalesError) as exc:  # nothing is left to return
        documents.document_issue_from(actor=world.bob, source=invoice, kind="return")
    assert exc.value.code == SalesErrorCode.RETURN_TOO_MUCH
    with pytest.raises(SalesError) as exc:  # more than invoiced
        documents.document_update(
            actor=world.bob,
            document=first,
            values={},
            lines=[
                LineInput(id=first.lines.get().pk, product_id=world.pen.pk, quantity=D(2), source_line_id=pen_line.pk)
            ],
        )
    assert exc.value.code == SalesErrorCode.RETURN_TOO_MUCH
    with pytest.raises(SalesError):  # an invoice from an invoice
        documents.document_issue_from(actor=world.bob, source=invoice, kind="invoice")
