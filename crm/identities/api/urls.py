from django.urls import path

from crm.identities.api import views

urlpatterns = [
    path("identities/", views.IdentityListApi.as_view(), name="api_identities"),
    path("identities/quick-search/", views.IdentityQuickSearchApi.as_view(), name="api_identity_quick_search"),
    path("identities/resolve/", views.IdentityResolveApi.as_view(), name="api_identity_resolve"),
    path("identities/<int:pk>/", views.IdentityDetailApi.as_view(), name="api_identity"),
    path("identities/<int:pk>/restore/", views.IdentityRestoreApi.as_view(), name="api_identity_restore"),
    path(
        "identities/<int:pk>/customer-number/",
        views.IdentityCustomerNumberApi.as_view(),
        name="api_identity_customer_number",
    ),
    path("identities/<int:pk>/phones/", views.IdentityAddPhoneApi.as_view(), name="api_identity_phone_add"),
    path("identity-categories/", views.IdentityCategoryListApi.as_view(), name="api_identity_categories"),
]
