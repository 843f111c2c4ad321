"""System checks that `manage.py check --deploy` runs in CI."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def demo_password_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    if not settings.DEBUG and settings.CRM_DEMO_ADMIN_PASSWORD == "admin":  # noqa: S105
        return [Error("The demo admin password is set.", hint="Set CRM_ADMIN_PASSWORD.", id="crm.E001")]
    return []
