from django.utils.translation import gettext_lazy as _

from crm.core.web.navigation import NavItem, register_nav

register_nav(NavItem("org_chart", _("Organisation"), "org_chart", "bi-diagram-3", "main", None, 80))
register_nav(NavItem("employees", _("Employees"), "employee_list", "bi-person-vcard", "main", None, 85))
register_nav(NavItem("users", _("Users"), "user_list", "bi-people", "admin", "org.view_user", 10))
register_nav(
    NavItem(
        "positions", _("Positions and rights"), "position_list", "bi-person-badge", "admin", "org.view_position", 20
    )
)
register_nav(
    NavItem(
        "appointments", _("Appointments"), "appointment_list", "bi-calendar2-check", "admin", "org.view_appointment", 30
    )
)
register_nav(
    NavItem(
        "mail_settings",
        _("Mail server"),
        "mail_settings",
        "bi-envelope-at",
        "admin",
        "org.change_mailserversettings",
        40,
    )
)
