"""Routes of the sales API under /api/v1/."""

from crm.sales.api import catalogue_api, document_api

urlpatterns = document_api.urlpatterns + catalogue_api.urlpatterns
