from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.web.navigation import NavItem, QuickCreate, register_nav, register_quick_create

register_nav(NavItem("work_calendar", _("Work calendar"), "activities:calendar", "bi-calendar3", "main", None, 20))
register_nav(
    NavItem(
        "meeting_cartable",
        _("Appointment cartable"),
        "activities:meeting_cartable",
        "bi-calendar-check",
        "main",
        None,
        21,
    )
)
register_nav(NavItem("task_cartable", _("Task cartable"), "activities:task_cartable", "bi-inboxes", "main", None, 22))
register_nav(NavItem("calls", _("Phone calls"), "activities:call_list", "bi-telephone", "main", None, 24))
register_nav(NavItem("notes", _("Notes"), "activities:note_list", "bi-journal-text", "main", None, 25))
register_nav(NavItem("documents", _("Files"), "activities:document_list", "bi-folder2", "main", None, 26))
register_nav(
    NavItem("work_reports", _("Work reports"), "activities:report_list", "bi-clipboard-check", "main", None, 28)
)
register_nav(
    NavItem(
        "calendars",
        _("Calendars and rooms"),
        "activities:calendar_admin",
        "bi-calendar-range",
        "admin",
        "activities.manage_calendars",
        30,
    )
)
register_nav(
    NavItem(
        "task_types",
        _("Task types"),
        "activities:task_type_list",
        "bi-diagram-3",
        "admin",
        "activities.add_tasktype",
        31,
    )
)

register_quick_create(
    QuickCreate(
        "meeting", pgettext_lazy("meeting", "Appointment"), "activities:meeting_create", "bi-calendar-plus", None, 10
    )
)
register_quick_create(QuickCreate("task", _("Task"), "activities:task_create", "bi-check2-square", None, 20))
register_quick_create(QuickCreate("call", _("Phone call"), "activities:call_create", "bi-telephone-plus", None, 30))
register_quick_create(QuickCreate("note", _("Note"), "activities:note_create", "bi-journal-plus", None, 40))
register_quick_create(
    QuickCreate("document", _("File"), "activities:document_create", "bi-file-earmark-plus", None, 50)
)
