"""Template context shared by every page: languages, text direction, the user's role."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language, get_language_bidi


def layout(request: HttpRequest) -> dict[str, Any]:
    return {
        "LANGUAGES": settings.LANGUAGES,
        "text_direction": "rtl" if get_language_bidi() else "ltr",
        "current_language": get_language(),
    }
