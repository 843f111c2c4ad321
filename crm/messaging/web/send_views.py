"""Quick send of SMS, email or fax to one or many identities."""

urlpatterns: list = []
