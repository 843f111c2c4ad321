"""Identities pages: profile/list/forms (views.py), import (import_views.py),
duplicates and merge (merge_views.py)."""

from crm.identities.web.import_views import urlpatterns as import_urls
from crm.identities.web.merge_views import urlpatterns as merge_urls
from crm.identities.web.views import urlpatterns as identity_urls

urlpatterns = [*identity_urls, *import_urls, *merge_urls]
