"""The one settings file, fed by the environment (see .env.example and the README's table).

The defaults run the embedded demo (``make demo``). Production sets at least DEBUG=off, SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL and CELERY_BROKER_URL. A malformed value raises ``ConfigError``, which
the entry points turn into one line on stderr and exit status 2.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, SELF

from okrapp import env
from okrapp.env import ConfigError

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.get_bool("DEBUG", True)

_secret = env.get_str("SECRET_KEY")
if _secret is None:
    if not DEBUG:
        raise ConfigError("SECRET_KEY is required when DEBUG is off (50+ random characters)")
    _secret = "demo-only-insecure-key-never-used-with-debug-off-0123456789abcdefghijkl"
elif not DEBUG and len(_secret) < 50:
    raise ConfigError("SECRET_KEY must be at least 50 characters when DEBUG is off")
SECRET_KEY = _secret

ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS is required when DEBUG is off (comma-separated host names)")
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [])

SITE_URL = (env.get_str("SITE_URL", "http://127.0.0.1:8000" if DEBUG else None) or "").rstrip("/")
if not SITE_URL:
    raise ConfigError("SITE_URL is required when DEBUG is off (https://okr.example.com): links in e-mails use it")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",  # login throttling; before okrapp, whose security log reads what axes counted
    "pgtrigger",
    "pghistory",
    "okrapp",
    "objectives",
    "backlog",
    "checkins",
    "dashboards",
    "comments",  # comments and @mentions on key results, check-ins and epics; nothing imports it
    "history",  # after the apps it tracks (objectives, key results, check-ins, links, memberships)
]

MIDDLEWARE = [
    "okrapp.middleware.healthz",  # before the host check: probes come from inside the container
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pghistory.middleware.HistoryMiddleware",  # the change history knows who wrote (pages and API)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "okrapp.middleware.OrganisationMiddleware",
    "okrapp.middleware.BadInputMiddleware",  # okrapp.parsing's refusals answer 400 with their message
    "axes.middleware.AxesMiddleware",  # last (innermost): turns a lockout into okrapp's answer, CSP nonce included
]

# Change history records writes only: reads need no context. An event's time is when its row was
# written (not its transaction's start), so the history orders the writes of one transaction too.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"

ROOT_URLCONF = "okrapp.urls"
WSGI_APPLICATION = "okrapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "okrapp.context_processors.frame",
            ],
        },
    }
]

# PostgreSQL only: the demo, the tests and production use one dialect (triggers, row locks).
DATABASES = {
    "default": env.parse_database_url(
        "DATABASE_URL",
        env.get_str("DATABASE_URL") or env.embedded_database_url(BASE_DIR),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "okrapp.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes, see okrapp/lockout.py): failures count per account *and* address; at
# LOGIN_FAILURE_LIMIT that pair is locked for LOGIN_LOCKOUT_MINUTES, restarted by every attempt while
# locked (the right password included). Another address still signs in; a company admin can unlock.
# A second, higher limit counts an address's failures across accounts (one try each for many accounts):
# at LOGIN_ADDRESS_FAILURE_LIMIT within the cool-off, every sign-in from that address is refused.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked pair before a password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.get_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.get_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "okrapp.lockout.SignInLockoutHandler"  # axes' database handler plus the address limit
LOGIN_ADDRESS_FAILURE_LIMIT = env.get_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
if LOGIN_ADDRESS_FAILURE_LIMIT <= AXES_FAILURE_LIMIT:
    raise ConfigError(
        f"LOGIN_ADDRESS_FAILURE_LIMIT={LOGIN_ADDRESS_FAILURE_LIMIT} must be higher than LOGIN_FAILURE_LIMIT="
        f"{AXES_FAILURE_LIMIT}: it counts one address's failures across all accounts"
    )
AXES_RESET_ON_SUCCESS = True  # a good sign-in forgets the failures before it
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_USERNAME_FORM_FIELD = "username"  # authenticate() is called with username=<e-mail>
AXES_USERNAME_CALLABLE = "okrapp.lockout.attempt_username"
AXES_CLIENT_IP_CALLABLE = "okrapp.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "okrapp.views_security.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # okrapp.SecurityEvent is the log of sign-ins
AXES_VERBOSE = False
# Reverse proxies in front of the app that append to X-Forwarded-For (0: the connection's address is
# the client's). Login lockouts and the API's throttles count per address; behind the TLS proxy of
# docker-compose.yml set 1, or every client looks like the proxy.
TRUSTED_PROXY_COUNT = env.get_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # a set-password link for a new person lasts three days
# The password-reset page (okrapp/password_reset.py), within any hour: at most this many e-mails to one
# account (further requests answer as usual and send nothing, so nobody learns the account exists) and
# this many requests from one address (more answer 429).
PASSWORD_RESET_ACCOUNT_LIMIT = env.get_int("PASSWORD_RESET_ACCOUNT_LIMIT", 3, minimum=1)
PASSWORD_RESET_ADDRESS_LIMIT = env.get_int("PASSWORD_RESET_ADDRESS_LIMIT", 10, minimum=1)
# The public sign-up page (/signup/: a new organisation and its admin); off, it answers 404. Attempts
# per client address are throttled at SIGNUP_RATE (DRF's rate syntax: 10/hour).
SIGNUP_ENABLED = env.get_bool("SIGNUP_ENABLED", False)
SIGNUP_RATE = env.get_str("SIGNUP_RATE", "10/hour") or "10/hour"
if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", SIGNUP_RATE):
    raise ConfigError(f"SIGNUP_RATE must look like 10/hour (a count per second, minute, hour or day): {SIGNUP_RATE!r}")

# Sessions expire: after SESSION_HOURS of inactivity (the cookie is renewed on every request).
SESSION_COOKIE_AGE = env.get_int("SESSION_HOURS", 12, minimum=1) * 3600
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# E-mail: the demo prints messages (set-password links) on the console.
EMAIL_BACKEND = env.get_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.get_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.get_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.get_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env.get_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env.get_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.get_str("DEFAULT_FROM_EMAIL", "OKR app <okr@example.com>")

# Security headers and cookies. Behind TLS in production (DEBUG off) the cookies are Secure and HSTS is on.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content security policy from the first page: no inline scripts, styles or event handlers anywhere.
# Scripts: 'self' plus a fresh nonce per response, which every <script> of ours carries (base.html).
# No inline script exists, so the nonce admits nothing today; it is there so that no injected inline
# script can ever pass. No 'strict-dynamic': browsers would then ignore 'self' and block the Django
# admin's and the API docs' script tags, which carry no nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": [SELF, NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Celery. The default broker is kombu's filesystem transport (the demo needs no server).
CELERY_BROKER_URL = env.check_broker_url(
    "CELERY_BROKER_URL", env.get_str("CELERY_BROKER_URL", "filesystem://") or "filesystem://"
)
BROKER_DIR = Path(env.get_str("BROKER_DIR", str(BASE_DIR / ".demo" / "broker")) or "")
CELERY_TASK_DEFAULT_QUEUE = env.get_str("CELERY_QUEUE", "okrapp") or "okrapp"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "okrapp.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "okrapp.api.base.Pagination",
    "DEFAULT_THROTTLE_CLASSES": ["okrapp.api.auth.PerTokenThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "api": env.get_str("API_RATE", "1200/min") or "1200/min",
        "api_login": env.get_str("API_LOGIN_RATE", "10/min") or "10/min",
    },
    "EXCEPTION_HANDLER": "okrapp.api.base.exception_handler",
}
# Seconds before a failed webhook delivery's second attempt; each later wait doubles.
WEBHOOK_RETRY_BASE_SECONDS = env.get_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=0)
# Webhooks go only to public internet addresses; on lets them reach this installation's own network too
# (loopback, private, link-local…) for self-hosted receivers. Cloud metadata addresses stay refused.
WEBHOOKS_ALLOW_INTERNAL = env.get_bool("WEBHOOKS_ALLOW_INTERNAL", False)

SPECTACULAR_SETTINGS = {
    "TITLE": "OKR app API",
    "DESCRIPTION": (
        "Objectives, key results, check-ins and the backlog. Authenticate with `Authorization: Token <token>` "
        "(create one on your profile page, or `POST /api/v1/auth/token/`). Errors answer "
        '`{"errors": [{"field": ..., "message": ...}]}`. Writes to an existing object may send `If-Match` '
        "with the ETag read; a stale one answers 412 and changes nothing."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "objectives.models.STATUS_CHOICES",
        "KeyResultKindEnum": "objectives.models.KIND_CHOICES",
        "CycleKindEnum": "objectives.models.CycleKind",
        "CycleStateEnum": "objectives.models.CycleState",
        "ObjectiveStateEnum": "objectives.models.ObjectiveState",
        "StoryStatusEnum": "backlog.models.StoryStatus",
        "EpicStatusEnum": "backlog.models.EpicStatus",
        "SprintStateEnum": "backlog.models.SprintState",
    },
}

LOG_LEVEL = env.get_str("LOG_LEVEL", "INFO") or "INFO"
if LOG_LEVEL.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ConfigError(f"LOG_LEVEL={LOG_LEVEL!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL.upper()},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # failures and lockouts; the security log has the rest
    },
}
