"""Request plumbing for every page and the API: busy database, idle sessions, CSP, login throttle.

- `DatabaseBusyMiddleware`: a request that still finds SQLite locked after the busy timeout
  answers 503 with `Retry-After` (the API's error shape under /api/, a short page elsewhere),
  never 500. The API's own exception handler uses `is_database_locked` and `busy_message` too.
- `SessionIdleTimeoutMiddleware`: a session unused for `TANDIR_SESSION_IDLE_MINUTES` ends.
- `ContentSecurityPolicyMiddleware`: the `Content-Security-Policy` header from `SECURE_CSP`.
- `client_address`, `LoginThrottleBackend`, `locked_out`: the hooks django-axes calls.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.core.signals import got_request_exception
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.translation import get_language, get_language_bidi, ngettext
from django.utils.translation import gettext as _

logger = logging.getLogger("tandir.web")

GetResponse = Callable[[HttpRequest], HttpResponse]

# How long a client should wait before sending a request again that found the database busy.
RETRY_AFTER_SECONDS = 5
API_PREFIX = "/api/"

# The session key holding when the session was last used (seconds since the epoch).
LAST_SEEN_KEY = "tandir_last_seen"
# Recording every request would make each page view a database write; recording at most once a
# minute makes the idle timeout exact to the minute.
LAST_SEEN_RESOLUTION_SECONDS = 60


def is_database_locked(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) is SQLite's "database is locked" after the busy timeout."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OperationalError | sqlite3.OperationalError):
            message = str(seen).lower()
            if message.startswith(("database is locked", "database table is locked")):
                return True
        seen = seen.__cause__ or seen.__context__
        if seen is exc:
            break
    return False


def busy_message() -> str:
    return _(
        "Tandir is busy: many people are saving at this moment. This request was not completed; "
        "wait a few seconds and send it again."
    )


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, in the API's error shape under /api/ and as a short page elsewhere."""
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(
            {"error": {"code": "busy", "message": busy_message()}}, status=503
        )
    else:
        # A page of its own, without the layout: rendering the layout may need the database.
        page = (
            '<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>{title} · Tandir</title></head><body><main><h1>{title}</h1><p>{message}</p>"
            '<p><a href="{again}">{again_label}</a></p></main></body></html>'
        ).format(
            lang=escape(get_language() or settings.LANGUAGE_CODE),
            direction="rtl" if get_language_bidi() else "ltr",
            title=escape(_("Please try again in a moment")),
            message=escape(busy_message()),
            again=escape(request.get_full_path()),
            again_label=escape(_("Try again")),
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _note_locked_database(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Called while Django turns an exception raised outside a view (a session saved by the
    # session middleware, say) into a 500; the busy middleware then answers 503 instead.
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and is_database_locked(exc):
        request.tandir_database_locked = True  # type: ignore[attr-defined]


class DatabaseBusyMiddleware:
    """Answer 503 + Retry-After, never 500, when SQLite stays locked past its busy timeout.

    Writes queue behind each other (immediate transactions and a busy timeout, see settings);
    this is for the request that waited the whole timeout. Placed right after the security
    middleware so that exceptions from the middleware inside it are covered too.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        got_request_exception.connect(_note_locked_database, dispatch_uid="tandir-database-busy")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "tandir_database_locked", False):
            return busy_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_locked(exception):
            return None
        logger.warning(
            "Database still locked after the busy timeout on %s %s; answered 503",
            request.method,
            request.path,
        )
        return busy_response(request)


class SessionIdleTimeoutMiddleware:
    """Log out a session that has not been used for `TANDIR_SESSION_IDLE_MINUTES`.

    The session's expiry (SESSION_COOKIE_AGE, the same length) moves forward whenever the
    last-seen time is recorded, so the cookie and the stored session end with it.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        timed_out = False
        if request.user.is_authenticated:
            now = int(time.time())
            idle_minutes = settings.TANDIR_SESSION_IDLE_MINUTES
            last_seen = request.session.get(LAST_SEEN_KEY)
            if isinstance(last_seen, int) and now - last_seen > idle_minutes * 60:
                logout(request)
                timed_out = True
                messages.info(
                    request,
                    ngettext(
                        "You were logged out after %(minutes)d minute without activity. "
                        "Log in again to continue.",
                        "You were logged out after %(minutes)d minutes without activity. "
                        "Log in again to continue.",
                        idle_minutes,
                    )
                    % {"minutes": idle_minutes},
                )
            elif not isinstance(last_seen, int) or (
                now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS
            ):
                request.session[LAST_SEEN_KEY] = now
        if timed_out and request.headers.get("HX-Request") == "true":
            # An htmx request would follow the redirect to the login page and swap that page
            # into the part it updates; HX-Redirect sends the whole window there instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = (
                f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': _page_url(request)})}"
            )
            return response
        return self.get_response(request)


def _page_url(request: HttpRequest) -> str:
    # htmx names the page the request came from; the fragment's own URL is no page to return to.
    current = request.headers.get("HX-Current-URL", "")
    host = request.build_absolute_uri("/")
    if current.startswith(host):
        return "/" + current.removeprefix(host)
    return request.get_full_path()


class ContentSecurityPolicyMiddleware:
    """Send `SECURE_CSP` (directive → sources, the shape Django 6's own setting takes) as the
    Content-Security-Policy header. Off while DEBUG is on: Django's debug pages inline scripts."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = content_security_policy()
        if policy and not settings.DEBUG and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


def content_security_policy() -> str:
    directives: dict[str, list[str]] = getattr(settings, "SECURE_CSP", {}) or {}
    return "; ".join(
        " ".join([directive, *sources]) if sources else directive
        for directive, sources in directives.items()
    )


def client_address(request: HttpRequest) -> str:
    """The address login attempts are counted by (django-axes' `AXES_CLIENT_IP_CALLABLE`).

    Behind `TANDIR_PROXY_COUNT` reverse proxies that each append to X-Forwarded-For, the address
    the outermost proxy saw; whatever a client writes further left of the header is ignored, so
    nobody escapes the throttle by inventing addresses. Without proxies, the connection's address.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    count = int(getattr(settings, "TANDIR_PROXY_COUNT", 0))
    if count <= 0:
        return remote
    forwarded = [
        address.strip()
        for address in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if address.strip()
    ]
    return forwarded[-count] if len(forwarded) >= count else remote


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come with a request.

    Every login over HTTP (the login page, the admin) passes its request. Only code in the same
    process authenticates without one (Django's test client `login()`, scripts); there is no
    address to count such attempts by, so they are not throttled instead of being refused.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """The login page again, saying why the login was refused (django-axes' lockout response)."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = max(1, round(cooloff.total_seconds() / 60)) if cooloff else 0
    username = request.POST.get("username", "") if request.method == "POST" else ""
    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "locked_out": True,
            "cooloff_minutes": minutes,
            "next": request.POST.get("next", "") or request.GET.get("next", ""),
        },
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )
