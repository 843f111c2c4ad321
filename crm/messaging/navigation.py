from django.utils.translation import gettext_lazy as _

from crm.core.web.navigation import NavItem, QuickCreate, register_nav, register_quick_create

register_nav(NavItem("mail", _("My email"), "messaging:mail_inbox", "bi-envelope", "main", None, 40))
register_nav(NavItem("sms", _("SMS"), "messaging:sms_list", "bi-chat-dots", "main", None, 41))
register_nav(NavItem("fax", _("Fax"), "messaging:fax_list", "bi-printer", "main", None, 42))
register_nav(
    NavItem("bulk_sends", _("Bulk sends"), "messaging:bulk_list", "bi-megaphone", "main", "messaging.add_bulksend", 43)
)
register_nav(NavItem("target_groups", _("Target groups"), "messaging:group_list", "bi-people", "main", None, 44))
register_nav(NavItem("surveys", _("SMS surveys"), "messaging:survey_list", "bi-bar-chart", "main", None, 45))
register_nav(
    NavItem(
        "messaging_templates",
        _("Message templates"),
        "messaging:template_list",
        "bi-file-earmark-text",
        "admin",
        "messaging.add_template",
        40,
    )
)
register_nav(
    NavItem("mailboxes", _("Mailboxes"), "messaging:mailbox_list", "bi-mailbox", "admin", "messaging.add_mailbox", 41)
)
register_nav(
    NavItem("sms_lines", _("SMS and fax lines"), "messaging:line_list", "bi-sim", "admin", "messaging.add_smsline", 42)
)
register_nav(
    NavItem(
        "suppression",
        _("Blacklist and opt-outs"),
        "messaging:suppression_list",
        "bi-slash-circle",
        "admin",
        "messaging.view_suppression",
        43,
    )
)
register_nav(
    NavItem(
        "occasions", _("Occasion messages"), "messaging:occasion_list", "bi-gift", "admin", "messaging.add_occasion", 44
    )
)
register_nav(
    NavItem(
        "routing_rules",
        _("Inbound routing"),
        "messaging:routing_list",
        "bi-signpost-split",
        "admin",
        "messaging.add_routingrule",
        45,
    )
)

register_quick_create(QuickCreate("sms", _("SMS"), "messaging:quick_sms", "bi-chat-dots", None, 60))
register_quick_create(QuickCreate("email", _("Email"), "messaging:mail_compose", "bi-envelope-plus", None, 61))
