"""Public pages of finance (no staff login: links sent to customers, callbacks)."""

from django.urls import path

from crm.finance.web import public_views

app_name = "finance_public"

urlpatterns = [
    path("sandbox/<str:authority>/", public_views.sandbox_bank, name="sandbox_bank"),
    path("callback/<slug:provider>/", public_views.callback, name="callback"),
    path("<str:token>/", public_views.pay, name="pay"),
]
