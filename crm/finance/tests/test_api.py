"""The money API: same rules as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from crm.finance import services
from crm.finance.tests.conftest import MoneyWorld
from crm.org.models import User

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_receipt_create_list_and_detail(money: MoneyWorld) -> None:
    client = api(money.dana)
    first = money.invoices[0]
    response = client.post(
        "/api/v1/receipts/",
        {
            "identity": money.sara.pk,
            "method": "cheque",
            "amount": "600000",
            "allocations": [{"document": first.pk, "amount": "600000"}],
            "cheque": {
                "number": "55",
                "bank": "Melli",
                "due_date": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["allocations"][0]["document"] == first.pk and body["cheque"]["status"] == "received"
    assert client.get("/api/v1/receipts/", {"identity": money.sara.pk}).json()["results"][0]["id"] == body["id"]
    cheque_id = body["cheque"]["id"]
    moved = client.post(f"/api/v1/cheques/{cheque_id}/status/", {"status": "deposited"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "deposited"
    wrong = client.post(f"/api/v1/cheques/{cheque_id}/status/", {"status": "returned"}, format="json")
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "cheque_transition"
    assert client.get("/api/v1/cheques/", {"status": "deposited"}).json()["results"][0]["id"] == cheque_id


def test_service_refusals_keep_the_error_shape(money: MoneyWorld) -> None:
    response = api(money.dana).post(
        "/api/v1/receipts/",
        {
            "identity": money.sara.pk,
            "amount": "10",
            "allocations": [{"document": money.invoices[0].pk, "amount": "20"}],
        },
        format="json",
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "allocation_over_receipt"
    missing = api(money.dana).post(
        "/api/v1/receipts/", {"identity": money.sara.pk, "amount": "1", "method": "cheque"}, format="json"
    )
    assert missing.status_code == 400


def test_balance_and_statement(money: MoneyWorld) -> None:
    client = api(money.dana)
    balance = client.get(f"/api/v1/balances/{money.sara.pk}/").json()
    assert balance == {
        "identity": money.sara.pk,
        "debit": "1500000.00",
        "credit": "0.00",
        "balance": "1500000.00",
        "side": "debtor",
    }
    statement = client.get(f"/api/v1/statements/{money.sara.pk}/", {"page_size": 1}).json()
    assert statement["page"] == 1 and statement["has_next"] and statement["rows"][0]["balance"] == "1500000.00"


def test_payment_links_api(money: MoneyWorld) -> None:
    client = api(money.dana)
    response = client.post(
        "/api/v1/payment-links/",
        {
            "identity": money.sara.pk,
            "amount": "500000",
            "expires_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
            "document": money.invoices[1].pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "open" and "/pay/" in body["url"]
    cancelled = client.post(f"/api/v1/payment-links/{body['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = client.post(f"/api/v1/payment-links/{body['id']}/cancel/")
    assert again.status_code == 409


def test_denials(money: MoneyWorld, charlie: User, alice: User) -> None:
    receipt = services.receipt_create(actor=alice, values={"identity_id": money.sara.pk, "amount": Decimal(1)})
    client = api(charlie)
    assert client.get("/api/v1/receipts/").status_code == 403
    assert client.get(f"/api/v1/receipts/{receipt.pk}/").status_code == 404
    assert (
        client.post("/api/v1/receipts/", {"identity": money.sara.pk, "amount": "1"}, format="json").status_code == 403
    )
    assert client.get(f"/api/v1/statements/{money.sara.pk}/").status_code == 404
    assert client.get(f"/api/v1/balances/{money.sara.pk}/").status_code == 404
    assert client.get("/api/v1/payment-links/").status_code == 403
    dana = api(money.dana)
    assert dana.get(f"/api/v1/receipts/{receipt.pk}/").status_code == 404  # not hers
    assert dana.post(f"/api/v1/receipts/{receipt.pk}/cancel/").status_code == 404
    assert APIClient().get("/api/v1/receipts/").status_code in (401, 403)
