from django.utils.translation import gettext_lazy as _

from crm.core.web.navigation import NavItem, QuickCreate, register_nav, register_quick_create

register_nav(
    NavItem(
        "receipts",
        _("Receipts and payments"),
        "finance:receipt_list",
        "bi-cash-coin",
        "main",
        "finance.view_receipt",
        60,
    )
)
register_nav(
    NavItem(
        "cheques", _("Cheques"), "finance:cheque_list", "bi-credit-card-2-front", "main", "finance.view_receipt", 61
    )
)
register_nav(
    NavItem(
        "payment_links",
        _("Payment links"),
        "finance:link_list",
        "bi-link-45deg",
        "main",
        "finance.view_paymentlink",
        62,
    )
)
register_nav(
    NavItem(
        "balances", _("Balances"), "finance:balance_list", "bi-bar-chart-line", "main", "finance.view_statement", 63
    )
)

register_quick_create(
    QuickCreate("receipt", _("Receipt"), "finance:receipt_create", "bi-cash-coin", "finance.add_receipt", 80)
)
register_quick_create(
    QuickCreate(
        "payment_link", _("Payment link"), "finance:link_create", "bi-link-45deg", "finance.add_paymentlink", 81
    )
)
