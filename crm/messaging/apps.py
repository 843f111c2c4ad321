from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "crm.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        import importlib

        from crm.core.demo.registry import register_demo_loader

        # policies, pages, item types, transports, due handlers; each lands with its module
        for module in (
            "access",
            "registrations",
            "navigation",
            "transports",
            "mail.transport",
            "mail.jobs",
            "fax",
            "jobs",
            "inbound",
            "profile",
        ):
            try:
                importlib.import_module(f"crm.messaging.{module}")
            except ModuleNotFoundError as exc:
                if not f"crm.messaging.{module}".startswith(exc.name or "-"):
                    raise
        try:
            from crm.messaging.demo import load
        except ImportError:
            return
        register_demo_loader("messaging", 50, load)
