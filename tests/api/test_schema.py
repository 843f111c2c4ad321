"""The OpenAPI document at /api/schema/: valid OpenAPI 3, generated without a single
drf-spectacular warning, and telling clients about the one error shape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
import yaml
from django.conf import settings
from rest_framework.test import APIClient

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


@pytest.mark.slow
def test_spectacular_validates_without_warnings(tmp_path: Path) -> None:
    """The same command CI and the docs build run; a warning (a guessed type, a
    colliding operationId, an unresolvable view) fails it."""
    target = tmp_path / "openapi.yaml"
    command = [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(target)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}

    done = subprocess.run(
        command, check=False, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_the_schema_is_valid_openapi_3(openapi: dict[str, Any]) -> None:
    schemathesis.openapi.from_dict(openapi).validate()  # raises jsonschema_rs.ValidationError


def test_the_validator_does_catch_a_broken_schema(openapi: dict[str, Any]) -> None:
    broken = {**openapi, "paths": {"/x/": {"get": {"responses": "nope"}}}}

    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


@pytest.mark.django_db
def test_the_schema_is_served_as_openapi_3() -> None:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.0")


@pytest.mark.django_db
def test_the_docs_page_is_served() -> None:
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_operation_ids_are_unique(openapi: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(openapi)]

    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


# Gateways calling back (SMS delivery reports, inbound SMS) prove themselves with a shared
# secret instead of a user's token: 403 without it, and no 401 since no user signs in.
GATEWAY_CALLBACKS = {"messages_dlr", "messages_inbound"}


def test_every_operation_documents_its_errors_in_the_one_shape(openapi: dict[str, Any]) -> None:
    error_ref = "#/components/schemas/ErrorOutput"
    assert openapi["components"]["schemas"]["ErrorOutput"]["required"] == ["error"]
    for path, method, operation in operations(openapi):
        responses = operation["responses"]
        if operation["operationId"] in GATEWAY_CALLBACKS:
            assert "403" in responses, (method, path)
        else:
            assert {"401", "403"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if method in {"post", "put", "patch"}:
            assert "400" in responses, (method, path)
        for code, response in responses.items():
            if code.startswith("4"):
                assert response["content"]["application/json"]["schema"]["$ref"] == error_ref, (method, path, code)
                assert response["description"], (method, path, code)


def test_every_operation_needs_a_token_or_a_session(openapi: dict[str, Any]) -> None:
    assert set(openapi["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    for path, method, operation in operations(openapi):
        if operation["operationId"] in GATEWAY_CALLBACKS:
            names = {p["name"].lower() for p in operation.get("parameters", [])}
            assert any("secret" in name for name in names), (method, path)
            continue
        assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}], (method, path)


# File uploads are the one exception: multipart/form-data, and nothing else.
UPLOADS = {
    ("post", "/api/v1/files/"),
    ("post", "/api/v1/files/{id}/versions/"),
    ("post", "/api/v1/items/{item_type}/{item_id}/attachments/"),
    ("post", "/api/v1/items/{item_type}/{item_id}/attachments/{public_id}/versions/"),
}


def test_requests_are_json_only(openapi: dict[str, Any]) -> None:
    for path, method, operation in operations(openapi):
        if "requestBody" in operation:
            expected = {"multipart/form-data"} if (method, path) in UPLOADS else {"application/json"}
            assert set(operation["requestBody"]["content"]) == expected, (method, path)


LISTS = [
    "/api/v1/users/",
    "/api/v1/departments/",
    "/api/v1/positions/",
    "/api/v1/appointments/",
    "/api/v1/substitutions/",
    "/api/v1/employees/",
    "/api/v1/custom-fields/",
    "/api/v1/numbering/sequences/",
    "/api/v1/saved-filters/",
    "/api/v1/audit/",
]
CREATIONS = [
    "/api/v1/departments/",
    "/api/v1/positions/",
    "/api/v1/appointments/",
    "/api/v1/substitutions/",
    "/api/v1/employees/",
    "/api/v1/saved-filters/",
]


def test_lists_are_paged_without_a_count(openapi: dict[str, Any]) -> None:
    for path in LISTS:
        operation = openapi["paths"][path]["get"]
        assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}, path
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert page.startswith("Paginated"), path
    for name, component in openapi["components"]["schemas"].items():
        if name.startswith("Paginated"):
            assert set(component["properties"]) == {"next", "previous", "results"}, name


def test_creations_answer_201(openapi: dict[str, Any]) -> None:
    for path in CREATIONS:
        responses = openapi["paths"][path]["post"]["responses"]
        assert "201" in responses, path
        assert "200" not in responses, path
