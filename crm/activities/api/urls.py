"""Routes of the CRM items API under /api/v1/. Appointments are `meetings/`: the org
context's `appointments/` are appointments of users to positions (decrees)."""

from django.urls import path

from crm.activities.api import views

urlpatterns = [
    path("calendars/", views.CalendarListApi.as_view(), name="api_calendars"),
    path("calendars/<int:pk>/", views.CalendarDetailApi.as_view(), name="api_calendar"),
    path("rooms/", views.RoomListApi.as_view(), name="api_rooms"),
    path("meetings/", views.MeetingListApi.as_view(), name="api_meetings"),
    path("meetings/cartable/", views.MeetingCartableApi.as_view(), name="api_meeting_cartable"),
    path("meetings/<int:pk>/", views.MeetingDetailApi.as_view(), name="api_meeting"),
    path("meetings/<int:pk>/cancel/", views.MeetingCancelApi.as_view(), name="api_meeting_cancel"),
    path("meetings/<int:pk>/respond/", views.MeetingRespondApi.as_view(), name="api_meeting_respond"),
    path("freebusy/", views.FreeBusyApi.as_view(), name="api_freebusy"),
    path("tasks/", views.TaskListApi.as_view(), name="api_tasks"),
    path("tasks/<int:pk>/", views.TaskDetailApi.as_view(), name="api_task"),
    path("tasks/<int:pk>/refer/", views.TaskReferApi.as_view(), name="api_task_refer"),
    path("tasks/<int:pk>/done/", views.TaskDoneApi.as_view(), name="api_task_done"),
    path("task-statuses/", views.TaskStatusListApi.as_view(), name="api_task_statuses"),
    path("task-types/", views.TaskTypeListApi.as_view(), name="api_task_types"),
    path("calls/", views.CallListApi.as_view(), name="api_calls"),
    path("calls/<int:pk>/", views.CallDetailApi.as_view(), name="api_call"),
    path("notes/", views.NoteListApi.as_view(), name="api_notes"),
    path("notes/<int:pk>/", views.NoteDetailApi.as_view(), name="api_note"),
    path("files/", views.DocumentListApi.as_view(), name="api_files"),
    path("files/<int:pk>/", views.DocumentDetailApi.as_view(), name="api_file"),
    path("files/<int:pk>/versions/", views.DocumentVersionApi.as_view(), name="api_file_versions"),
    path("work-reports/", views.WorkReportListApi.as_view(), name="api_work_reports"),
    path("work-reports/<int:pk>/", views.WorkReportDetailApi.as_view(), name="api_work_report"),
    path("work-reports/<int:pk>/submit/", views.WorkReportSubmitApi.as_view(), name="api_work_report_submit"),
]
