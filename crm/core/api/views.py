"""REST endpoints of the platform: custom field definitions, sequences, saved filters, audit."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.core.api.params import query_params
from crm.core.api.serializers import (
    AuditEntryOutput,
    CustomFieldDefinitionOutput,
    CustomFieldQuery,
    SavedFilterInput,
    SavedFilterOutput,
    SavedFilterQuery,
    SequenceOutput,
)
from crm.core.audit.models import AuditEntry
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.lists.selectors import saved_filter_get_for, saved_filters_for
from crm.core.lists.services import saved_filter_create, saved_filter_delete
from crm.core.numbering.models import NumberSequence
from crm.core.numbering.services import sequence_previews


class ModelPermissions(permissions.DjangoModelPermissions):
    """Reads need the model's view permission too (DRF's default lets any user read)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class CustomFieldDefinitionListApi(generics.ListAPIView):
    serializer_class = CustomFieldDefinitionOutput
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = ()  # the query is parsed below

    @extend_schema(parameters=[CustomFieldQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        # Definitions describe the form of records: any signed-in user may read the active ones.
        qs = CustomFieldDefinition.objects.filter(active=True).select_related("content_type").order_by("id")
        model = query_params(CustomFieldQuery, self.request)["model"]
        return qs.filter(content_type__model=model) if model else qs


class SequenceListApi(generics.ListAPIView):
    serializer_class = SequenceOutput
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    queryset = NumberSequence.objects.all()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        context = {**self.get_serializer_context(), "previews": sequence_previews(sequences=page)}
        return self.get_paginated_response(SequenceOutput(page, many=True, context=context).data)


class SavedFilterListApi(generics.ListAPIView):
    serializer_class = SavedFilterOutput
    filter_backends = ()  # the query is parsed below

    @extend_schema(parameters=[SavedFilterQuery])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        list_key = query_params(SavedFilterQuery, self.request)["list_key"]
        return saved_filters_for(user=self.request.user, list_key=list_key).order_by("id")

    @extend_schema(request=SavedFilterInput, responses={201: SavedFilterOutput})
    def post(self, request: Request) -> Response:
        data = SavedFilterInput(data=request.data)
        data.is_valid(raise_exception=True)
        saved = saved_filter_create(actor=request.user, **data.validated_data)
        return Response(SavedFilterOutput(saved).data, status=status.HTTP_201_CREATED)


class SavedFilterDetailApi(generics.GenericAPIView):
    serializer_class = SavedFilterOutput

    def get_object(self) -> Any:
        saved = saved_filter_get_for(user=self.request.user, pk=self.kwargs["pk"])
        if saved is None:
            raise Http404
        return saved

    def get(self, request: Request, pk: int) -> Response:
        return Response(SavedFilterOutput(self.get_object()).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        saved_filter_delete(actor=request.user, saved=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditEntryListApi(generics.ListAPIView):
    serializer_class = AuditEntryOutput
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    queryset = AuditEntry.objects.select_related("target_type")


@extend_schema(exclude=True)
class NotFoundApi(APIView):
    """Any other path under /api/: a 404 in the one error shape, not the HTML page."""

    permission_classes = [permissions.AllowAny]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound
