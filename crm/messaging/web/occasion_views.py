"""Occasion messages (birthdays, holidays, special dates)."""

urlpatterns: list = []
