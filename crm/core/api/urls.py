from django.urls import path

from crm.core.api import views

urlpatterns = [
    path("custom-fields/", views.CustomFieldDefinitionListApi.as_view(), name="api_custom_fields"),
    path("numbering/sequences/", views.SequenceListApi.as_view(), name="api_sequences"),
    path("saved-filters/", views.SavedFilterListApi.as_view(), name="api_saved_filters"),
    path("saved-filters/<int:pk>/", views.SavedFilterDetailApi.as_view(), name="api_saved_filter"),
    path("audit/", views.AuditEntryListApi.as_view(), name="api_audit"),
]
