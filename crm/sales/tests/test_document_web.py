# ruff: noqa: F811 - pytest fixtures are imported by name
"""Document pages: list, report, form with lines and live totals, detail, actions,
settings; every rule refused to those without it (404 for documents they may not see)."""

import pytest
from django.urls import reverse

from crm.core.customfields.models import CustomFieldDefinition
from crm.sales import documents
from crm.sales.models import Document, DocumentSettings
from crm.sales.tests.document_factories import D, make_document, quiet_events, world  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_events")]


def _client(client, user):
    client.force_login(user)
    return client


def _form(world, **extra):
    data = {
        "identity": world.customer.pk,
        "issued_on": "2026-04-20",
        "line_keys": ["a1", "b2", "c3"],
        "line-a1-product": world.pen.pk,
        "line-a1-quantity": "۲",  # Persian digits
        "line-b2-product": world.book.pk,
        "line-b2-quantity": "1",
        "line-b2-discount_percent": "10",
        "line-c3-product": "",  # an empty row is skipped
    }
    data.update(extra)
    return data


def test_list_report_and_export(client, world, django_assert_max_num_queries):
    make_document(world)
    make_document(world, kind="invoice")
    make_document(world, actor=world.dana)
    c = _client(client, world.bob)
    with django_assert_max_num_queries(25):
        response = c.get(reverse("sales:document_list"))
    assert response.status_code == 200
    assert response.content.count(b'href="/sales/documents/') >= 2
    assert b"Parsian Co" in response.content
    assert len(response.context["rows"]) == 2  # not dana's
    response = c.get(reverse("sales:document_list"), {"kind": "invoice", "date_from": "1405/01/01"})
    assert len(response.context["rows"]) == 1
    assert c.get(reverse("sales:document_report")).status_code == 200
    export = c.get(reverse("sales:document_list"), {"export": "csv"})
    assert export.status_code == 200 and b"Parsian Co" in b"".join(
        export.streaming_content if export.streaming else [export.content]
    )


def test_charlie_is_refused_everywhere(client, world):
    doc = make_document(world)
    c = _client(client, world.charlie)
    assert c.get(reverse("sales:document_list")).status_code == 403
    assert c.get(reverse("sales:document_detail", args=[doc.pk])).status_code in (403, 404)
    assert c.get(reverse("sales:document_edit", args=[doc.pk])).status_code == 404
    assert c.get(reverse("sales:quote_create")).status_code == 403
    assert c.post(reverse("sales:document_create") + "?kind=quote", _form(world)).status_code == 403
    assert c.post(reverse("sales:document_action", args=[doc.pk, "submit"])).status_code == 404
    assert c.get(reverse("sales:settings_list")).status_code == 403
    assert Document.objects.count() == 1


def test_bob_cannot_see_or_touch_danas_document(client, world):
    doc = make_document(world, actor=world.dana)
    c = _client(client, world.bob)
    assert c.get(reverse("sales:document_detail", args=[doc.pk])).status_code == 404
    assert c.get(reverse("sales:document_edit", args=[doc.pk])).status_code == 404
    assert c.post(reverse("sales:document_action", args=[doc.pk, "cancel"])).status_code == 404
    assert c.get(reverse("sales:settings_edit", args=[1])).status_code == 403
    doc.refresh_from_db()
    assert doc.status == Document.Status.DRAFT


def test_create_through_the_form(client, world):
    c = _client(client, world.bob)
    page = c.get(reverse("sales:quote_create"), {"identity": world.customer.pk})
    assert page.status_code == 200 and b"Parsian Co" in page.content
    assert b"Class A" in page.content  # the customer's price list, shown by the live totals
    response = c.post(reverse("sales:document_create") + "?kind=quote&direction=sale", _form(world))
    doc = Document.objects.get()
    assert response.status_code == 302 and response.url == reverse("sales:document_detail", args=[doc.pk])
    assert doc.created_by == world.bob and doc.price_list == world.class_a
    assert [(line.quantity, line.unit_price) for line in doc.lines.all()] == [(D(2), D(80)), (D(1), D(225))]
    assert doc.total == (D(160) + D("202.50")) * D("1.1")


def test_form_errors_are_shown_and_nothing_is_saved(client, world):
    c = _client(client, world.bob)
    response = c.post(reverse("sales:quote_create"), _form(world, **{"line-a1-quantity": "0"}))
    assert response.status_code == 400 and b"Line 1" in response.content
    response = c.post(reverse("sales:quote_create"), _form(world, line_keys=[]))
    assert b"Add at least one line" in response.content
    assert Document.objects.count() == 0
    # without the right the discount field is disabled: a posted value is ignored
    response = c.post(reverse("sales:quote_create"), _form(world, discount="10"))
    assert response.status_code == 302 and Document.objects.get().discount == 0


def test_edit_keeps_lines_and_returns_approved_documents_to_draft(client, world):
    doc = make_document(world, kind="invoice")
    documents.document_submit(actor=world.bob, document=doc)
    documents.document_approve(actor=world.dana, document=doc)
    c = _client(client, world.bob)
    page = c.get(reverse("sales:document_edit", args=[doc.pk]))
    assert page.status_code == 200 and b"approved again" in page.content
    pen = doc.lines.get(product=world.pen)
    data = _form(world, line_keys=["x"], version="1", **{"line-x-id": pen.pk, "line-x-product": world.pen.pk})
    data["line-x-quantity"] = "4"
    response = c.post(reverse("sales:document_edit", args=[doc.pk]), data)
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == Document.Status.DRAFT and doc.version == 2
    assert list(doc.lines.values_list("pk", "quantity")) == [(pen.pk, D(4))]


def test_htmx_parts(client, world):
    c = _client(client, world.bob)
    assert b"line_keys" in c.get(reverse("sales:document_line_row")).content
    options = c.get(reverse("sales:document_product_options"), {"key": "k1", "line-k1-product_q": "Pen"})
    assert b"P-1" in options.content and b'name="line-k1-product"' in options.content
    people = c.get(reverse("sales:document_identity_options"), {"identity_q": "Parsian"})
    assert b"Parsian Co" in people.content
    preview = c.post(
        reverse("sales:document_preview"),
        {"kind": "quote", "direction": "sale", **_form(world)},
    )
    assert preview.status_code == 200
    assert b"Class A" in preview.content and b"398.75" in preview.content  # (160 + 202.50) × 1.1
    assert b'id="line-a1-calc"' in preview.content
    bad = c.post(
        reverse("sales:document_preview"),
        {"kind": "quote", "direction": "sale", **_form(world, **{"line-a1-quantity": "-1"})},
    )
    assert b"Line 1" in bad.content


def test_detail_and_the_approval_actions(client, world):
    doc = make_document(world, kind="invoice")
    bob = _client(client, world.bob)
    page = bob.get(reverse("sales:document_detail", args=[doc.pk]))
    assert page.status_code == 200 and b'data-testid="submit"' in page.content
    assert b'data-testid="approve"' not in page.content
    bob.post(reverse("sales:document_action", args=[doc.pk, "submit"]), {"version": 1})
    doc.refresh_from_db()
    assert doc.status == Document.Status.PENDING
    response = bob.post(reverse("sales:document_action", args=[doc.pk, "approve"]))  # not his right
    doc.refresh_from_db()
    assert response.status_code == 302 and doc.status == Document.Status.PENDING
    dana = _client(client, world.dana)
    page = dana.get(reverse("sales:document_detail", args=[doc.pk]))
    assert b'data-testid="approve"' in page.content
    dana.post(reverse("sales:document_action", args=[doc.pk, "approve"]), {"version": 1, "note": "ok"})
    doc.refresh_from_db()
    assert doc.status == Document.Status.APPROVED
    response = dana.post(reverse("sales:document_action", args=[doc.pk, "issue_return"]))
    ret = Document.objects.get(kind="return")
    assert response.url == reverse("sales:document_edit", args=[ret.pk]) and ret.source == doc
    assert dana.post(reverse("sales:document_action", args=[doc.pk, "nonsense"])).status_code == 404
    assert dana.get(reverse("sales:document_action", args=[doc.pk, "approve"])).status_code == 405


def test_settings_page_validates_formulas(client, world):
    documents.document_settings_ensure(kind="quote", direction="sale")
    settings = DocumentSettings.objects.get(kind="quote", direction="sale")
    c = _client(client, world.alice)
    assert c.get(reverse("sales:settings_list")).status_code == 200
    url = reverse("sales:settings_edit", args=[settings.pk])
    data = {"tax_percent": "9", "approval_required": "on", "edit_window_hours": "24", "quantity_formula": "length*2"}
    response = c.post(url, data)
    assert response.status_code == 400 and b"length" in response.content
    CustomFieldDefinition.objects.create(
        content_type_id=__import__("django.contrib.contenttypes.models", fromlist=["ContentType"])
        .ContentType.objects.get(app_label="sales", model="documentline")
        .pk,
        key="length",
        labels={"en": "Length"},
        kind="number",
    )
    assert c.post(url, data).status_code == 302
    settings.refresh_from_db()
    assert settings.quantity_formula == "length*2" and settings.tax_percent == D(9)


def test_profile_tab_and_action(client, world):
    make_document(world)
    c = _client(client, world.bob)
    response = c.get(reverse("identity_detail", args=[world.customer.pk]), {"tab": "sales_documents"})
    assert response.status_code == 200
    assert reverse("sales:quote_create").encode() in response.content
