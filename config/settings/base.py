"""Settings shared by every environment. Deployment knobs come from config.env."""

from __future__ import annotations

from django.utils.csp import CSP

from config.env import BASE_DIR, database_from_env, env_bool, env_int, env_list, env_str

SECRET_KEY = env_str("CRM_SECRET_KEY", "insecure-dev-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz")
DEBUG = env_bool("CRM_DEBUG", False)
ALLOWED_HOSTS = env_list("CRM_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.admin",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_tasks_db",
    "channels",
    "crm.core",
    "crm.org",
    "crm.identities",
    "crm.activities",
    "crm.messaging",
    "crm.sales",
    "crm.inventory",
    "crm.finance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm.core.i18n.middleware.UserLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.core.i18n.middleware.UserCalendarMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm.core.web.context_processors.shell",
            ],
            "builtins": ["crm.core.templatetags.crm"],
        },
    }
]

DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = ["crm.org.backends.PositionPermissionBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Languages and calendars (PL-2). Dates are stored in UTC; the user's calendar is a
# preference of its own (crm.core.i18n), independent of the language.
LANGUAGE_CODE = env_str("CRM_LANGUAGE", "fa")
LANGUAGES = [("fa", "فارسی"), ("en", "English"), ("uk", "Українська")]
RTL_LANGUAGES = {"fa"}
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("CRM_TIME_ZONE", "Asia/Tehran")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "dist"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env_str("CRM_MEDIA_ROOT", str(BASE_DIR / "var" / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
CRM_UPLOAD_MAX_BYTES = env_int("CRM_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "crm_cache",
    }
}

# Background work: Django Tasks API with the database backend (ADR 0004).
# Outgoing mail of the platform (notifications); the messaging module adds per-mailbox
# servers. SMTP on the configured host; the embedded setup prints to the console instead.
MAILERS = {
    "default": {
        "BACKEND": env_str("CRM_MAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": env_str("CRM_SMTP_HOST", "127.0.0.1"),
            "port": env_int("CRM_SMTP_PORT", 25),
            "username": env_str("CRM_SMTP_USER", ""),
            "password": env_str("CRM_SMTP_PASSWORD", ""),
            "use_tls": env_bool("CRM_SMTP_TLS", False),
            "timeout": 20,
        },
    }
}
DEFAULT_FROM_EMAIL = env_str("CRM_MAIL_FROM", "crm@localhost")
CRM_PUBLIC_URL = env_str("CRM_PUBLIC_URL", "http://127.0.0.1:8000")
# Shared secret gateways (Kannel's dlr-url / get-url, provider webhooks) send with their
# callbacks; derived from SECRET_KEY when not set.
CRM_SMS_CALLBACK_SECRET = env_str("CRM_SMS_CALLBACK_SECRET", "")
# where gateways reach the CRM for reports and inbound SMS, when not CRM_PUBLIC_URL
CRM_SMS_CALLBACK_URL = env_str("CRM_SMS_CALLBACK_URL", "")
# a message taken over from a dead worker waits this long for the gateway's report of the
# first hand-off before it is sent again (ADR 0014)
CRM_SMS_HANDOFF_GRACE_SECONDS = env_int("CRM_SMS_HANDOFF_GRACE_SECONDS", 20)
# Online payments (FN-2): the provider key new payment links go through; "sandbox" is the
# built-in test bank under /pay/sandbox/ (demo and tests).
CRM_PAYMENT_GATEWAY = env_str("CRM_PAYMENT_GATEWAY", "sandbox")
CRM_CHEQUE_REMIND_DAYS = env_int("CRM_CHEQUE_REMIND_DAYS", 3)
CRM_ORGANISATION_NAME = env_str("CRM_ORGANISATION_NAME", "")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Security baseline.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF, "ws:", "wss:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
CRM_LOGIN_MAX_FAILURES = env_int("CRM_LOGIN_MAX_FAILURES", 5)
CRM_LOGIN_LOCK_SECONDS = env_int("CRM_LOGIN_LOCK_SECONDS", 900)
# Key used to encrypt stored secrets (mail server passwords...). Derived from SECRET_KEY
# when not set; set it explicitly in production so SECRET_KEY can rotate.
CRM_FIELD_ENCRYPTION_KEY = env_str("CRM_FIELD_ENCRYPTION_KEY", "")
CRM_DEMO_ADMIN_PASSWORD = env_str("CRM_ADMIN_PASSWORD", "admin")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["crm.core.api.parsers.JSONParser"],
    # JSON out: the browsable renderer wants querysets on views that read through selectors
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # the API speaks JSON only
    "DEFAULT_SCHEMA_CLASS": "crm.core.api.schema.CrmAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "crm.core.api.pagination.CrmPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "crm.core.api.errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Open CRM API",
    "DESCRIPTION": "REST API of the CRM. Token or session authentication; one error shape.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files (the CSP allows no CDN and no inline script)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "IdentityKindEnum": "crm.identities.models.Identity.Kind",
        "PhoneKindEnum": "crm.identities.models.Phone.Kind",
        "ProductKindEnum": "crm.sales.models.Product.Kind",
        "ProductTrackingEnum": "crm.sales.models.Product.Tracking",
        "PriceRuleMethodEnum": "crm.sales.models.PriceListRule.Method",
        "DocumentKindEnum": "crm.sales.models.Kind",
        "DocumentDirectionEnum": "crm.sales.models.Direction",
        "DocumentStatusEnum": "crm.sales.models.Document.Status",
        "MessageChannelEnum": "crm.messaging.models.Channel",
        "MessageStatusEnum": "crm.messaging.models.Message.Status",
        "MessageDirectionEnum": "crm.messaging.models.Message.Direction",
        "StockMoveKindEnum": "crm.inventory.models.MoveKind",
        "StockMoveStatusEnum": "crm.inventory.models.StockMove.Status",
        "SerialStatusEnum": "crm.inventory.models.Serial.Status",
        "PurchaseRequestStatusEnum": "crm.inventory.models.PurchaseRequest.Status",
        "CallDirectionEnum": "crm.activities.models.Call.Direction",
        "MeetingStatusEnum": "crm.activities.models.Meeting.Status",
        "ReceiptDirectionEnum": "crm.finance.models.Receipt.Direction",
        "ReceiptStatusEnum": "crm.finance.models.Receipt.Status",
        "ChequeStatusEnum": "crm.finance.models.Cheque.Status",
        "PaymentLinkStatusEnum": "crm.finance.models.PaymentLink.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CRM_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # the embedded worker polls the task queue every second: its start/stop lines are noise
        "django_tasks_db": {"level": "WARNING"},
    },
}
