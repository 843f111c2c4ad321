"""Placeholder module owned by a helper; filled in this issue."""

urlpatterns: list = []
