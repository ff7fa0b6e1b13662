"""The JSON API under /api/v1/: one NinjaAPI, one router per business area."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.urls import path, re_path
from ninja import NinjaAPI, Swagger
from ninja.parser import Parser

from tandir.api.auth import TokenAuth
from tandir.api.errors import install_error_handlers, not_found_view
from tandir.api.registry import router as beneficiaries_router

DESCRIPTION = """\
Tandir's JSON API. Authenticate with `Authorization: Bearer <token>` (make one with
`tandir createtoken USERNAME`). You see the records your role and branches allow; anything
else answers 404. Errors are `{"error": {"code": ..., "message": ...}}` with stable codes.
Money is a decimal string with a currency, never a float.
"""


class JsonObjectParser(Parser):
    """A request body is one JSON object: `null`, a list, a number or a string is malformed
    (django-ninja would otherwise read it as an empty object, and a change of nothing)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("the body is not a JSON object")
        return body


class TandirAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[Any], str, str]:
        patterns, app_name, namespace = super().urls
        # Unknown paths under the API answer in the API's error shape, not an HTML page.
        return (
            [
                path("", not_found_view),
                *patterns,
                re_path(r"^.+$", not_found_view),
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
