"""Template context shared by every page: languages, text direction, the user's rights."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language, get_language_bidi

from tandir.orgs.roles import Right, has_right


def layout(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "LANGUAGES": settings.LANGUAGES,
        "text_direction": "rtl" if get_language_bidi() else "ltr",
        "current_language": get_language(),
        "can_see_records": has_right(user, Right.SEE_RECORDS),
        "can_register": has_right(user, Right.REGISTER),
        "can_export": has_right(user, Right.EXPORT),
        "can_merge": has_right(user, Right.MERGE),
    }
