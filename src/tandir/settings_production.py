"""Production settings: the base settings plus the hardening `manage.py check --deploy` asks for.

Static files are served by whitenoise from `var/static` (`tandir serve --production` collects
them), under hashed names that may be cached for a year. Logs, with tracebacks, go to stderr
(journald or the container's log). `tandir serve --production` uses these settings.

TANDIR_SSL_REDIRECT   "0" when nothing in front of Tandir speaks HTTPS (default "1")
TANDIR_HSTS_SECONDS   Strict-Transport-Security max-age (default one year)
TANDIR_LOG_LEVEL      level of Tandir's own and Django's logs (default INFO)
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from tandir.settings import *  # noqa: F403
from tandir.settings import ALLOWED_HOSTS, DEV_SECRET_KEY, MIDDLEWARE, SECRET_KEY

if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "Set TANDIR_SECRET_KEY to a random value of 50 characters or more, e.g. the output of "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

DEBUG = False
# The test client's host name has no place on a real server.
ALLOWED_HOSTS = [host for host in ALLOWED_HOSTS if host != "testserver"]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("TANDIR_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("TANDIR_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Whitenoise serves the static files, right after the security middleware as it asks.
MIDDLEWARE = [*MIDDLEWARE]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOG_LEVEL = os.environ.get("TANDIR_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        # The formatter appends the traceback of every logged exception.
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Django's defaults send request errors to e-mail only; here they go to stderr.
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django.request": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
