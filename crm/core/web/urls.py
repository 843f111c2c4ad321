from django.contrib.auth import views as auth_views
from django.urls import path

from crm.core.web import admin_views, views
from crm.core.web.auth import LoginView, LogoutView

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/widgets/", views.dashboard_change, name="dashboard_change"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("i18n/set/", views.set_language, name="set_language"),
    path("filters/save/", views.saved_filter_create_view, name="saved_filter_create"),
    path("filters/<int:pk>/delete/", views.saved_filter_delete_view, name="saved_filter_delete"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("settings/custom-fields/", admin_views.custom_fields, name="custom_fields"),
    path("settings/custom-fields/new/", admin_views.custom_field_edit, name="custom_field_create"),
    path("settings/custom-fields/<int:pk>/", admin_views.custom_field_edit, name="custom_field_edit"),
    path("settings/numbering/", admin_views.numbering, name="numbering"),
    path("settings/numbering/sequences/new/", admin_views.sequence_edit, name="sequence_create"),
    path("settings/numbering/sequences/<int:pk>/", admin_views.sequence_edit, name="sequence_edit"),
    path("settings/numbering/documents/new/", admin_views.document_numbering_edit, name="document_numbering_create"),
    path("settings/numbering/documents/<int:pk>/", admin_views.document_numbering_edit, name="document_numbering_edit"),
    path("settings/lists/", admin_views.dictionaries, name="dictionaries"),
    path("settings/lists/<slug:dictionary>/new/", admin_views.dictionary_entry_edit, name="dictionary_entry_create"),
    path("settings/lists/<slug:dictionary>/<int:pk>/", admin_views.dictionary_entry_edit, name="dictionary_entry_edit"),
    path(
        "settings/lists/entries/<int:pk>/delete/", admin_views.dictionary_entry_remove, name="dictionary_entry_delete"
    ),
    path("settings/access-rules/", admin_views.access_rules, name="access_rules"),
    path(
        "settings/access-rules/<slug:kind>/<int:pk>/delete/", admin_views.access_rule_remove, name="access_rule_delete"
    ),
    path("settings/audit/", admin_views.audit_log, name="audit_log"),
]

# Teamwork on CRM items (issue #4): the shared item panel and file downloads, notifications
# and system message templates, the global CRM history.
from crm.core.web.history_views import urlpatterns as history_urls  # noqa: E402
from crm.core.web.item_views import urlpatterns as item_urls  # noqa: E402
from crm.core.web.notification_views import urlpatterns as notification_urls  # noqa: E402

urlpatterns += [*item_urls, *notification_urls, *history_urls]
