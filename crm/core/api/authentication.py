"""Token sign-in for the API that also applies the user's language and calendar.

Session users get their preferences from `crm.core.i18n.middleware`, which runs after
Django's authentication. A token is only read inside the DRF view, after the middleware,
so without this a Persian integration user would get English messages and dates.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from rest_framework import authentication
from rest_framework.request import Request

from crm.core.i18n.calendars import CALENDARS, activate_calendar, default_calendar_for


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user = result[0]
            if getattr(user, "language", ""):
                translation.activate(user.language)
                request._request.LANGUAGE_CODE = user.language
            calendar = getattr(user, "calendar", "")
            # The calendar middleware resets this context variable when the request ends.
            activate_calendar(calendar if calendar in CALENDARS else default_calendar_for(translation.get_language()))
        return result
