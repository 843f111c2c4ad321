"""Quotes, invoices and returns: list, form with lines, detail, approval."""

urlpatterns: list = []
