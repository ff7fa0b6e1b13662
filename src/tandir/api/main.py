"""The JSON API under /api/v1/: one NinjaAPI, one router per business area."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import URLPattern, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Swagger
from ninja.parser import Parser

from tandir.api.auth import TokenAuth
from tandir.api.errors import error_body, install_error_handlers, not_found_view
from tandir.api.lending import router as loans_router
from tandir.api.network import router as network_router
from tandir.api.registry import router as beneficiaries_router

DESCRIPTION = """\
Tandir's JSON API. Authenticate with `Authorization: Bearer <token>` (make one with
`tandir createtoken USERNAME`; it expires, and may only read unless made with
`--scope read_write`). You see the records your role and branches allow; anything else answers
404. Errors are `{"error": {"code": ..., "message": ...}}` with stable codes. Money is a
decimal string with a currency, never a float.
"""


class JsonObjectParser(Parser):
    """A request body is one JSON object: `null`, a list, a number or a string is malformed
    (django-ninja would otherwise read it as an empty object, and a change of nothing)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("the body is not a JSON object")
        return body


def method_not_allowed(allowed: list[str]) -> HttpResponse:
    response = JsonResponse(
        error_body(
            "method_not_allowed",
            _("This method is not allowed here. Allowed: %(methods)s.")
            % {"methods": ", ".join(allowed)},
        ),
        status=405,
    )
    response["Allow"] = ", ".join(allowed)
    return response


def _answers_405_in_json(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """django-ninja answers a method no operation serves in plain text; say it in the API's
    error shape, with the `Allow` header kept."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "Allow" in response:
            allowed = sorted(m.strip() for m in response["Allow"].split(",") if m.strip())
            return method_not_allowed(allowed)
        return response

    return wrapped


# Every view of the API authenticates by token, never by session cookie, so Django's CSRF check
# does not apply (django-ninja exempts its own views the same way); without this, a POST to an
# unknown path answers Django's HTML CSRF page instead of a JSON 404.
_not_found = csrf_exempt(not_found_view)


class TandirAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _answers_405_in_json(pattern.callback)
        # Unknown paths under the API answer in the API's error shape, not an HTML page; the
        # catch-all matches a path with a newline in it too (`.` would not).
        return (
            [
                path("", _not_found),
                *patterns,
                re_path(r"^[\s\S]+$", _not_found),
            ],
            app_name,
            namespace,
        )


api = TandirAPI(
    title="Tandir API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    # The bundled Swagger UI is served from our static files; no validator badge, which would
    # call an outside service.
    docs=Swagger(settings={"validatorUrl": None}),
    auth=TokenAuth(),
    parser=JsonObjectParser(),
)
install_error_handlers(api)
api.add_router("/beneficiaries", beneficiaries_router)
api.add_router("/loans", loans_router)
api.add_router("/network", network_router)
