"""Public pages of inventory (no staff login: links sent to customers, callbacks)."""

from django.urls import path  # noqa: F401

app_name = "inventory_public"

urlpatterns: list = []
