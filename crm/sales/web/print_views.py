"""Printing documents: HTML preview and PDF (WeasyPrint)."""

urlpatterns: list = []
