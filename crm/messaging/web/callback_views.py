"""Gateway callbacks: delivery reports and inbound SMS (shared secret, idempotent)."""

urlpatterns: list = []
