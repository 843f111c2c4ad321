"""Messaging API: send, list, status."""

urlpatterns: list = []
