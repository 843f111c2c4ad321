from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "crm.finance"
    label = "finance"
    verbose_name = _("Finance")

    def ready(self) -> None:
        import importlib

        from crm.core.demo.registry import register_demo_loader

        # policies, pages, item types, event handlers, due handlers; each lands with its module
        for module in ("access", "registrations", "navigation", "handlers", "jobs"):
            try:
                importlib.import_module(f"crm.finance.{module}")
            except ModuleNotFoundError as exc:
                if not f"crm.finance.{module}".startswith(exc.name or "-"):
                    raise
        try:
            from crm.finance.demo import load
        except ImportError:
            return
        register_demo_loader("finance", 80, load)
