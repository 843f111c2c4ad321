"""Mounted at /api/v1/: each context contributes its routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("crm.core.api.urls")),
    path("", include("crm.org.api.urls")),
]
