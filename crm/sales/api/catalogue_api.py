"""Catalogue API (SL-1, SL-10) under /api/v1/: products, product groups, price lists with
their fixed prices (items) and policies (rules), and prices of products under a list.

Same selectors, services and rules as the pages: products and groups are readable by every
signed-in staff user; price lists by holders of a price-list permission (view, add or
change), else 403; writes need the model permissions (the services refuse with 403).
Prices (`/prices/`) are open to all staff: every salesperson quotes them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from crm.core.api.customfields import custom_errors_under
from crm.core.api.params import query_params
from crm.core.permissions.access import hidden_fields
from crm.sales import catalogue
from crm.sales import catalogue_selectors as selectors
from crm.sales.api import catalogue_serializers as s
from crm.sales.models import PriceList, PriceListRule, Product, ProductGroup
from crm.sales.pricing import price_list_choose, prices_for

PRICE_LIST_VIEW = ("sales.view_pricelist", "sales.add_pricelist", "sales.change_pricelist")


def found(obj: Any) -> Any:
    if obj is None:
        raise Http404
    return obj


class CatalogueApi(GenericAPIView):
    filter_backends = ()

    def require_price_lists(self) -> None:
        if not any(self.request.user.has_perm(p) for p in PRICE_LIST_VIEW):
            raise PermissionDenied


# --- products ---------------------------------------------------------------------------------


class ProductMixin(CatalogueApi):
    serializer_class = s.ProductOutput

    def get_object(self) -> Product:
        return found(selectors.product_get(self.kwargs["pk"], user=self.request.user))

    def output(self, product: Product) -> dict[str, Any]:
        product = found(selectors.product_get(product.pk, user=self.request.user))
        return s.ProductOutput(product, context={"hidden": hidden_fields(self.request.user, Product)}).data

    def write_values(self, data: s.ProductInput) -> tuple[dict[str, Any], dict[str, Any] | None]:
        values = dict(data.validated_data)
        custom = values.pop("custom", None)
        return values, custom


@extend_schema_view(
    get=extend_schema(
        operation_id="products_list", parameters=[s.ProductQuery], description="Products and services, by name."
    ),
    post=extend_schema(operation_id="products_create", request=s.ProductInput, responses={201: s.ProductOutput}),
)
class ProductListApi(ProductMixin, mixins.ListModelMixin):
    # ListModelMixin only tells the schema generator that GET returns a paged list
    def get(self, request: Request) -> Response:
        params = query_params(s.ProductQuery, request)
        group = selectors.group_get(params["group"]) if params.get("group") else None
        if params.get("group") and group is None:  # an unknown group holds nothing
            self.paginate_queryset(Product.objects.none())
            return self.get_paginated_response([])
        active = params.get("active", "true")
        filters = selectors.ProductFilters(
            q=params.get("search", ""),
            group=group,
            kind=params.get("kind", ""),
            tracking=params.get("tracking", ""),
            active=None if active == "all" else active == "true",
        )
        page = self.paginate_queryset(selectors.product_list_for_user(user=request.user, filters=filters))
        context = {"hidden": hidden_fields(request.user, Product)}
        return self.get_paginated_response(s.ProductOutput(page, many=True, context=context).data)

    def post(self, request: Request) -> Response:
        data = s.ProductInput(data=request.data)
        data.is_valid(raise_exception=True)
        values, custom = self.write_values(data)
        with custom_errors_under("custom"):
            product = catalogue.product_create(actor=request.user, custom=custom, **values)
        return Response(self.output(product), status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(operation_id="products_retrieve"),
    put=extend_schema(operation_id="products_update", request=s.ProductInput, responses=s.ProductOutput),
    patch=extend_schema(operation_id="products_partial_update", request=s.ProductInput, responses=s.ProductOutput),
    delete=extend_schema(operation_id="products_destroy", responses={204: None}),
)
class ProductDetailApi(ProductMixin):
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.output(self.get_object()))

    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    def delete(self, request: Request, pk: int) -> Response:
        catalogue.product_delete(actor=request.user, product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        product = self.get_object()
        data = s.ProductInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values, custom = self.write_values(data)
        with custom_errors_under("custom"):
            catalogue.product_update(actor=request.user, product=product, custom=custom, **values)
        return Response(self.output(product))


# --- groups -----------------------------------------------------------------------------------


class GroupMixin(CatalogueApi):
    serializer_class = s.ProductGroupOutput

    def get_object(self) -> ProductGroup:
        return found(selectors.group_get(self.kwargs["pk"]))


@extend_schema_view(
    get=extend_schema(operation_id="product_groups_list", description="The group tree in path order."),
    post=extend_schema(
        operation_id="product_groups_create", request=s.ProductGroupInput, responses={201: s.ProductGroupOutput}
    ),
)
class GroupListApi(GroupMixin, mixins.ListModelMixin):
    # ListModelMixin only tells the schema generator that GET returns a paged list
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.group_tree())
        return self.get_paginated_response(s.ProductGroupOutput(page, many=True).data)

    def post(self, request: Request) -> Response:
        data = s.ProductGroupInput(data=request.data)
        data.is_valid(raise_exception=True)
        group = catalogue.product_group_save(
            actor=request.user, name=data.validated_data["name"], parent=data.validated_data.get("parent")
        )
        return Response(s.ProductGroupOutput(group).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(operation_id="product_groups_retrieve"),
    put=extend_schema(
        operation_id="product_groups_update", request=s.ProductGroupInput, responses=s.ProductGroupOutput
    ),
    patch=extend_schema(
        operation_id="product_groups_partial_update", request=s.ProductGroupInput, responses=s.ProductGroupOutput
    ),
    delete=extend_schema(operation_id="product_groups_destroy", responses={204: None}),
)
class GroupDetailApi(GroupMixin):
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ProductGroupOutput(self.get_object()).data)

    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    def delete(self, request: Request, pk: int) -> Response:
        catalogue.product_group_delete(actor=request.user, group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        group = self.get_object()
        data = s.ProductGroupInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        group = catalogue.product_group_save(
            actor=request.user,
            group=group,
            name=values.get("name", group.name),
            parent=values.get("parent", group.parent),
        )
        return Response(s.ProductGroupOutput(group).data)


# --- price lists ------------------------------------------------------------------------------


class PriceListMixin(CatalogueApi):
    serializer_class = s.PriceListOutput

    def get_object(self) -> PriceList:
        self.require_price_lists()
        return found(selectors.pricelist_get(self.kwargs["pk"]))


@extend_schema_view(
    get=extend_schema(operation_id="price_lists_list", description="Price lists, highest priority first."),
    post=extend_schema(operation_id="price_lists_create", request=s.PriceListInput, responses={201: s.PriceListOutput}),
)
class PriceListListApi(PriceListMixin, mixins.ListModelMixin):
    # ListModelMixin only tells the schema generator that GET returns a paged list
    def get(self, request: Request) -> Response:
        self.require_price_lists()
        page = self.paginate_queryset(selectors.pricelist_list())
        return self.get_paginated_response(s.PriceListOutput(page, many=True).data)

    def post(self, request: Request) -> Response:
        data = s.PriceListInput(data=request.data)
        data.is_valid(raise_exception=True)
        price_list = catalogue.price_list_save(actor=request.user, **data.validated_data)
        return Response(s.PriceListOutput(price_list).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(operation_id="price_lists_retrieve"),
    put=extend_schema(operation_id="price_lists_update", request=s.PriceListInput, responses=s.PriceListOutput),
    patch=extend_schema(
        operation_id="price_lists_partial_update", request=s.PriceListInput, responses=s.PriceListOutput
    ),
    delete=extend_schema(operation_id="price_lists_destroy", responses={204: None}),
)
class PriceListDetailApi(PriceListMixin):
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.PriceListOutput(self.get_object()).data)

    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    def delete(self, request: Request, pk: int) -> Response:
        catalogue.price_list_delete(actor=request.user, price_list=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, *, partial: bool) -> Response:
        price_list = self.get_object()
        data = s.PriceListInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        price_list = catalogue.price_list_save(actor=request.user, price_list=price_list, **data.validated_data)
        return Response(s.PriceListOutput(price_list).data)


@extend_schema_view(
    get=extend_schema(operation_id="price_list_items_list", description="The list's fixed prices, by product name."),
    post=extend_schema(
        operation_id="price_list_items_set",
        request=s.PriceListItemInput,
        responses=s.PriceListItemOutput,
        description="Set (or change) the fixed price of a product in the list.",
    ),
)
class PriceListItemsApi(PriceListMixin):
    serializer_class = s.PriceListItemOutput

    def get(self, request: Request, pk: int) -> Response:
        price_list = self.get_object()
        page = self.paginate_queryset(selectors.pricelist_items(price_list))
        return self.get_paginated_response(s.PriceListItemOutput(page, many=True).data)

    def post(self, request: Request, pk: int) -> Response:
        price_list = self.get_object()
        data = s.PriceListItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        product = selectors.product_get(data.validated_data["product"], user=request.user)
        if product is None:
            raise Http404
        item = catalogue.price_list_item_set(
            actor=request.user, price_list=price_list, product=product, price=data.validated_data["price"]
        )
        return Response(s.PriceListItemOutput(item).data)


@extend_schema_view(delete=extend_schema(operation_id="price_list_items_destroy", responses={204: None}))
class PriceListItemDetailApi(PriceListMixin):
    serializer_class = s.PriceListItemOutput

    def delete(self, request: Request, pk: int, product_id: int) -> Response:
        price_list = self.get_object()
        product = found(selectors.product_get(product_id, user=request.user, include_deleted=True))
        if not price_list.items.filter(product=product).exists():
            raise Http404
        catalogue.price_list_item_remove(actor=request.user, price_list=price_list, product=product)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _rule_targets(values: dict[str, Any]) -> tuple[ProductGroup | None, Product | None]:
    group = found(selectors.group_get(values["group"])) if values.get("group") else None
    product = found(selectors.product_get(values["product"])) if values.get("product") else None
    return group, product


@extend_schema_view(
    get=extend_schema(operation_id="price_list_rules_list", description="The list's policies."),
    post=extend_schema(
        operation_id="price_list_rules_create", request=s.PriceListRuleInput, responses={201: s.PriceListRuleOutput}
    ),
)
class PriceListRulesApi(PriceListMixin):
    serializer_class = s.PriceListRuleOutput

    def get(self, request: Request, pk: int) -> Response:
        price_list = self.get_object()
        page = self.paginate_queryset(selectors.pricelist_rules(price_list))
        return self.get_paginated_response(s.PriceListRuleOutput(page, many=True).data)

    def post(self, request: Request, pk: int) -> Response:
        price_list = self.get_object()
        data = s.PriceListRuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        group, product = _rule_targets(data.validated_data)
        rule = catalogue.price_list_rule_save(
            actor=request.user,
            price_list=price_list,
            method=data.validated_data["method"],
            value=data.validated_data["value"],
            group=group,
            product=product,
        )
        return Response(s.PriceListRuleOutput(rule).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    put=extend_schema(
        operation_id="price_list_rules_update", request=s.PriceListRuleInput, responses=s.PriceListRuleOutput
    ),
    delete=extend_schema(operation_id="price_list_rules_destroy", responses={204: None}),
)
class PriceListRuleDetailApi(PriceListMixin):
    serializer_class = s.PriceListRuleOutput

    def rule(self, price_list: PriceList) -> PriceListRule:
        return found(PriceListRule.objects.filter(pk=self.kwargs["rule_id"], price_list=price_list).first())

    def put(self, request: Request, pk: int, rule_id: int) -> Response:
        price_list = self.get_object()
        rule = self.rule(price_list)
        data = s.PriceListRuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        group, product = _rule_targets(data.validated_data)
        rule = catalogue.price_list_rule_save(
            actor=request.user,
            price_list=price_list,
            rule=rule,
            method=data.validated_data["method"],
            value=data.validated_data["value"],
            group=group,
            product=product,
        )
        return Response(s.PriceListRuleOutput(rule).data)

    def delete(self, request: Request, pk: int, rule_id: int) -> Response:
        price_list = self.get_object()
        catalogue.price_list_rule_delete(actor=request.user, price_list=price_list, rule=self.rule(price_list))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- prices -----------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        operation_id="prices_retrieve",
        parameters=[s.PricesQuery],
        responses=s.PricesOutput,
        description=(
            "Unit prices of products under a price list on a date: the given list, or the one "
            "chosen for `customer_class` (none: sale prices). Unknown products are left out."
        ),
    )
)
class PricesApi(CatalogueApi):
    serializer_class = s.PricesOutput
    pagination_class = None

    def get(self, request: Request) -> Response:
        params = query_params(s.PricesQuery, request)
        on = params.get("on") or timezone.localdate()
        if params.get("price_list"):
            price_list = found(selectors.pricelist_get(params["price_list"]))
        else:
            price_list = price_list_choose(customer_class=params.get("customer_class", ""), on=on)
        products = [p for p in selectors.products_by_ids(params["products"]).values() if p.deleted_at is None]
        prices = prices_for(price_list=price_list, products=products, on=on)
        body = {
            "price_list": price_list,
            "on": on,
            "prices": [{"product": pk, "price": prices[pk]} for pk in params["products"] if pk in prices],
        }
        return Response(s.PricesOutput(body).data)


urlpatterns = [
    path("products/", ProductListApi.as_view(), name="api_products"),
    path("products/<int:pk>/", ProductDetailApi.as_view(), name="api_product"),
    path("product-groups/", GroupListApi.as_view(), name="api_product_groups"),
    path("product-groups/<int:pk>/", GroupDetailApi.as_view(), name="api_product_group"),
    path("price-lists/", PriceListListApi.as_view(), name="api_price_lists"),
    path("price-lists/<int:pk>/", PriceListDetailApi.as_view(), name="api_price_list"),
    path("price-lists/<int:pk>/items/", PriceListItemsApi.as_view(), name="api_price_list_items"),
    path(
        "price-lists/<int:pk>/items/<int:product_id>/",
        PriceListItemDetailApi.as_view(),
        name="api_price_list_item",
    ),
    path("price-lists/<int:pk>/rules/", PriceListRulesApi.as_view(), name="api_price_list_rules"),
    path("price-lists/<int:pk>/rules/<int:rule_id>/", PriceListRuleDetailApi.as_view(), name="api_price_list_rule"),
    path("prices/", PricesApi.as_view(), name="api_prices"),
]
