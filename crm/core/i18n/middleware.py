"""Per-user language and calendar (PL-2).

Language: the signed-in user's preference, else the session/cookie choice, else
Accept-Language, else the site default. Calendar: the user's preference, else the
session choice, else Jalali for fa and Gregorian otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from crm.core.i18n.calendars import CALENDARS, activate_calendar, default_calendar_for

SESSION_LANGUAGE = "crm_language"
SESSION_CALENDAR = "crm_calendar"


class UserLocaleMiddleware:
    """Runs before authentication: picks the language from session or browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supported = {code for code, _ in settings.LANGUAGES}
        language = request.session.get(SESSION_LANGUAGE) if hasattr(request, "session") else None
        if language not in supported:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in supported:
            language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class UserCalendarMiddleware:
    """Runs after authentication: the user's own language and calendar win."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        calendar = getattr(user, "calendar", "") if user and user.is_authenticated else ""
        if calendar not in CALENDARS:
            calendar = request.session.get(SESSION_CALENDAR, "")
        if calendar not in CALENDARS:
            calendar = default_calendar_for(translation.get_language())
        token = activate_calendar(calendar)
        request.crm_calendar = calendar
        try:
            return self.get_response(request)
        finally:
            from crm.core.i18n.calendars import _active

            _active.reset(token)
