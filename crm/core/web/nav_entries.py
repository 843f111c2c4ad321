from django.utils.translation import gettext_lazy as _

from crm.core.web.navigation import NavItem, register_nav

register_nav(
    NavItem(
        "custom_fields",
        _("Custom fields"),
        "custom_fields",
        "bi-ui-checks",
        "admin",
        "core.view_customfielddefinition",
        50,
    )
)
register_nav(NavItem("numbering", _("Numbering"), "numbering", "bi-123", "admin", "core.view_numbersequence", 60))
register_nav(
    NavItem(
        "dictionaries", _("Lists and statuses"), "dictionaries", "bi-list-ul", "admin", "core.view_dictionaryentry", 70
    )
)
register_nav(
    NavItem("access_rules", _("Record rules"), "access_rules", "bi-shield-lock", "admin", "core.view_recordrule", 80)
)
register_nav(NavItem("audit_log", _("Audit log"), "audit_log", "bi-journal-text", "admin", "core.view_auditentry", 90))
register_nav(NavItem("crm_history", _("CRM history"), "crm_history", "bi-clock-history", "main", None, 29))
register_nav(
    NavItem(
        "message_templates",
        _("System messages"),
        "message_template_list",
        "bi-chat-square-text",
        "admin",
        "core.change_messagetemplate",
        85,
    )
)
