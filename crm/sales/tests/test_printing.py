"""Printing documents (SL-6): the HTML and the PDF in Persian (RTL, Vazirmatn, Persian
digits, Jalali dates, total in words) and in English; admin-edited templates rendered in a
sandbox; nothing fetched from outside; the pages only for those who may see the document."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from crm.identities import services as identity_services
from crm.sales.models import Document, DocumentLine, DocumentSettings, Signature
from crm.sales.printing import (
    _fetcher,
    default_print_template,
    document_html,
    document_pdf,
    print_template_check,
)
from crm.sales.tests.catalogue_support import build_catalogue

ISSUED = dt.date(2026, 3, 10)  # 1404/12/19 in the Jalali calendar
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def invoice(alice):
    cat = build_catalogue(alice)
    customer = identity_services.identity_create(
        actor=alice,
        kind="organisation",
        organisation_name="شرکت نیک‌نام <b>",
        economic_code="411122223333",
        phones=[{"number": "+98 912 123 4567"}],
        addresses=[{"city": "تهران", "line": "خیابان ولیعصر ۱۲"}],
    )
    document = Document.objects.create(
        kind="invoice",
        direction="sale",
        number="INV-1404-7",
        identity_id=customer.pk,
        issued_on=ISSUED,
        status=Document.Status.APPROVED,
        approved_by=alice,
        approved_at=dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.UTC),
        created_by=alice,
        subtotal=Decimal(2_500_000),
        tax_percent=Decimal(10),
        tax=Decimal(250_000),
        total=Decimal(2_750_000),
        notes="تحویل در محل",
    )
    DocumentLine.objects.create(
        document=document,
        position=1,
        product=cat.laptop,
        quantity=Decimal(2),
        unit_price=Decimal(1_000_000),
        total=Decimal(2_000_000),
        serials=["SN-1", "SN-2"],
    )
    DocumentLine.objects.create(
        document=document,
        position=2,
        product=cat.support,
        quantity=Decimal(1),
        unit_price=Decimal(500_000),
        total=Decimal(500_000),
        description="<script>alert(1)</script>",
    )
    return document


def pdf_text(pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def word_x(bbox: str, word: str) -> float:
    match = re.search(r'<word xMin="([\d.]+)"[^>]*>' + re.escape(word) + "</word>", bbox)
    assert match, f"{word} not on the page"
    return float(match.group(1))


@needs_poppler
def test_a_persian_invoice_pdf(alice, invoice, tmp_path):
    alice.language = "fa"

    pdf = document_pdf(invoice, user=alice)

    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    assert "۱۴۰۴/۱۲/۱۹" in text  # Jalali date, Persian digits
    assert "۲٬۷۵۰٬۰۰۰" in text  # the total with the Persian thousands separator
    assert "دو میلیون و هفتصد و پنجاه هزار" in text  # the total in words
    assert "INV-۱۴۰۴-۷" in text
    bbox = pdf_text(pdf, tmp_path, "-bbox")
    assert word_x(bbox, "LP-100") > word_x(bbox, "۲٬۰۰۰٬۰۰۰")  # right to left: code right of the amount
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(tmp_path / "doc.pdf"), str(png)], check=True
    )
    assert (tmp_path / "page-1.png").stat().st_size > 5000


@needs_poppler
def test_an_english_invoice_pdf_is_left_to_right(alice, invoice, tmp_path):
    alice.language = "en"

    pdf = document_pdf(invoice, user=alice)

    text = pdf_text(pdf, tmp_path)
    assert "Sales invoice" in text
    assert "2,750,000" in text and "two million seven hundred fifty thousand" in text
    assert "03/10/2026" in text
    bbox = pdf_text(pdf, tmp_path, "-bbox")
    assert word_x(bbox, "LP-100") < word_x(bbox, "2,000,000")


def test_the_html_is_escaped_rtl_and_carries_the_signature(alice, invoice):
    Signature.objects.create(user=alice, image=ContentFile(PNG, name="alice.png"))
    alice.language = "fa"

    html = document_html(invoice, user=alice)

    assert '<html lang="fa" dir="rtl">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "شرکت نیک‌نام &lt;b&gt;" in html
    assert "data:image/png;base64," in html  # the approver's signature, embedded
    assert "Vazirmatn" in html and "/static/sales/fonts/Vazirmatn-Regular.ttf" in html


def test_no_signature_before_approval(alice, invoice):
    Signature.objects.create(user=alice, image=ContentFile(PNG, name="alice.png"))
    Document.objects.filter(pk=invoice.pk).update(status=Document.Status.PENDING)
    invoice.refresh_from_db()

    assert "data:image/png" not in document_html(invoice, user=alice)


def test_an_edited_template_and_style_are_used_in_a_sandbox(alice, invoice):
    DocumentSettings.objects.create(
        kind="invoice",
        direction="sale",
        print_template="<html><head></head><body><h1>{{ document.title }} {{ document.number }}</h1>"
        "{% for line in lines %}<p>{{ line.name }}={{ line.total }}</p>{% endfor %}"
        "<i>{{ document.delete }}{{ lines.0.save }}</i></body></html>",
        print_css="h1 { color: red } </style><script>x()</script>",
    )
    alice.language = "en"

    html = document_html(invoice, user=alice)

    assert "<h1>Sales invoice INV-1404-7</h1>" in html
    assert "<p>لپ‌تاپ لنوو=2,000,000</p>" in html
    assert "<i></i>" in html  # no methods, no internals: plain values only
    assert "h1 { color: red }" in html and "<script>" not in html


@pytest.mark.parametrize(
    "template",
    [
        "{% load static %}{% static 'x' %}",
        "{% debug %}",
        "{% include 'base.html' %}",
        "{% extends 'base.html' %}",
        "{% url 'login' %}",
        "{{ x|safe }}",
        "{% autoescape off %}{{ x }}{% endautoescape %}",
        "{% csrf_token %}",
        "{{ document.__class__ }}",
    ],
)
def test_the_sandbox_refuses_dangerous_tags(template):
    assert print_template_check(template) is not None


def test_the_sandbox_accepts_the_shipped_template():
    assert print_template_check(default_print_template()) is None
    assert print_template_check("{% load i18n %}{% translate 'Total' %} {{ totals.total|default:'—' }}") is None


def test_a_broken_edited_template_falls_back_to_the_default(alice, invoice):
    DocumentSettings.objects.create(kind="invoice", direction="sale", print_template="{% load static %}")

    assert "print-lines" in document_html(invoice, user=alice)


def test_printing_fetches_only_the_bundled_fonts():
    fetcher = _fetcher()

    for url in ("file:///etc/passwd", "http://example.com/x.css", "https://example.com/logo.png"):
        with pytest.raises(ValueError, match="not fetched"):
            fetcher.fetch(url)
    from crm.sales.printing import FONTS_DIR

    response = fetcher.fetch((FONTS_DIR / "Vazirmatn-Regular.ttf").as_uri())
    assert response.read(4) == b"\x00\x01\x00\x00"
    response.close()


def test_outside_resources_in_a_template_are_not_fetched(alice, invoice):
    DocumentSettings.objects.create(
        kind="invoice",
        direction="sale",
        print_template='<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>'
        '<body><img src="file:///etc/passwd">{{ document.number }}</body></html>',
    )

    assert document_pdf(invoice, user=alice).startswith(b"%PDF")


def test_the_preview_and_the_pdf_pages(alice, bob, charlie, invoice):
    client = Client()
    client.force_login(alice)

    preview = client.get(reverse("sales:document_print", args=[invoice.pk]))
    pdf = client.get(reverse("sales:document_pdf", args=[invoice.pk]))

    assert preview.status_code == 200 and 'data-testid="print-toolbar"' in preview.text
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="invoice-INV-1404-7.pdf"'
    assert pdf.content.startswith(b"%PDF")
    for user in (bob, charlie):  # may not see the document: as if it did not exist
        client.force_login(user)
        assert client.get(reverse("sales:document_print", args=[invoice.pk])).status_code == 404
        assert client.get(reverse("sales:document_pdf", args=[invoice.pk])).status_code == 404
    assert Client().get(reverse("sales:document_pdf", args=[invoice.pk])).status_code == 302
