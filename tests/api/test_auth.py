"""Signing in to the API (token and session) and the error shape of refusals."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from crm.org.models import User
from crm.org.testing import PASSWORD
from tests.api.support import assert_error, token_client

EVERY_ENDPOINT = [
    ("get", "/api/v1/me/"),
    ("patch", "/api/v1/me/"),
    ("get", "/api/v1/users/"),
    ("get", "/api/v1/departments/"),
    ("post", "/api/v1/departments/"),
    ("get", "/api/v1/departments/1/"),
    ("put", "/api/v1/departments/1/"),
    ("delete", "/api/v1/departments/1/"),
    ("get", "/api/v1/positions/"),
    ("get", "/api/v1/positions/1/"),
    ("get", "/api/v1/appointments/"),
    ("get", "/api/v1/appointments/1/"),
    ("post", "/api/v1/appointments/1/end/"),
    ("get", "/api/v1/substitutions/"),
    ("delete", "/api/v1/substitutions/1/"),
    ("get", "/api/v1/employees/"),
    ("post", "/api/v1/employees/"),
    ("get", "/api/v1/employees/1/"),
    ("patch", "/api/v1/employees/1/"),
    ("post", "/api/v1/employees/1/restore/"),
    ("get", "/api/v1/custom-fields/"),
    ("get", "/api/v1/numbering/sequences/"),
    ("get", "/api/v1/saved-filters/?list_key=employees"),
    ("get", "/api/v1/audit/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), EVERY_ENDPOINT)
def test_anonymous_gets_401_in_the_error_shape(method: str, url: str) -> None:
    response = getattr(APIClient(), method)(url, {}, format="json")

    error = assert_error(response, 401, "not_authenticated")
    assert error["fields"] == {}
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_is_401(alice: User) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_token_auth_signs_the_user_in(alice: User) -> None:
    response = token_client(alice).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_an_inactive_users_token_stops_working(bob: User) -> None:
    client = token_client(bob)
    User.objects.filter(pk=bob.pk).update(is_active=False)

    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_session_auth_signs_the_user_in(bob: User) -> None:
    client = APIClient()
    assert client.login(username="bob", password=PASSWORD)

    response = client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["username"] == "bob"
    assert "org.view_employeecard" in response.json()["permissions"]


def test_session_writes_need_the_csrf_token_token_writes_do_not(bob: User) -> None:
    session = APIClient(enforce_csrf_checks=True)
    session.login(username="bob", password=PASSWORD)
    token = token_client(bob)
    token.handler.enforce_csrf_checks = True

    refused = session.patch("/api/v1/me/", {"calendar": "jalali"}, format="json")
    accepted = token.patch("/api/v1/me/", {"calendar": "jalali"}, format="json")

    assert_error(refused, 403, "permission_denied")
    assert "CSRF" in refused.json()["error"]["message"]
    assert accepted.status_code == 200


@pytest.mark.django_db
def test_unknown_api_paths_are_404_in_the_error_shape() -> None:
    assert_error(APIClient().get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_error(APIClient().get("/api/v1/employees/not-a-number/"), 404, "not_found")
    assert_error(APIClient().delete("/api/v1/employees/1/nope/"), 404, "not_found")


def test_the_api_speaks_json_only(alice: User) -> None:
    response = token_client(alice).post("/api/v1/departments/", {"name": "Form"}, format="multipart")

    assert_error(response, 415, "unsupported_media_type")


def test_malformed_json_is_400_in_the_error_shape(alice: User) -> None:
    response = token_client(alice).generic("POST", "/api/v1/departments/", '{"name": ', content_type="application/json")

    assert_error(response, 400, "parse_error")
