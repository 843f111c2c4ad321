"""Pages of inventory (signed-in staff), mounted at /stock/."""

from crm.inventory.web.views import urlpatterns

app_name = "inventory"

__all__ = ["app_name", "urlpatterns"]
