"""OpenAPI generation: every operation documents the error responses it can give, in the
one error shape of `crm.core.api.errors`, so clients (and schemathesis) know them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers


class ErrorDetailOutput(serializers.Serializer):
    code = serializers.CharField(help_text="stable, machine-readable code, e.g. validation_error")
    message = serializers.CharField(help_text="for people, in the user's language")
    fields = serializers.DictField(child=serializers.JSONField(), help_text="field name -> messages")


class ErrorOutput(serializers.Serializer):
    error = ErrorDetailOutput()


ERROR_DESCRIPTIONS = {
    "400": "The input is not valid (`fields` names the culprits) or a business rule refused it.",
    "401": "Not signed in: send `Authorization: Token <key>` or a session cookie.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such record among those you may see, or a page past the end.",
}


class CrmAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = []
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        if self.method in ("POST", "PUT", "PATCH", "DELETE") or has_query:  # services may refuse (400)
            codes.append("400")
        if not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorOutput, code, direction=direction)
                responses[code]["description"] = ERROR_DESCRIPTIONS[code]
        return responses
