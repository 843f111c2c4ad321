"""Public pages of messaging (no staff login: links sent to customers, callbacks)."""

from django.urls import path  # noqa: F401

app_name = "messaging_public"

urlpatterns: list = []
