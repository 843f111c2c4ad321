"""Public pages of finance (no staff login: links sent to customers, callbacks)."""

from django.urls import path  # noqa: F401

app_name = "finance_public"

urlpatterns: list = []
