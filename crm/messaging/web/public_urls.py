"""Public messaging URLs (no staff login), mounted at /m/."""

from crm.messaging.web import callback_views, tracking_views

app_name = "messaging_public"

urlpatterns = callback_views.urlpatterns + tracking_views.urlpatterns
