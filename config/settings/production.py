"""Production: secrets from the environment, HTTPS-only cookies, refuses demo credentials."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings.base import *
from config.settings.base import CRM_DEMO_ADMIN_PASSWORD, SECRET_KEY

DEBUG = False
if SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set CRM_SECRET_KEY to a long random value for production.")
if CRM_DEMO_ADMIN_PASSWORD == "admin":  # noqa: S105 - this is the check against it
    raise ImproperlyConfigured(
        "The demo admin password is still set: set CRM_ADMIN_PASSWORD to a strong value "
        "(and change the admin user's password) before running in production."
    )

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("CRM_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("CRM_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
if env_str("CRM_REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [env_str("CRM_REDIS_URL")]},
        }
    }
