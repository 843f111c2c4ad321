"""Sales documents API (with approve/reject actions)."""

urlpatterns: list = []
