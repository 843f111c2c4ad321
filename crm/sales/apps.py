from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "crm.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        import importlib

        from crm.core.demo.registry import register_demo_loader

        # policies, pages, item types, event handlers, due handlers; each lands with its module
        for module in ("access", "registrations", "navigation", "handlers", "jobs"):
            try:
                importlib.import_module(f"crm.sales.{module}")
            except ModuleNotFoundError as exc:
                if not f"crm.sales.{module}".startswith(exc.name or "-"):
                    raise
        try:
            from crm.sales.demo import load
        except ImportError:
            return
        register_demo_loader("sales", 60, load)
