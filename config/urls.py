from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("crm.core.web.urls")),
    path("org/", include("crm.org.web.urls")),
    path("identities/", include("crm.identities.web.urls")),
    path("work/", include("crm.activities.web.urls")),
    path("messages/", include("crm.messaging.web.urls")),
    path("sales/", include("crm.sales.web.urls")),
    path("stock/", include("crm.inventory.web.urls")),
    path("finance/", include("crm.finance.web.urls")),
    # public URL spaces (links sent to customers, gateway callbacks): no staff login
    path("m/", include("crm.messaging.web.public_urls")),
    path("d/", include("crm.sales.web.public_urls")),
    path("pay/", include("crm.finance.web.public_urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("support-admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
