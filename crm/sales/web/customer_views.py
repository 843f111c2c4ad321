"""The customer's page for a document sent to them: view, approve, reject (signed link)."""

urlpatterns: list = []
