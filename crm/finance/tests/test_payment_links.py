"""Payment links (FN-2) through the sandbox gateway: signed, single use, expiring, amount
fixed server-side, verified server-side, one receipt per bank transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.core.tests.support import ON_POSTGRES
from crm.finance import selectors, services
from crm.finance.errors import FinanceError
from crm.finance.models import GatewayTransaction, PaymentLink, Receipt, SandboxPayment
from crm.finance.tests.conftest import MoneyWorld
from crm.org.models import User

pytestmark = pytest.mark.django_db


def make_link(money: MoneyWorld, *, amount: str = "500000", document: bool = True, hours: int = 24) -> PaymentLink:
    return services.payment_link_create(
        actor=money.dana,
        identity_id=money.sara.pk,
        amount=Decimal(amount),
        expires_at=timezone.now() + dt.timedelta(hours=hours),
        document_id=money.invoices[1].pk if document else None,
    )


def start(client: Client, link: PaymentLink) -> str:
    """Press "pay" on the public page; returns the sandbox bank's authority."""
    response = client.post(services.payment_link_path(link))
    assert response.status_code == 302
    path = urlparse(response["Location"]).path
    assert path.startswith("/pay/sandbox/")
    return path.rstrip("/").rsplit("/", 1)[-1]


def press(client: Client, authority: str, action: str) -> Any:
    response = client.post(reverse("finance_public:sandbox_bank", args=[authority]), {"action": action})
    assert response.status_code == 302
    return response["Location"]


def test_paying_a_link_records_one_receipt_and_settles_the_invoice(money: MoneyWorld) -> None:
    link = make_link(money)
    client = Client()
    page = client.get(services.payment_link_path(link))
    assert page.status_code == 200 and b"pay-button" in page.content
    authority = start(client, link)
    assert client.get(reverse("finance_public:sandbox_bank", args=[authority])).status_code == 200
    callback = press(client, authority, "pay")
    result = client.get(callback)
    assert result.status_code == 200 and b"pay-ok" in result.content
    receipt = Receipt.objects.get(payment_link=link)
    assert receipt.method == "online" and receipt.amount == Decimal("500000") and receipt.created_by == money.dana
    assert receipt.gateway_ref.startswith("sandbox:")
    assert selectors.document_paid_amounts([money.invoices[1].pk]) == {money.invoices[1].pk: Decimal("500000")}
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1000000")
    link.refresh_from_db()
    assert link.status == "paid"
    # the same callback delivered again: nothing new
    assert client.get(callback).status_code == 200
    assert Receipt.objects.filter(payment_link=link).count() == 1
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1000000")
    # single use: the page says paid and refuses to start again
    again = client.post(services.payment_link_path(link))
    assert again.status_code == 400 and Receipt.objects.count() == 1


def test_the_callback_twice_through_the_service_is_idempotent(money: MoneyWorld) -> None:
    link = make_link(money)
    tx, _url = services.payment_start(link=link, callback_url="http://x/cb/")
    SandboxPayment.objects.filter(authority=tx.authority).update(status="paid", ref_id="777")
    params = {"Authority": tx.authority, "Status": "OK"}
    first = services.payment_callback(provider="sandbox", params=params)
    second = services.payment_callback(provider="sandbox", params=params)
    assert first.status == second.status == "paid"
    assert Receipt.objects.filter(gateway_ref="sandbox:777").count() == 1


def test_a_tampered_token_is_not_found(money: MoneyWorld) -> None:
    link = make_link(money)
    token = services.payment_link_token(link)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert Client().get(reverse("finance_public:pay", args=[forged])).status_code == 404
    other = services.payment_link_token(make_link(money, amount="1", document=False))
    spliced = token.split(":")[0] + ":" + other.split(":")[1]
    assert Client().get(reverse("finance_public:pay", args=[spliced])).status_code == 404


def test_a_tampered_amount_is_refused_by_verify(money: MoneyWorld) -> None:
    link = make_link(money)
    client = Client()
    authority = start(client, link)
    # the payer (or a forged request) got the bank to take less than the link's amount
    SandboxPayment.objects.filter(authority=authority).update(amount=Decimal("1000"))
    callback = press(client, authority, "pay")
    result = client.get(callback + "&Amount=500000")  # an amount in the callback is ignored
    assert b"pay-failed" in result.content
    assert GatewayTransaction.objects.get(authority=authority).status == "failed"
    assert not Receipt.objects.filter(method="online").exists()


def test_failed_and_cancelled_payments_record_nothing_and_the_link_stays_open(money: MoneyWorld) -> None:
    link = make_link(money)
    client = Client()
    for action in ("fail", "cancel"):
        result = client.get(press(client, start(client, link), action))
        assert b"pay-failed" in result.content
    assert not Receipt.objects.filter(method="online").exists()
    link.refresh_from_db()
    assert link.status == "open"


def test_an_unknown_authority_or_provider_is_refused(money: MoneyWorld) -> None:
    client = Client()
    response = client.get(reverse("finance_public:callback", args=["sandbox"]), {"Authority": "nope", "Status": "OK"})
    assert response.status_code == 404
    response = client.get(reverse("finance_public:callback", args=["acme"]), {"Authority": "x", "Status": "OK"})
    assert response.status_code == 400


def test_an_expired_or_cancelled_link_is_refused(money: MoneyWorld) -> None:
    link = make_link(money)
    PaymentLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    client = Client()
    assert client.get(services.payment_link_path(link)).status_code == 410
    assert client.post(services.payment_link_path(link)).status_code == 400
    with pytest.raises(FinanceError) as caught:
        services.payment_start(link=link, callback_url="http://x/")
    assert caught.value.code == "link_expired"
    fresh_link = make_link(money, amount="10", document=False)
    services.payment_link_cancel(actor=money.dana, link=fresh_link)
    assert client.get(services.payment_link_path(fresh_link)).status_code == 410


def test_creating_a_link_checks_amount_expiry_invoice_and_rights(money: MoneyWorld, charlie: User) -> None:
    with pytest.raises(FinanceError):
        make_link(money, amount="600000")  # more than the invoice's open 500000
    with pytest.raises(FinanceError):
        make_link(money, hours=-1)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDeniedError
        services.payment_link_create(
            actor=charlie,
            identity_id=money.sara.pk,
            amount=Decimal(1),
            expires_at=timezone.now() + dt.timedelta(days=1),
        )


def test_links_are_own_only_unless_view_all(money: MoneyWorld, alice: User) -> None:
    mine = make_link(money)
    theirs = services.payment_link_create(
        actor=alice, identity_id=money.ali.pk, amount=Decimal(1), expires_at=timezone.now() + dt.timedelta(days=1)
    )
    assert list(selectors.paymentlink_base_for_user(user=money.dana)) == [mine]
    assert set(selectors.paymentlink_base_for_user(user=money.erin)) == {mine, theirs}
    with pytest.raises(FinanceError):
        services.payment_link_cancel(actor=money.dana, link=theirs)


def test_sending_a_link_goes_through_messaging(money: MoneyWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm.messaging import quicksend

    sent: list[dict[str, Any]] = []

    class Message:
        to_address = "+989121234567"

    def fake_quick_send(**kwargs: Any) -> list[Any]:
        sent.append(kwargs)
        return [Message()]

    monkeypatch.setattr(quicksend, "quick_send", fake_quick_send)
    link = make_link(money)
    assert services.payment_link_send(actor=money.dana, link=link, channel="sms") == 1
    assert sent[0]["identity_ids"] == [money.sara.pk] and services.payment_link_url(link) in sent[0]["body"]
    link.refresh_from_db()
    assert link.sent_to == "+989121234567"


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_callbacks_racing_record_one_receipt(money: MoneyWorld) -> None:
    import threading

    from django.db import connection

    link = make_link(money)
    tx, _url = services.payment_start(link=link, callback_url="http://x/cb/")
    SandboxPayment.objects.filter(authority=tx.authority).update(status="paid", ref_id="4242")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            services.payment_callback(provider="sandbox", params={"Authority": tx.authority, "Status": "OK"})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Receipt.objects.filter(gateway_ref="sandbox:4242").count() == 1
    assert selectors.balance_for(money.sara.pk).balance == Decimal("1000000")
