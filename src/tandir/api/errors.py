"""Every API error as `{"error": {"code", "message", ...}}`, with codes clients can rely on.

Codes: `invalid` (422, with `fields`), `unauthenticated` (401), `not_allowed` (403),
`not_found` (404), the business codes of `TandirError` (`duplicate_phone`,
`possible_duplicate`, `idempotency_key_reused`, ...), `malformed` (400) and `server_error` (500).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.signals import got_request_exception
from django.db import OperationalError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tandir.api.messages import validation_message
from tandir.core.errors import TandirError
from tandir.web.middleware import RETRY_AFTER_SECONDS, busy_message, is_database_locked

logger = logging.getLogger("django.request")

_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


class Invalid(TandirError):
    """The request's fields do not validate; `fields` maps each field to its messages."""

    code = "invalid"
    http_status = 422

    def __init__(self, fields: dict[str, list[str]], message: str | None = None) -> None:
        super().__init__(message or _("Some fields are not valid."), fields=fields)


def form_errors(form: BaseForm, rename: dict[str, str] | None = None) -> dict[str, list[str]]:
    """A form's messages per field, with form field names renamed to the API's field paths."""
    rename = rename or {}
    return {
        rename.get(name, name): [str(message) for message in messages]
        for name, messages in form.errors.items()
    }


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {**details, "code": code, "message": message}}


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    parts = list(location)
    if parts and parts[0] in _LOCATIONS:
        where = parts.pop(0)
        # A body is read into one named parameter; its name says nothing to the client.
        if where == "body" and parts:
            parts.pop(0)
    return ".".join(str(p) for p in parts) or "__all__"


def _ninja_validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        message = validation_message(error)
        fields.setdefault(_field_path(error.get("loc", ())), []).append(message)
    return fields


_HTTP_CODES = {400: "malformed", 401: "unauthenticated", 403: "not_allowed", 429: "throttled"}


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(TandirError)
    def tandir_error(request: HttpRequest, exc: TandirError) -> HttpResponse:
        return respond(request, exc.http_status, error_body(exc.code, exc.message, **exc.details))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", _("Not found.")))

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = _ninja_validation_fields(exc.errors)
        return respond(
            request, 422, error_body("invalid", _("Some fields are not valid."), fields=fields)
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(
            request,
            401,
            error_body(
                "unauthenticated",
                _("Send a valid API token: Authorization: Bearer <token>."),
            ),
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        # django-ninja's only 400 is a body it cannot read, worded in English.
        message = _("The body is not a JSON object.") if exc.status_code == 400 else str(exc)
        return respond(request, exc.status_code, error_body(code, message))

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        # Lets Django's own machinery (and the test client) see the failure.
        got_request_exception.send(sender=None, request=request)
        return respond(request, 500, error_body("server_error", _("Something went wrong.")))

    @api.exception_handler(OperationalError)
    def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
        # SQLite still locked after its busy timeout: 503 `busy`, and the client may retry.
        if not is_database_locked(exc):
            return server_error(request, exc)
        logger.warning("Database still locked on %s %s; answered 503", request.method, request.path)
        response = respond(request, 503, error_body("busy", busy_message()))
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under the API that names no endpoint."""
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)
