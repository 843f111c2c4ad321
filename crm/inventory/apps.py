from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "crm.inventory"
    label = "inventory"
    verbose_name = _("Stock")

    def ready(self) -> None:
        import importlib

        from crm.core.demo.registry import register_demo_loader

        # policies, pages, item types, event handlers, due handlers; each lands with its module
        for module in ("access", "registrations", "navigation", "handlers", "jobs"):
            try:
                importlib.import_module(f"crm.inventory.{module}")
            except ModuleNotFoundError as exc:
                if not f"crm.inventory.{module}".startswith(exc.name or "-"):
                    raise
        try:
            from crm.inventory.demo import load
        except ImportError:
            return
        register_demo_loader("inventory", 70, load)
