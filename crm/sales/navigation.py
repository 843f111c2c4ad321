from django.utils.translation import gettext_lazy as _

from crm.core.web.navigation import NavItem, QuickCreate, register_nav, register_quick_create

register_nav(
    NavItem("sales_documents", _("Quotes and invoices"), "sales:document_list", "bi-receipt", "main", None, 50)
)
register_nav(NavItem("products", _("Products"), "sales:product_list", "bi-box-seam", "main", None, 51))
register_nav(
    NavItem("price_lists", _("Price lists"), "sales:pricelist_list", "bi-tags", "admin", "sales.add_pricelist", 50)
)
register_nav(
    NavItem(
        "document_settings",
        _("Document types"),
        "sales:settings_list",
        "bi-sliders",
        "admin",
        "sales.change_documentsettings",
        51,
    )
)

register_quick_create(QuickCreate("quote", _("Quote"), "sales:quote_create", "bi-file-earmark-plus", None, 70))
register_quick_create(QuickCreate("invoice", _("Invoice"), "sales:invoice_create", "bi-receipt", None, 71))
