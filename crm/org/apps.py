from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "crm.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from crm.core.demo.registry import register_demo_loader
        from crm.org import access, mentions, navigation, widgets  # noqa: F401 - policies, mentions, pages, widgets
        from crm.org.demo import load

        register_demo_loader("org", 20, load)
