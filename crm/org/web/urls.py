from django.urls import path

from crm.org.web import employee_views, views

urlpatterns = [
    path("", views.org_chart, name="org_chart"),
    path("departments/new/", views.department_edit, name="department_create"),
    path("departments/<int:pk>/", views.department_edit, name="department_edit"),
    path("departments/<int:pk>/delete/", views.department_delete, name="department_delete"),
    path("positions/", views.position_list, name="position_list"),
    path("positions/new/", views.position_edit, name="position_create"),
    path("positions/<int:pk>/", views.position_edit, name="position_edit"),
    path("appointments/", views.appointment_list, name="appointment_list"),
    path("appointments/new/", views.appointment_create, name="appointment_create"),
    path("appointments/<int:pk>/end/", views.appointment_end, name="appointment_end"),
    path("substitutions/new/", views.substitution_create, name="substitution_create"),
    path("substitutions/<int:pk>/delete/", views.substitution_delete, name="substitution_delete"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/toggle/", views.user_toggle_active, name="user_toggle_active"),
    path("employees/", employee_views.employee_list, name="employee_list"),
    path("employees/new/", employee_views.employee_edit, name="employee_create"),
    path("employees/<int:pk>/", employee_views.employee_detail, name="employee_detail"),
    path("employees/<int:pk>/edit/", employee_views.employee_edit, name="employee_edit"),
    path("employees/<int:pk>/delete/", employee_views.employee_delete, name="employee_delete"),
    path("employees/<int:pk>/restore/", employee_views.employee_restore, name="employee_restore"),
    path("mail-settings/", views.mail_settings, name="mail_settings"),
    path("preferences/", views.preferences, name="preferences"),
]
