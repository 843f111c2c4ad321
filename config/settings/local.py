"""The embedded default used by `make run`: SQLite, DEBUG on, one worker."""

from config.env import env_bool, env_str
from config.settings.base import *

DEBUG = env_bool("CRM_DEBUG", True)

# The embedded setup has no mail server: notification emails are printed by the worker
# unless an SMTP host is configured.
if not env_str("CRM_SMTP_HOST"):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
