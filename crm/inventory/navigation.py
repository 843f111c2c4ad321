from django.utils.translation import gettext_lazy as _

from crm.core.web.navigation import NavItem, register_nav

register_nav(NavItem("stock", _("Stock"), "inventory:stock_report", "bi-boxes", "main", None, 52))
register_nav(
    NavItem(
        "warehouses", _("Warehouses"), "inventory:warehouse_list", "bi-building", "admin", "inventory.add_warehouse", 52
    )
)
