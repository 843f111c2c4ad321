"""Bulk sends, their reports, target groups and newsletters."""

urlpatterns: list = []
