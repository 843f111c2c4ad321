"""Pages of messaging (signed-in staff), mounted at /messages/."""

from crm.messaging.web import (
    bulk_views,
    inbound_views,
    mail_views,
    occasion_views,
    send_views,
    sms_views,
    template_views,
)

app_name = "messaging"

urlpatterns = (
    sms_views.urlpatterns
    + mail_views.urlpatterns
    + template_views.urlpatterns
    + send_views.urlpatterns
    + occasion_views.urlpatterns
    + inbound_views.urlpatterns
    + bulk_views.urlpatterns
)
