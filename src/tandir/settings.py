"""Django settings, read from environment variables so one build serves demo, CI and production.

TANDIR_DATABASE_URL  database (default: SQLite under var/)
TANDIR_SECRET_KEY    secret key (default: a development key; production refuses it)
TANDIR_DEBUG         "1" for debug pages
TANDIR_ALLOWED_HOSTS comma-separated host names
TANDIR_SESSION_IDLE_MINUTES   minutes without a request before a session ends (default 30)
TANDIR_LOGIN_FAILURE_LIMIT    failed logins per account and address before a pause (default 5)
TANDIR_LOGIN_COOLOFF_MINUTES  length of that pause (default 15)
TANDIR_PROXY_COUNT            reverse proxies in front that append to X-Forwarded-For (default 0)
TANDIR_SQLITE_TIMEOUT         seconds an SQLite write waits for another to finish (default 10)
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("TANDIR_HOME", Path.cwd()))
VAR_DIR = PROJECT_DIR / "var"

DEV_SECRET_KEY = "tandir-development-key-not-for-production"
SECRET_KEY = os.environ.get("TANDIR_SECRET_KEY", DEV_SECRET_KEY)
DEBUG = os.environ.get("TANDIR_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("TANDIR_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "simple_history",
    "axes",
    "django_q",
    "tandir.core",
    "tandir.orgs",
    "tandir.registry",
    "tandir.ledger",
    "tandir.lending",
    "tandir.cob",
    "tandir.jobs",
    "tandir.training",
    "tandir.plans",
    "tandir.associations",
    "tandir.events",
    "tandir.impact",
    "tandir.reports",
    "tandir.api",
    "tandir.web",
    "tandir.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tandir.web.middleware.DatabaseBusyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Change history: who made a change (simple-history) and through which channel (Tandir).
    "simple_history.middleware.HistoryRequestMiddleware",
    "tandir.core.audit.ChannelMiddleware",
    "tandir.web.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tandir.web.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tandir.urls"
WSGI_APPLICATION = "tandir.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tandir.web.context.layout",
            ],
        },
    },
]

if "TANDIR_DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("TANDIR_DATABASE_URL", f"sqlite:///{VAR_DIR / 'tandir.sqlite3'}"),
        conn_max_age=int(os.environ.get("TANDIR_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Every transaction takes the write lock when it begins, so concurrent writers queue for
    # up to the timeout instead of failing with "database is locked" when a read turns into a
    # write; one that waits longer answers 503 (tandir.web.middleware). WAL lets pages read
    # while someone writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": float(os.environ.get("TANDIR_SQLITE_TIMEOUT", "10")),
            "init_command": "PRAGMA journal_mode=WAL",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles any statement costed past `jit_above_cost`; Tandir's large
    # statements (close of business, reports over a national book) paid 0.25 to 1.5 s of
    # compiling each and ran no faster for it (docs/decisions.md, "PostgreSQL without JIT").
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.StaffUser"

AUTHENTICATION_BACKENDS = [
    # django-axes counts failed logins and refuses a locked-out account before the password check.
    "tandir.web.middleware.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after this many minutes without a request (tandir.web.middleware).
TANDIR_SESSION_IDLE_MINUTES = int(os.environ.get("TANDIR_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = TANDIR_SESSION_IDLE_MINUTES * 60

# Failed logins (django-axes): every one is recorded; after the limit, that account is refused
# from that address for the cool-off. Counting the pair, not the address alone, keeps one
# person's typing from locking out a whole office behind one address, and an attacker from
# locking an officer out from elsewhere.
AXES_FAILURE_LIMIT = int(os.environ.get("TANDIR_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=int(os.environ.get("TANDIR_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "tandir.web.middleware.client_address"
AXES_LOCKOUT_CALLABLE = "tandir.web.middleware.locked_out"
TANDIR_PROXY_COUNT = int(os.environ.get("TANDIR_PROXY_COUNT", "0"))

# Content-Security-Policy (tandir.web.middleware; the shape of Django 6's own SECURE_CSP).
# Scripts come only from our static files, plus the language switcher's inline handler by its
# hash (tests/integration/test_serving.py checks every inline script of the templates is
# listed). Inline styles stay allowed: templates set widths in style attributes.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": [
        "'self'",
        "'unsafe-hashes'",
        "'sha256-8Ig38vO93qrWT6Ogx0lVk+RnC6SVjdhA0fLxqfng99A='",
        # events/_participant_search.html: choosing the entrepreneur of a roadshow project.
        "'sha256-31mxgAu2/qW/7Sa2svLQAQyOBVRWSvv++rErHoXsLtg='",
        # training/_attendance_row.html: a mark without htmx (the page still works, slower).
        "'sha256-3H3iu9pcHK+MeHTotCCLDSaARmNFy9pSxg4Cak4marU='",
    ],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("hy", _("Armenian")),
    ("az", _("Azerbaijani")),
    ("ru", _("Russian")),
    ("tr", _("Turkish")),
    ("ur", _("Urdu")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# Uploaded documents (loan files): never served as static files, only through the pages that
# check who may open them.
MEDIA_ROOT = Path(os.environ.get("TANDIR_MEDIA_ROOT", VAR_DIR / "media"))

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Registry rules a programme may tune.
TANDIR_YOUTH_MAX_AGE = int(os.environ.get("TANDIR_YOUTH_MAX_AGE", "29"))
TANDIR_PAGE_SIZE = 25

# Import limits: a file beyond them is refused with one line that says which limit, before it
# costs memory or time (README, "Importing beneficiaries"). About 50,000 lines fit either way.
TANDIR_IMPORT_MAX_BYTES = int(os.environ.get("TANDIR_IMPORT_MAX_BYTES", str(10 * 2**20)))
TANDIR_IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("TANDIR_IMPORT_MAX_UNCOMPRESSED_BYTES", str(50 * 2**20))
)
TANDIR_IMPORT_MAX_ERRORS = int(os.environ.get("TANDIR_IMPORT_MAX_ERRORS", "100"))
TANDIR_IMPORT_MAX_CELL_CHARS = int(os.environ.get("TANDIR_IMPORT_MAX_CELL_CHARS", "1000"))

# --- scheduled jobs ---
# The task queue (django-q2) keeps its queue, schedules and results in this database (its ORM
# broker), so the worker needs nothing but the database, on SQLite and PostgreSQL alike
# (tandir.jobs, docs/jobs.md). A close of business that runs longer than the timeout is
# stopped; a task whose worker died is handed out again after `retry` seconds, at most
# `max_attempts` times. Failures are acknowledged: Tandir retries them itself, with backoff.
TANDIR_JOB_TIMEOUT = int(os.environ.get("TANDIR_JOB_TIMEOUT_SECONDS", str(3 * 3600)))
Q_CLUSTER = {
    "name": "tandir",
    "orm": "default",
    "workers": int(os.environ.get("TANDIR_WORKERS", "1")),
    "timeout": TANDIR_JOB_TIMEOUT,
    "retry": TANDIR_JOB_TIMEOUT + 600,
    "max_attempts": 2,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 500,
    "poll": 2,
    "label": _("Task queue"),
}
# Minutes between two looks for organisations whose close of business is due.
TANDIR_JOBS_PLAN_EVERY_MINUTES = 15
# Seconds to wait before each retry of a failed close of business (one entry per retry).
TANDIR_JOBS_RETRY_DELAYS = [5 * 60, 20 * 60, 60 * 60]
# The job that closes business: tandir.cob's action (a test may put its own in its place).
TANDIR_JOBS_CLOSE_BUSINESS = "tandir.cob.actions.close_business"
