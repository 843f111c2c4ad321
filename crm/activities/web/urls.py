"""CRM items pages under /work/: calendars and appointments (calendar_views), tasks and
cartables (task_views), calls, notes and files (item_views), work reports and figures
(report_views)."""

from crm.activities.web.calendar_views import urlpatterns as calendar_urls
from crm.activities.web.item_views import urlpatterns as item_urls
from crm.activities.web.report_views import urlpatterns as report_urls
from crm.activities.web.task_views import urlpatterns as task_urls

app_name = "activities"
urlpatterns = [*calendar_urls, *task_urls, *item_urls, *report_urls]
