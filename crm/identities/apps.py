from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentitiesConfig(AppConfig):
    name = "crm.identities"
    label = "identities"
    verbose_name = _("Identities")

    def ready(self) -> None:
        from crm.core.demo.registry import register_demo_loader
        from crm.identities import access, navigation, registrations  # noqa: F401 - policies, pages, widgets
        from crm.identities.demo import load

        register_demo_loader("identities", 30, load)
