"""Pages of sales (signed-in staff)."""

from django.urls import path  # noqa: F401

app_name = "sales"

urlpatterns: list = []
