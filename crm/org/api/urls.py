from django.urls import path

from crm.org.api import views

urlpatterns = [
    path("me/", views.MeApi.as_view(), name="api_me"),
    path("users/", views.UserListApi.as_view(), name="api_users"),
    path("departments/", views.DepartmentListApi.as_view(), name="api_departments"),
    path("departments/<int:pk>/", views.DepartmentDetailApi.as_view(), name="api_department"),
    path("positions/", views.PositionListApi.as_view(), name="api_positions"),
    path("positions/<int:pk>/", views.PositionDetailApi.as_view(), name="api_position"),
    path("appointments/", views.AppointmentListApi.as_view(), name="api_appointments"),
    path("appointments/<int:pk>/", views.AppointmentDetailApi.as_view(), name="api_appointment"),
    path("appointments/<int:pk>/end/", views.AppointmentEndApi.as_view(), name="api_appointment_end"),
    path("substitutions/", views.SubstitutionListApi.as_view(), name="api_substitutions"),
    path("substitutions/<int:pk>/", views.SubstitutionDetailApi.as_view(), name="api_substitution"),
    path("employees/", views.EmployeeCardListApi.as_view(), name="api_employees"),
    path("employees/<int:pk>/", views.EmployeeCardDetailApi.as_view(), name="api_employee"),
    path("employees/<int:pk>/restore/", views.EmployeeCardRestoreApi.as_view(), name="api_employee_restore"),
]
