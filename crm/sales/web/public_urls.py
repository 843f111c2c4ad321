"""Public pages of sales (no staff login: links sent to customers, callbacks)."""

from django.urls import path  # noqa: F401

app_name = "sales_public"

urlpatterns: list = []
