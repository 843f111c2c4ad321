"""Email open pixel, click-tracked links and the unsubscribe page (signed tokens)."""

urlpatterns: list = []
