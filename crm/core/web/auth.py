"""Sign-in with throttling: after N failures for a username or an address, wait."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


def _keys(request: HttpRequest, username: str) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "")
    return [f"login-fail:user:{username.lower()[:150]}", f"login-fail:ip:{address}"]


def login_locked(request: HttpRequest, username: str) -> bool:
    """An account locks after N failures; an address only after 10×N (one office behind
    one NAT address must not lock everyone out because of one person's typos)."""
    user_key, address_key = _keys(request, username)
    limit = settings.CRM_LOGIN_MAX_FAILURES
    return (cache.get(user_key) or 0) >= limit or (cache.get(address_key) or 0) >= limit * 10


def login_failed(request: HttpRequest, username: str) -> None:
    for key in _keys(request, username):
        cache.add(key, 0, settings.CRM_LOGIN_LOCK_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.CRM_LOGIN_LOCK_SECONDS)


def login_succeeded(request: HttpRequest, username: str) -> None:
    cache.delete(_keys(request, username)[0])


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = self.data.get("username", "")
        if login_locked(self.request, username):
            raise self.get_invalid_login_error().__class__(
                _("Too many failed sign-in attempts. Try again in a few minutes."), code="throttled"
            )
        try:
            cleaned = super().clean()
        except Exception:
            login_failed(self.request, username)
            raise
        login_succeeded(self.request, username)
        return cleaned

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"class": "form-control", "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"class": "form-control", "autocomplete": "current-password"})


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if any(e.code == "throttled" for e in form.non_field_errors().as_data()):
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    """Signing out also wipes pages the service worker kept for offline reading."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache"'
        return response
