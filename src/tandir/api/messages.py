"""Field messages for requests that break their documented shape, in the request's language.

pydantic words its messages in English ("Input should be a valid integer"); the API answers in
the language of `Accept-Language` like the rest of Tandir, so each kind of error it can give is
said again here through gettext. A kind not listed keeps pydantic's words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# What a value failing each documented pattern was expected to be (see `pattern`).
_PATTERN_MESSAGES: dict[str, Promise] = {}


def pattern(regex: str, message: Promise) -> str:
    """A pattern for a field of the OpenAPI document, with the message a mismatch answers."""
    _PATTERN_MESSAGES[regex] = message
    return regex


def _limit(error: dict[str, Any], name: str) -> Any:
    return (error.get("ctx") or {}).get(name)


def _too_long(error: dict[str, Any]) -> str:
    limit = _limit(error, "max_length")
    return ngettext(
        "Enter at most %(limit)d character.", "Enter at most %(limit)d characters.", limit
    ) % {"limit": limit}


def _too_short(error: dict[str, Any]) -> str:
    limit = _limit(error, "min_length")
    if limit == 1:
        return _("This field is required.")
    return ngettext(
        "Enter at least %(limit)d character.", "Enter at least %(limit)d characters.", limit
    ) % {"limit": limit}


def _too_many(error: dict[str, Any]) -> str:
    limit = _limit(error, "max_length")
    return ngettext("Give at most %(limit)d item.", "Give at most %(limit)d items.", limit) % {
        "limit": limit
    }


def _mismatch(error: dict[str, Any]) -> str:
    message = _PATTERN_MESSAGES.get(str(_limit(error, "pattern")))
    return str(message) if message is not None else _("Enter a value in the documented form.")


_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda error: _("This field is required."),
    "int_type": lambda error: _("Enter a whole number."),
    "int_parsing": lambda error: _("Enter a whole number."),
    "int_from_float": lambda error: _("Enter a whole number."),
    "string_type": lambda error: _("Enter a text."),
    "bool_type": lambda error: _("Enter true or false."),
    "bool_parsing": lambda error: _("Enter true or false."),
    "dict_type": lambda error: _("Enter an object."),
    "model_type": lambda error: _("Enter an object."),
    "model_attributes_type": lambda error: _("Enter an object."),
    "list_type": lambda error: _("Enter a list."),
    "date_type": lambda error: _("Enter a date as YYYY-MM-DD."),
    "date_parsing": lambda error: _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": lambda error: _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": lambda error: _("Enter a date as YYYY-MM-DD."),
    "less_than_equal": lambda error: (
        _("Enter a number no greater than %(limit)s.") % {"limit": _limit(error, "le")}
    ),
    "greater_than_equal": lambda error: (
        _("Enter a number no less than %(limit)s.") % {"limit": _limit(error, "ge")}
    ),
    "string_too_long": _too_long,
    "string_too_short": _too_short,
    "too_long": _too_many,
    "string_pattern_mismatch": _mismatch,
}


def validation_message(error: dict[str, Any]) -> str:
    """The message for one pydantic error, translated."""
    say = _MESSAGES.get(str(error.get("type")))
    if say is not None:
        return say(error)
    # Our own validators raise ValueError with a message already translated.
    return str(error.get("msg", _("This value is not valid."))).removeprefix("Value error, ")
