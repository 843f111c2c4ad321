from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "crm.activities"
    label = "activities"
    verbose_name = _("CRM items")

    def ready(self) -> None:
        from crm.activities import access, navigation, registrations  # noqa: F401 - policies, pages, item types, widgets
        from crm.core.demo.registry import register_demo_loader

        try:
            from crm.activities.demo import load
        except ImportError:  # the demo loader lands with the pages
            return
        register_demo_loader("activities", 40, load)
