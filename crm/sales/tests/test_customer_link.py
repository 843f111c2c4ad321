# ruff: noqa: F811 - pytest fixtures are imported by name
"""Sending a document to the customer and the customer's answer from the signed link."""

import pytest
from django.urls import reverse

from crm.core.notifications.models import Notification
from crm.messaging.models import Channel, Message, SmsLine
from crm.sales import documents
from crm.sales.errors import SalesError, SalesErrorCode
from crm.sales.models import Document, DocumentEvent
from crm.sales.tests.document_factories import make_document, quiet_events, world  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_events")]


def _approved(world):
    doc = make_document(world)
    documents.document_submit(actor=world.bob, document=doc)
    return documents.document_approve(actor=world.dana, document=doc)


def _path(doc):
    return reverse("sales_public:customer_document", args=[documents.customer_link_token(doc)])


def test_send_by_sms_queues_a_message_with_the_link(world):
    SmsLine.objects.create(name="Main", number="+982100000000", is_default=True)
    doc = _approved(world)
    message = documents.document_send_to_customer(actor=world.alice, document=doc, channel="sms")
    assert message.channel == Channel.SMS and message.to_address == "+989121234567"
    assert _path(doc) in message.body
    assert message.identity_id == world.customer.pk
    assert doc.events.filter(action=DocumentEvent.Action.SENT).exists()
    again = documents.document_send_to_customer(actor=world.alice, document=doc, channel="sms")
    assert again.pk != message.pk  # a second send is a new message
    assert Message.objects.count() == 2


def test_send_is_refused_for_drafts_people_without_rights_and_missing_addresses(world):
    draft = make_document(world)
    with pytest.raises(SalesError) as exc:
        documents.document_send_to_customer(actor=world.alice, document=draft, channel="sms")
    assert exc.value.code == SalesErrorCode.WRONG_STATUS
    doc = _approved(world)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDeniedError
        documents.document_send_to_customer(actor=world.charlie, document=doc, channel="sms")
    doc.identity_id = world.customer_b.pk  # no phone, no email
    with pytest.raises(SalesError) as exc:
        documents.document_send_to_customer(actor=world.alice, document=doc, channel="email")
    assert exc.value.code == SalesErrorCode.NO_CONTACT


def test_the_customer_accepts_once(client, world):
    doc = _approved(world)
    path = _path(doc)
    page = client.get(path)
    assert page.status_code == 200 and b'data-testid="accept"' in page.content
    assert b"Parsian Co" in page.content  # the printed document
    response = client.post(path, {"answer": "accept", "note": "Fine"})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.customer_response == "accepted" and doc.customer_response_note == "Fine"
    assert Notification.objects.filter(user=world.bob, kind="sales.customer_answered").exists()
    client.post(path, {"answer": "accept"})  # the same answer again: nothing more
    assert doc.events.filter(action=DocumentEvent.Action.CUSTOMER_ACCEPTED).count() == 1
    client.post(path, {"answer": "decline"})  # another answer: refused
    doc.refresh_from_db()
    assert doc.customer_response == "accepted"
    assert b'data-testid="answered"' in client.get(path).content


def test_tampered_unknown_and_cancelled_links_are_404(client, world):
    doc = _approved(world)
    token = documents.customer_link_token(doc)
    assert client.get(reverse("sales_public:customer_document", args=[token[:-2] + "xx"])).status_code == 404
    assert client.get(reverse("sales_public:customer_document", args=[str(doc.public_token)])).status_code == 404
    draft = make_document(world)
    assert client.get(_path(draft)).status_code == 404  # not approved: not for customers yet
    documents.document_cancel(actor=world.dana, document=doc)
    assert client.get(_path(doc)).status_code == 404
    with pytest.raises(SalesError):
        documents.customer_respond(token=doc.public_token, accept=True)
    assert Document.objects.get(pk=doc.pk).customer_response == ""
