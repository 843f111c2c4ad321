"""Public sales URLs (links sent to customers), mounted at /d/."""

from crm.sales.web import customer_views

app_name = "sales_public"

urlpatterns = customer_views.urlpatterns
