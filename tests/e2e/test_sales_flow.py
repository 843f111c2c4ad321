"""Issue #6's browser flow, in Persian (Jalali calendar, Persian digits), on the real ASGI
server over the demo data:

1. The admin writes a quote for a customer of class A: the agency price list (classes A
   and B) is applied; sends it for approval and approves it.
2. Issues the invoice from the quote, saves, sends it for approval and approves it; the
   stock of the product in its warehouse goes down by the quantity.
3. Downloads the invoice's PDF: its first page renders to PNG (pdftoppm) and its text
   (pdftotext) is Persian, right to left, with Persian digits.
4. Makes a payment link for the invoice from the customer's profile; the customer opens it
   (another browser, not signed in), pays at the sandbox bank and sees the receipt number.
5. Back on the profile: the receipt in the statement tab, the balance fact updated.

Screenshots go to test-output/e2e/sales_*.png.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
PERSIAN_DIGIT = re.compile(r"[۰-۹]")
ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")


def fa(text: object) -> str:
    return str(text).translate(FA_DIGITS)


def _world() -> dict[str, object]:
    """A class-A customer, the class-A price list and a stocked product of the demo."""
    from crm.finance.models import Receipt
    from crm.identities.models import Identity
    from crm.inventory.models import StockLevel
    from crm.org.models import User
    from crm.sales.models import PriceList, Product

    User.objects.filter(username="admin").update(language="fa", calendar="")
    customer = Identity.objects.filter(class_code="A", is_unknown=False).order_by("id").first()
    if customer is None:
        customer = Identity.objects.filter(is_unknown=False, kind="person").order_by("id").first()
        Identity.objects.filter(pk=customer.pk).update(class_code="A")
    price_list = next(
        (p for p in PriceList.objects.filter(active=True).order_by("-priority") if "A" in (p.customer_classes or [])),
        None,
    )
    assert price_list is not None, "the demo has no price list for class A"
    level = (
        StockLevel.objects.filter(quantity__gte=5, product__tracking=Product.Tracking.QUANTITY, product__active=True)
        .select_related("product", "warehouse")
        .order_by("warehouse__id", "product__id")
        .first()
    )
    assert level is not None, "the demo has no stock"
    return {
        "customer": customer,
        "price_list": price_list,
        "product": level.product,
        "warehouse": level.warehouse,
        "receipts": Receipt.objects.count(),
    }


def _stock(product_id: int, warehouse_id: int) -> Decimal:
    from crm.inventory.models import StockLevel

    return StockLevel.objects.get(product_id=product_id, warehouse_id=warehouse_id).quantity


def _approve_here(page: Page) -> None:
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    page.get_by_test_id("approve").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("status").first).to_have_text(re.compile("تأیید|Approved"))


def test_quote_to_paid_invoice_in_persian(
    demo_data: None, asgi_server: object, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    world = _world()
    base = asgi_server.url  # type: ignore[attr-defined]
    customer, product, warehouse = world["customer"], world["product"], world["warehouse"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fa-IR", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    sign_in(page, base)

    # 1. the quote, priced from the class-A price list
    page.goto(f"{base}/sales/quotes/new/?identity={customer.pk}")  # type: ignore[attr-defined]
    page.get_by_test_id("product-search").first.fill(product.code)  # type: ignore[attr-defined]
    select = page.get_by_test_id("product-select").first
    expect(select.locator(f"option[value='{product.pk}']")).to_have_count(1)  # type: ignore[attr-defined]
    select.select_option(str(product.pk))  # type: ignore[attr-defined]
    page.get_by_test_id("quantity").first.fill("2")
    page.get_by_test_id("quantity").first.press("Tab")
    expect(page.get_by_test_id("price-list")).to_have_text(str(world["price_list"]))
    page.screenshot(path=str(shots / "sales_quote_form.png"), full_page=True)
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/sales/documents/\d+/$"))
    _approve_here(page)
    page.screenshot(path=str(shots / "sales_quote_approved.png"), full_page=True)

    # 2. the invoice issued from it; approving it takes the stock
    before = _stock(product.pk, warehouse.pk)  # type: ignore[attr-defined]
    page.get_by_test_id("issue-invoice").click()
    page.wait_for_url(re.compile(r"/sales/documents/\d+/edit/$"))
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/sales/documents/\d+/$"))
    invoice_id = int(re.search(r"/documents/(\d+)/", page.url).group(1))  # type: ignore[union-attr]
    _approve_here(page)
    expect(page.get_by_test_id("source")).to_be_visible()
    page.screenshot(path=str(shots / "sales_invoice_approved.png"), full_page=True)
    assert _stock(product.pk, warehouse.pk) == before - 2  # type: ignore[attr-defined]
    page.goto(f"{base}/stock/movements/")
    page.screenshot(path=str(shots / "sales_stock_movements.png"), full_page=True)

    # 3. the PDF: first page as PNG, Persian RTL text with Persian digits
    from crm.sales.models import Document

    invoice = Document.objects.get(pk=invoice_id)
    pdf = tmp_path / "invoice.pdf"
    response = page.request.get(f"{base}/sales/print/{invoice_id}/pdf/")
    assert response.ok and response.body()[:4] == b"%PDF"
    pdf.write_bytes(response.body())
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(shots / "sales_invoice_pdf"),
            ],
            check=True,
        )
        assert (shots / "sales_invoice_pdf.png").stat().st_size > 5000
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert ARABIC_LETTERS.search(text) and PERSIAN_DIGIT.search(text)
        # right to left: the Persian lines sit against the right margin
        persian_lines = [line for line in text.splitlines() if ARABIC_LETTERS.search(line)]
        right_aligned = [
            line for line in persian_lines if len(line) - len(line.lstrip()) > len(line) - len(line.rstrip())
        ]
        assert len(right_aligned) >= len(persian_lines) // 2

    # 4. a payment link from the profile; the customer pays at the sandbox bank
    page.goto(f"{base}/identities/{customer.pk}/?tab=statement")  # type: ignore[attr-defined]
    expect(page.get_by_test_id("statement-tab")).to_be_visible()
    page.locator("[data-testid=statement-tab] a[href*='/finance/links/new/']").click()
    page.wait_for_url(re.compile(r"/finance/links/new/"))
    page.select_option("#id_document", str(invoice_id))
    page.fill("#id_amount", fa(int(invoice.total)))
    page.screenshot(path=str(shots / "sales_link_form.png"), full_page=True)
    page.get_by_test_id("link-save").click()
    page.wait_for_url(re.compile(r"/finance/links/\d+/$"))
    url = page.get_by_test_id("link-url").input_value()
    assert "/pay/" in url
    page.screenshot(path=str(shots / "sales_link_detail.png"), full_page=True)

    payer = browser.new_context(viewport={"width": 900, "height": 800}, locale="fa-IR").new_page()
    payer.goto(url)
    expect(payer.get_by_test_id("pay-amount")).to_be_visible()
    payer.screenshot(path=str(shots / "sales_pay_page.png"), full_page=True)
    payer.get_by_test_id("pay-button").click()
    payer.wait_for_url(re.compile(r"/pay/sandbox/"))
    payer.screenshot(path=str(shots / "sales_sandbox_bank.png"), full_page=True)
    payer.get_by_test_id("sandbox-pay").click()
    expect(payer.get_by_test_id("pay-ok")).to_be_visible()
    receipt_number = payer.get_by_test_id("pay-receipt").inner_text()
    payer.screenshot(path=str(shots / "sales_pay_result.png"), full_page=True)
    payer.context.close()

    # 5. the receipt and the balance on the profile
    from crm.finance.models import Receipt
    from crm.finance.selectors import balance_for

    receipt = Receipt.objects.get(payment_link__document_id=invoice_id)
    assert fa(receipt.number) == receipt_number and receipt.amount == invoice.total
    page.goto(f"{base}/identities/{customer.pk}/?tab=statement")  # type: ignore[attr-defined]
    expect(page.get_by_test_id("profile-receipts")).to_contain_text(fa(receipt.number))
    balance = balance_for(customer.pk)  # type: ignore[attr-defined]
    fact = page.locator("[data-fact=balance]")
    expect(fact).to_be_visible()
    if balance.side == "settled":
        expect(fact).not_to_contain_text(PERSIAN_DIGIT)
    else:
        expect(fact).to_contain_text(PERSIAN_DIGIT)
    page.screenshot(path=str(shots / "sales_profile_statement.png"), full_page=True)
    context.close()
