"""Production settings: the base settings plus the hardening `manage.py check --deploy` asks for."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from tandir.settings import *  # noqa: F403
from tandir.settings import DEV_SECRET_KEY, SECRET_KEY

if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set TANDIR_SECRET_KEY to a random value of 50 characters or more.")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("TANDIR_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("TANDIR_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
