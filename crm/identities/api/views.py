"""REST endpoints of the identities context (ID-1 … ID-8). Same selectors, services and
access rules as the pages: an identity the user may not see is a 404 on every path, and
absent from lists and searches; reads without a view right are a 403."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.params import query_params
from crm.core.errors import PermissionDeniedError
from crm.core.permissions.access import hidden_fields, require_perm
from crm.identities import selectors, services
from crm.identities.access import accessible_category_ids
from crm.identities.api import serializers as s
from crm.identities.api.filters import identity_filters
from crm.identities.models import Identity

# What IdentityOutput reads; the first three are identity_list_rows' own prefetches.
DETAILS = ("phones", "emails", "categories", "addresses", "websites", "special_dates", "assignees")
VIEW_PERMS = ("identities.view_identity", "identities.view_all_identity")

LIST_DESCRIPTION = """Identities you may see, newest first, one page at a time (no total count).

Custom fields filter as `custom.<key>=value` (equals; for a multiple choice field: has this
value) and, for number, money, date and date-time fields, `custom.<key>__gt`, `__gte`, `__lt`
and `__lte`. An unknown key, a field hidden from you or a value of the wrong type is a 400."""

RESOLVE_DESCRIPTION = """For telephony and email integrations (ID-7): the identity behind a
phone number (any format) or an email address, or a new *unknown* contact when there is none
(`created: true`, status 201). Needs the right to add identities.

When the number or address belongs to an identity the caller may not see (a restricted
category, or someone else's record without the right to see all), the answer is a **403**
(`permission_denied`) that names nothing about it: no new duplicate is created, and no data
of the hidden identity is returned."""


def require_view(user: Any) -> None:
    if not any(user.has_perm(perm) for perm in VIEW_PERMS):
        raise PermissionDeniedError()


def out_context(user: Any, hidden: set[str] | None = None) -> dict[str, Any]:
    """What IdentityOutput leaves out for this user: hidden fields, categories he may not see."""
    return {
        "hidden": hidden_fields(user, Identity) if hidden is None else hidden,
        "category_ids": None if user.is_superuser else accessible_category_ids(user),
    }


def with_details(qs: Any) -> Any:
    """Everything IdentityOutput shows, in one query per relation for the whole page."""
    return selectors.identity_list_rows(qs).prefetch_related(*DETAILS[3:])


class IdentityMixin:
    request: Request
    kwargs: dict[str, Any]

    def get_object(self, *, include_deleted: bool = False, details: bool = False) -> Identity:
        """The identity of the URL among those the user may see, else a 404. Writes skip
        the prefetches: they answer with `output()`, read again after the write."""
        identity = self._read(self.kwargs["pk"], include_deleted=include_deleted, details=details)
        if identity is None:
            raise Http404
        return identity

    def _read(self, pk: int, *, include_deleted: bool = False, details: bool = True) -> Identity | None:
        rows = selectors.identity_base_for_user(user=self.request.user, include_deleted=include_deleted).filter(pk=pk)
        return (with_details(rows) if details else rows).first()

    def output(self, identity: Identity, *, include_deleted: bool = False) -> dict[str, Any]:
        """The identity as stored now, read again through the selector (fresh prefetches)."""
        fresh = self._read(identity.pk, include_deleted=include_deleted)
        if fresh is None:  # the write took it out of the user's sight; show what he just saved
            fresh = identity
            prefetch_related_objects([fresh], *DETAILS)
        return s.IdentityOutput(fresh, context=out_context(self.request.user)).data


@extend_schema_view(
    get=extend_schema(operation_id="identities_list", parameters=[s.IdentityQuery], description=LIST_DESCRIPTION),
    post=extend_schema(operation_id="identities_create", request=s.IdentityInput, responses={201: s.IdentityOutput}),
)
class IdentityListApi(IdentityMixin, mixins.ListModelMixin, GenericAPIView):
    # ListModelMixin only tells the schema generator that GET returns a paged list;
    # filtering lives in the selector, so no filter backends.
    serializer_class = s.IdentityOutput
    filter_backends = ()

    def get(self, request: Request) -> Response:
        require_view(request.user)
        hidden = hidden_fields(request.user, Identity)
        params = query_params(s.IdentityQuery, request)
        filters = identity_filters(user=request.user, params=params, query=request.query_params, hidden=hidden)
        page = self.paginate_queryset(
            with_details(selectors.identity_list_for_user(user=request.user, filters=filters))
        )
        return self.get_paginated_response(
            s.IdentityOutput(page, many=True, context=out_context(request.user, hidden)).data
        )

    def post(self, request: Request) -> Response:
        require_perm(request.user, "identities.add_identity")  # before validation: no hints for outsiders
        data = s.IdentityInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        identity = services.identity_create(actor=request.user, **data.service_kwargs())
        return Response(self.output(identity), status=status.HTTP_201_CREATED)


class IdentityDetailApi(IdentityMixin, GenericAPIView):
    serializer_class = s.IdentityOutput

    @extend_schema(operation_id="identities_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.IdentityOutput(self.get_object(details=True), context=out_context(request.user)).data)

    @extend_schema(
        operation_id="identities_update",
        request=s.IdentityInput,
        responses=s.IdentityOutput,
        description="Kind and names are required; any other key left out keeps its value, "
        "a nested list that is given replaces the stored one.",
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(operation_id="identities_partial_update", request=s.IdentityInput, responses=s.IdentityOutput)
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        operation_id="identities_destroy",
        responses={204: None},
        description="Soft delete: the identity can be restored.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.identity_delete(actor=request.user, identity=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        identity = self.get_object()
        data = s.IdentityInput(data=request.data, partial=partial, user=request.user)
        data.is_valid(raise_exception=True)
        values = data.service_kwargs()
        assignees = values.pop("assignees", None)
        with transaction.atomic():
            identity = services.identity_update(actor=request.user, identity=identity, **values)
            if assignees is not None:
                services.identity_assign(actor=request.user, identity=identity, users=assignees)
        return Response(self.output(identity))


class IdentityRestoreApi(IdentityMixin, GenericAPIView):
    serializer_class = s.IdentityOutput

    @extend_schema(operation_id="identities_restore", request=None, responses=s.IdentityOutput)
    def post(self, request: Request, pk: int) -> Response:
        identity = self.get_object(include_deleted=True)
        services.identity_restore(actor=request.user, identity=identity)
        return Response(self.output(identity))


class IdentityCustomerNumberApi(IdentityMixin, GenericAPIView):
    serializer_class = s.IdentityOutput

    @extend_schema(
        operation_id="identities_customer_number",
        request=s.CustomerNumberInput,
        responses=s.IdentityOutput,
        description="Make the identity a customer (ID-3) with the given number, or the next "
        "number of the customer sequence.",
    )
    def post(self, request: Request, pk: int) -> Response:
        identity = self.get_object()
        data = s.CustomerNumberInput(data=request.data)
        data.is_valid(raise_exception=True)
        number = data.validated_data["number"] or None
        identity = services.customer_number_give(actor=request.user, identity=identity, number=number)
        return Response(self.output(identity))


class IdentityAddPhoneApi(IdentityMixin, GenericAPIView):
    serializer_class = s.IdentityOutput

    @extend_schema(
        operation_id="identities_phone_add",
        request=s.AddPhoneInput,
        responses={200: s.IdentityOutput, 201: s.IdentityOutput},
        description="Add a number to the profile, e.g. from a call (ID-8): 201 when it is new, "
        "200 when the profile already had it.",
    )
    def post(self, request: Request, pk: int) -> Response:
        identity = self.get_object()
        data = s.AddPhoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        before = {phone.number for phone in identity.phones.all()}
        phone = services.identity_add_phone(actor=request.user, identity=identity, **data.validated_data)
        created = phone.number not in before
        return Response(self.output(identity), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class IdentityQuickSearchApi(GenericAPIView):
    serializer_class = s.QuickSearchOutput
    filter_backends = ()

    @extend_schema(
        operation_id="identities_quick_search",
        parameters=[s.QuickSearchQuery],
        responses=s.QuickSearchOutput,
        description="The quick search widget: at most 10 hits, exact matches (customer number, "
        "phone, email) first, then names starting with the text, then names containing it.",
    )
    def get(self, request: Request) -> Response:
        require_view(request.user)
        text = query_params(s.QuickSearchQuery, request)["q"]
        hits = selectors.identity_quick_search(user=request.user, text=text, limit=10)
        prefetch_related_objects(hits, "phones", "emails")
        results = s.IdentityBriefOutput(hits, many=True, context=out_context(request.user)).data
        return Response({"results": results})


class IdentityResolveApi(GenericAPIView):
    serializer_class = s.ResolveOutput

    @extend_schema(
        operation_id="identities_resolve",
        request=s.ResolveInput,
        responses={200: s.ResolveOutput, 201: s.ResolveOutput},
        description=RESOLVE_DESCRIPTION,
        examples=[OpenApiExample("caller", value={"phone": "0912 123 4567", "source": "pbx"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        require_perm(request.user, "identities.add_identity")
        data = s.ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        identity, created = services.resolve_contact(
            phone=values["phone"] or None, email=values["email"] or None, actor=request.user, source=values["source"]
        )
        seen = with_details(selectors.identity_base_for_user(user=request.user).filter(pk=identity.pk)).first()
        if seen is None and not created:
            raise PermissionDeniedError(_("This number or address belongs to an identity you may not see."))
        body = {
            "identity": s.IdentityOutput(seen or identity, context=out_context(request.user)).data,
            "created": created,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema_view(get=extend_schema(operation_id="identity_categories_list"))
class IdentityCategoryListApi(mixins.ListModelMixin, GenericAPIView):
    serializer_class = s.CategoryOutput
    filter_backends = ()

    def get(self, request: Request) -> Response:
        require_view(request.user)
        page = self.paginate_queryset(selectors.categories_for_user(user=request.user))
        return self.get_paginated_response(s.CategoryOutput(page, many=True).data)
