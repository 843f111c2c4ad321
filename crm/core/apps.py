from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "crm.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from crm.core import checks  # noqa: F401 - registers system checks
        from crm.core.dashboard import builtin_widgets  # noqa: F401 - registers widgets
        from crm.core.demo.platform import load as load_platform_demo
        from crm.core.demo.registry import register_demo_loader
        from crm.core.items import services as item_services  # noqa: F401 - reminder handler, message kinds
        from crm.core.notifications.services import register_builtin_transports
        from crm.core.web import nav_entries  # noqa: F401 - registers settings pages

        register_demo_loader("platform", 10, load_platform_demo)
        register_builtin_transports()
