"""Messaging API: send, list, status (CM-1, CM-6 … API part of issue #5).

- GET  /api/v1/messages/            messages you may see (filters: channel, status, direction, identity)
- GET  /api/v1/messages/<id>/       one message with its events (delivery reports, opens, clicks)
- POST /api/v1/messages/            send to identities and/or addresses; an `Idempotency-Key`
                                    header makes a retried request queue nothing more
- POST /api/v1/messages/dlr/<provider>/      a gateway's delivery report (shared secret)
- POST /api/v1/messages/inbound/<provider>/  an SMS a customer sent (shared secret)

Access is the pages' rule (`messages_visible_to`): a message you may not see is a 404;
sending only from lines/mailboxes you may use (`quick_send`)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.params import query_params
from crm.core.api.schema import ErrorOutput
from crm.messaging.access import messages_visible_to
from crm.messaging.api import serializers as s
from crm.messaging.callbacks import CallbackError, dlr_receive, secret_ok, sms_inbound_receive
from crm.messaging.models import Message, Template

SECRET_HEADER = OpenApiParameter(
    "X-CRM-Secret", str, OpenApiParameter.HEADER, required=False, description="the shared callback secret"
)


class MessagingApi(GenericAPIView):
    filter_backends = ()
    renderer_classes = [JSONRenderer]


class MessageListApi(mixins.ListModelMixin, MessagingApi):
    serializer_class = s.MessageOutput

    @extend_schema(
        operation_id="messages_list", parameters=[s.MessageQuery], description="Messages you may see, newest first."
    )
    def get(self, request: Request) -> Response:
        params = query_params(s.MessageQuery, request)
        qs = messages_visible_to(request.user)
        for key in ("channel", "status", "direction"):
            if params.get(key):
                qs = qs.filter(**{key: params[key]})
        if params.get("identity"):
            qs = qs.filter(identity_id=params["identity"])
        page = self.paginate_queryset(qs.order_by("-id"))
        return self.get_paginated_response(s.MessageOutput(page, many=True).data)

    @extend_schema(
        operation_id="messages_send",
        request=s.SendInput,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="the same key again returns the same messages and sends nothing more",
            )
        ],
        responses={201: s.SendOutput},
        description="Queue one message per recipient (identities by id, or typed numbers/addresses).",
    )
    def post(self, request: Request) -> Response:
        from crm.messaging.quicksend import quick_send_report

        data = s.SendInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        template = None
        if values["template"]:
            template = Template.objects.filter(pk=values["template"], active=True).first()
            if template is None:
                raise ValidationError({"template": ["No such template."]})
        key = request.headers.get("Idempotency-Key", "").strip()
        prefix = None
        if key:
            digest = hashlib.sha256(f"{request.user.pk}:{key}".encode()).hexdigest()[:32]
            prefix = f"api:{digest}"
        result = quick_send_report(
            actor=request.user,
            channel=values["channel"],
            identity_ids=values["identities"],
            addresses=values["addresses"],
            template=template,
            body=values["body"],
            subject=values["subject"],
            account=values["account"],
            dedupe_prefix=prefix,
        )
        output = {
            "messages": result.messages,
            "skipped_hidden": result.skipped_hidden,
            "no_address": result.no_address,
            "invalid": result.invalid,
        }
        return Response(s.SendOutput(output).data, status=status.HTTP_201_CREATED)


class MessageDetailApi(MessagingApi):
    serializer_class = s.MessageDetailOutput

    @extend_schema(operation_id="messages_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        message = messages_visible_to(request.user).filter(pk=pk).prefetch_related("events").first()
        if message is None:
            raise Http404
        return Response(s.MessageDetailOutput(message).data)


class CallbackApi(MessagingApi):
    """Public: gateways authenticate with the shared secret, not a user."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    serializer_class = s.CallbackOutput

    def params(self, request: Request) -> dict[str, str]:
        params = {key: str(value) for key, value in request.query_params.items()}
        body = request.data if isinstance(request.data, dict) else {}
        params.update({str(k): str(v) for k, v in body.items() if not isinstance(v, (dict, list))})
        if not secret_ok(request.headers.get("X-CRM-Secret", "") or params.get("secret", "")):
            raise PermissionDenied("wrong or missing secret")
        return params


CALLBACK_RESPONSES = {
    200: s.CallbackOutput,
    400: OpenApiResponse(ErrorOutput, description="The report or message could not be read (`fields` says why)."),
    403: OpenApiResponse(ErrorOutput, description="wrong or missing shared secret"),
    404: OpenApiResponse(ErrorOutput, description="no such message"),
}


class DlrApi(CallbackApi):
    @extend_schema(
        operation_id="messages_dlr",
        request=None,
        parameters=[SECRET_HEADER],
        responses=CALLBACK_RESPONSES,
        description="A delivery report (fields as the provider's adapter reads them; Kannel: m, s, a, f, r, t). "
        "The same report twice changes nothing.",
    )
    def post(self, request: Request, provider: str) -> Response:
        params = self.params(request)
        try:
            event = dlr_receive(provider=provider, params=params)
        except CallbackError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        except Message.DoesNotExist:
            raise Http404 from None
        return Response({"ok": True, "id": event.pk if event else None})


class InboundApi(CallbackApi):
    @extend_schema(
        operation_id="messages_inbound",
        request=None,
        parameters=[SECRET_HEADER],
        responses=CALLBACK_RESPONSES,
        description="An SMS a customer sent (Kannel fields: from, to, text, id, time). Stored once per provider id.",
    )
    def post(self, request: Request, provider: str) -> Response:
        params = self.params(request)
        try:
            message = sms_inbound_receive(provider=provider, params=params)
        except CallbackError as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from exc
        return Response({"ok": True, "id": message.pk})


urlpatterns = [
    path("messages/", MessageListApi.as_view(), name="api_messages"),
    path("messages/<int:pk>/", MessageDetailApi.as_view(), name="api_message"),
    path("messages/dlr/<slug:provider>/", DlrApi.as_view(), name="api_messages_dlr"),
    path("messages/inbound/<slug:provider>/", InboundApi.as_view(), name="api_messages_inbound"),
]
