"""Routes of the messaging API under /api/v1/."""

from crm.messaging.api import views

urlpatterns = views.urlpatterns
