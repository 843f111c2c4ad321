"""REST endpoints of the organisation context. Same services and access rules as the UI."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.customfields import custom_errors_under
from crm.core.api.params import SearchQuery, query_params
from crm.core.audit.services import restore
from crm.core.errors import PermissionDeniedError
from crm.core.permissions.access import hidden_fields, require
from crm.org import selectors, services
from crm.org.api import serializers as s
from crm.org.models import EmployeeCard


def _found(obj: Any) -> Any:
    if obj is None:
        raise Http404
    return obj


class ListCreateApi(mixins.ListModelMixin, GenericAPIView):
    # list: parsed query → scoped selector → one page; create: validated input → one service.
    # ListModelMixin only tells the schema generator these GETs return paged lists; filtering
    # lives in the selectors, so no filter backends.

    output: type[serializers.Serializer]
    input: type[serializers.Serializer]
    query: type[serializers.Serializer] | None = None
    view_perms: tuple[str, ...] = ()  # any one of them lets the user list (as the pages do)
    filter_backends = ()
    params: dict[str, Any]

    def rows(self) -> Any:
        raise NotImplementedError

    def create(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        if self.view_perms and not any(request.user.has_perm(perm) for perm in self.view_perms):
            raise PermissionDeniedError()
        self.params = query_params(self.query, request) if self.query else {}
        page = self.paginate_queryset(self.rows())
        return self.get_paginated_response(self.output(page, many=True, context=self.out_context()).data)

    def post(self, request: Request) -> Response:
        data = self.input(data=request.data)
        data.is_valid(raise_exception=True)
        created = self.create(dict(data.validated_data))
        return Response(self.output(created, context=self.out_context()).data, status=status.HTTP_201_CREATED)

    def out_context(self) -> dict[str, Any]:
        return {}


class MeApi(GenericAPIView):
    serializer_class = s.MeOutput

    def get(self, request: Request) -> Response:
        return Response(s.MeOutput(request.user).data)

    @extend_schema(request=s.MeInput, responses=s.MeOutput)
    def patch(self, request: Request) -> Response:
        data = s.MeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        values = {
            "language": user.language,
            "calendar": user.calendar,
            "notify_by_email": user.notify_by_email,
            "notify_by_sms": user.notify_by_sms,
            **data.validated_data,
        }
        services.user_preferences_set(actor=user, **values)
        return Response(s.MeOutput(user).data)


@extend_schema_view(get=extend_schema(parameters=[SearchQuery]))
class UserListApi(ListCreateApi):
    serializer_class = s.UserOutput
    output = s.UserOutput
    http_method_names = ["get", "head", "options"]
    query = SearchQuery
    view_perms = ("org.view_user",)

    def rows(self) -> Any:
        return selectors.user_list_for_user(user=self.request.user, search=self.params["search"])


@extend_schema_view(post=extend_schema(request=s.DepartmentInput, responses={201: s.DepartmentOutput}))
class DepartmentListApi(ListCreateApi):
    serializer_class = s.DepartmentOutput
    output, input = s.DepartmentOutput, s.DepartmentInput
    view_perms = ("org.view_department",)

    def rows(self) -> Any:
        return selectors.department_list_for_user(user=self.request.user)

    def create(self, data: dict[str, Any]) -> Any:
        data.pop("active", None)
        return services.department_create(actor=self.request.user, **data)


class DepartmentDetailApi(GenericAPIView):
    serializer_class = s.DepartmentOutput

    def get_object(self) -> Any:
        return _found(selectors.department_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def get(self, request: Request, pk: int) -> Response:
        return Response(s.DepartmentOutput(self.get_object()).data)

    @extend_schema(request=s.DepartmentInput, responses=s.DepartmentOutput)
    def put(self, request: Request, pk: int) -> Response:
        department = self.get_object()
        data = s.DepartmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.department_update(actor=request.user, department=department, **data.validated_data)
        return Response(s.DepartmentOutput(self.get_object()).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.department_delete(actor=request.user, department=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(post=extend_schema(request=s.PositionInput, responses={201: s.PositionOutput}))
class PositionListApi(ListCreateApi):
    serializer_class = s.PositionOutput
    output, input = s.PositionOutput, s.PositionInput
    view_perms = ("org.view_position",)

    def rows(self) -> Any:
        return selectors.position_list_for_user(user=self.request.user).prefetch_related("permissions__content_type")

    def create(self, data: dict[str, Any]) -> Any:
        return services.position_save(actor=self.request.user, **data)


class PositionDetailApi(GenericAPIView):
    serializer_class = s.PositionOutput

    def get_object(self) -> Any:
        return _found(selectors.position_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def get(self, request: Request, pk: int) -> Response:
        return Response(s.PositionOutput(self.get_object()).data)

    @extend_schema(request=s.PositionInput, responses=s.PositionOutput)
    def put(self, request: Request, pk: int) -> Response:
        position = self.get_object()
        data = s.PositionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.position_save(actor=request.user, position=position, **data.validated_data)
        return Response(s.PositionOutput(self.get_object()).data)


@extend_schema_view(
    get=extend_schema(parameters=[s.AppointmentQuery]),
    post=extend_schema(request=s.AppointmentInput, responses={201: s.AppointmentOutput}),
)
class AppointmentListApi(ListCreateApi):
    serializer_class = s.AppointmentOutput
    output, input, query = s.AppointmentOutput, s.AppointmentInput, s.AppointmentQuery
    view_perms = ("org.view_appointment",)

    def rows(self) -> Any:
        return selectors.appointment_list_for_user(user=self.request.user, active_only=self.params["active"])

    def create(self, data: dict[str, Any]) -> Any:
        return services.appointment_create(actor=self.request.user, **data)


class AppointmentDetailApi(GenericAPIView):
    serializer_class = s.AppointmentOutput

    def get(self, request: Request, pk: int) -> Response:
        return Response(s.AppointmentOutput(_found(selectors.appointment_get_for_user(user=request.user, pk=pk))).data)


class AppointmentEndApi(GenericAPIView):
    serializer_class = s.AppointmentOutput

    @extend_schema(request=s.AppointmentEndInput, responses=s.AppointmentOutput)
    def post(self, request: Request, pk: int) -> Response:
        appointment = _found(selectors.appointment_get_for_user(user=request.user, pk=pk))
        data = s.AppointmentEndInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.appointment_end(actor=request.user, appointment=appointment, **data.validated_data)
        return Response(s.AppointmentOutput(appointment).data)


@extend_schema_view(post=extend_schema(request=s.SubstitutionInput, responses={201: s.SubstitutionOutput}))
class SubstitutionListApi(ListCreateApi):
    serializer_class = s.SubstitutionOutput
    output, input = s.SubstitutionOutput, s.SubstitutionInput
    view_perms = ("org.view_substitution",)

    def rows(self) -> Any:
        return selectors.substitution_list_for_user(user=self.request.user)

    def create(self, data: dict[str, Any]) -> Any:
        return services.substitution_create(actor=self.request.user, **data)


class SubstitutionDetailApi(GenericAPIView):
    serializer_class = s.SubstitutionOutput

    def get_object(self) -> Any:
        return _found(selectors.substitution_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def get(self, request: Request, pk: int) -> Response:
        return Response(s.SubstitutionOutput(self.get_object()).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.substitution_delete(actor=request.user, substitution=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(parameters=[SearchQuery]),
    post=extend_schema(request=s.EmployeeCardInput, responses={201: s.EmployeeCardOutput}),
)
class EmployeeCardListApi(ListCreateApi):
    serializer_class = s.EmployeeCardOutput
    output, input, query = s.EmployeeCardOutput, s.EmployeeCardInput, SearchQuery
    view_perms = ("org.view_employeecard", "org.view_all_employeecard")

    def rows(self) -> Any:
        return selectors.employee_card_list_for_user(user=self.request.user, search=self.params["search"])

    def create(self, data: dict[str, Any]) -> Any:
        with custom_errors_under("custom"):
            return services.employee_card_create(actor=self.request.user, **data)

    def out_context(self) -> dict[str, Any]:
        return {"hidden": hidden_fields(self.request.user, EmployeeCard)}


class EmployeeCardDetailApi(GenericAPIView):
    serializer_class = s.EmployeeCardOutput

    def get_object(self) -> Any:
        return _found(selectors.employee_card_get_for_user(user=self.request.user, pk=self.kwargs["pk"]))

    def _out(self, card: EmployeeCard) -> dict[str, Any]:
        return s.EmployeeCardOutput(card, context={"hidden": hidden_fields(self.request.user, EmployeeCard)}).data

    def get(self, request: Request, pk: int) -> Response:
        return Response(self._out(self.get_object()))

    @extend_schema(request=s.EmployeeCardInput, responses=s.EmployeeCardOutput)
    def patch(self, request: Request, pk: int) -> Response:
        card = self.get_object()
        data = s.EmployeeCardInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        with custom_errors_under("custom"):
            card = services.employee_card_update(actor=request.user, card=card, **data.validated_data)
        return Response(self._out(card))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.employee_card_delete(actor=request.user, card=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmployeeCardRestoreApi(GenericAPIView):
    serializer_class = s.EmployeeCardOutput

    @extend_schema(request=None, responses=s.EmployeeCardOutput)
    def post(self, request: Request, pk: int) -> Response:
        card = _found(selectors.employee_card_get_for_user(user=request.user, pk=pk, include_deleted=True))
        require(request.user, "delete", card)
        restore(obj=card, actor=request.user)
        hidden = hidden_fields(request.user, EmployeeCard)
        return Response(s.EmployeeCardOutput(card, context={"hidden": hidden}).data)
