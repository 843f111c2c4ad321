"""Inbound SMS surveys/contests with results, routing rules."""

urlpatterns: list = []
