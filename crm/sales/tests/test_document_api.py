# ruff: noqa: F811 - pytest fixtures are imported by name
"""The sales documents API: same services and rules as the pages, one error shape."""

import pytest
from rest_framework.test import APIClient

from crm.sales.models import Document
from crm.sales.tests.document_factories import D, make_document, quiet_events, world  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_events")]
URL = "/api/v1/sales-documents/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _payload(world, **extra):
    return {
        "kind": "invoice",
        "identity": world.customer.pk,
        "lines": [{"product": world.pen.pk, "quantity": "2"}, {"product": world.book.pk, "quantity": "1"}],
        **extra,
    }


def test_create_list_get_update_and_the_life_cycle(world):
    bob, dana = api(world.bob), api(world.dana)
    created = bob.post(URL, _payload(world), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["total"] == "423.50" and len(body["lines"]) == 2
    pk = body["id"]
    listed = bob.get(URL, {"kind": "invoice"}).json()
    assert [row["id"] for row in listed["results"]] == [pk]
    line = body["lines"][0]["id"]
    patched = bob.patch(
        f"{URL}{pk}/", {"lines": [{"id": line, "product": world.pen.pk, "quantity": "5"}], "version": 1}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert [item["id"] for item in patched.json()["lines"]] == [line]
    assert bob.post(f"{URL}{pk}/submit/", {}, format="json").json()["status"] == "pending"
    refused = bob.post(f"{URL}{pk}/approve/", {}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "approve_denied"
    stale = dana.post(f"{URL}{pk}/approve/", {"version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    approved = dana.post(f"{URL}{pk}/approve/", {"version": 2, "note": "ok"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert [e["action"] for e in approved.json()["events"]] == ["submitted", "approved"]
    issued = dana.post(f"{URL}{pk}/issue/", {"kind": "return"}, format="json")
    assert issued.status_code == 201 and issued.json()["kind"] == "return" and issued.json()["source"] == pk
    again = dana.post(f"{URL}{pk}/issue/", {"kind": "return"}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "return_too_much"


def test_denials(world):
    doc = make_document(world, actor=world.dana)
    bob, charlie = api(world.bob), api(world.charlie)
    assert bob.get(f"{URL}{doc.pk}/").status_code == 404  # not his
    assert bob.patch(f"{URL}{doc.pk}/", {"notes": "x"}, format="json").status_code == 404
    assert bob.delete(f"{URL}{doc.pk}/").status_code == 404
    assert bob.post(f"{URL}{doc.pk}/cancel/", {}, format="json").status_code == 404
    assert charlie.get(URL).json()["results"] == []
    assert charlie.post(URL, _payload(world), format="json").status_code == 403
    discount = bob.post(URL, _payload(world, discount="10"), format="json")
    assert discount.status_code == 403 and discount.json()["error"]["code"] == "totals_override_denied"
    assert APIClient().get(URL).status_code in (401, 403)
    doc.workflow_users.add(world.bob)
    assert bob.patch(f"{URL}{doc.pk}/", {"notes": "as a workflow user"}, format="json").status_code == 200


def test_bad_input_is_a_400_never_a_500(world):
    bob = api(world.bob)
    for payload in (
        {"identity": world.customer.pk, "lines": []},
        {"identity": world.customer.pk, "lines": [{"product": 10**12, "quantity": "1"}]},
        {"identity": 10**12, "lines": [{"product": world.pen.pk, "quantity": "1"}]},
        {"identity": world.customer.pk, "lines": [{"product": world.pen.pk, "quantity": "-1"}]},
        {"identity": world.customer.pk, "lines": [{"product": world.pen.pk}]},
        {"identity": world.customer.pk, "lines": [{"product": world.pen.pk, "quantity": "1"}], "custom": {"x": 1}},
    ):
        response = bob.post(URL, payload, format="json")
        assert response.status_code == 400, (payload, response.content)
        assert "error" in response.json()
    assert Document.objects.count() == 0
    assert bob.get(URL, {"date_from": "not a date"}).status_code == 400


def test_delete(world):
    doc = make_document(world)
    assert api(world.bob).delete(f"{URL}{doc.pk}/").status_code == 204
    assert Document.objects.filter(pk=doc.pk).count() == 0
