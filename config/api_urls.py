"""Mounted at /api/v1/: each context contributes its routes."""

from django.urls import include, path, re_path

from crm.core.api.views import NotFoundApi

urlpatterns = [
    path("", include("crm.core.api.urls")),
    path("", include("crm.org.api.urls")),
    path("", include("crm.identities.api.urls")),
    path("", include("crm.activities.api.urls")),
    path("", include("crm.messaging.api.urls")),
    path("", include("crm.sales.api.urls")),
    path("", include("crm.inventory.api.urls")),
    path("", include("crm.finance.api.urls")),
    path("", include("crm.core.api.items")),  # comments, follow-ups, attachments on any item; feeds; history
    re_path(r"", NotFoundApi.as_view(), name="api_not_found"),  # last: unknown paths get the JSON 404
]
