from django.utils.translation import gettext_lazy as _

from crm.core.web.navigation import NavItem, register_nav

register_nav(NavItem("identities", _("Identities"), "identity_list", "bi-person-lines-fill", "main", None, 10))
register_nav(NavItem("customers", _("Customers"), "customer_list", "bi-award", "main", None, 12))
register_nav(
    NavItem("my_identities", _("My assigned identities"), "my_identities", "bi-person-check", "main", None, 14)
)
register_nav(
    NavItem("duplicates", _("Duplicates"), "duplicate_list", "bi-intersect", "main", "identities.merge_identity", 16)
)
register_nav(
    NavItem(
        "identity_import",
        _("Import identities"),
        "identity_import",
        "bi-upload",
        "admin",
        "identities.import_identity",
        15,
    )
)
register_nav(
    NavItem(
        "categories",
        _("Identity categories"),
        "category_list",
        "bi-folder2-open",
        "admin",
        "identities.view_category",
        16,
    )
)
