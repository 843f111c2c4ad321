"""Pages of finance (signed-in staff)."""

from django.urls import path  # noqa: F401

app_name = "finance"

urlpatterns: list = []
