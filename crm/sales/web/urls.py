"""Pages of sales, mounted at /sales/."""

from crm.sales.web import catalogue_views, document_views, print_views

app_name = "sales"

urlpatterns = document_views.urlpatterns + catalogue_views.urlpatterns + print_views.urlpatterns
