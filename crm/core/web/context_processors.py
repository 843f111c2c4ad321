from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language

from crm.core.i18n.calendars import get_calendar
from crm.core.web.navigation import nav_for, quick_create_for


def shell(request: HttpRequest) -> dict[str, Any]:
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "crm_lang": language,
        "crm_dir": "rtl" if language in settings.RTL_LANGUAGES else "ltr",
        "crm_calendar": get_calendar(),
        "crm_today": timezone.localdate(),
        "crm_languages": settings.LANGUAGES,
        "crm_nav_main": nav_for(user, "main") if signed_in else [],
        "crm_nav_admin": nav_for(user, "admin") if signed_in else [],
        "crm_quick_create": quick_create_for(user) if signed_in else [],
    }
