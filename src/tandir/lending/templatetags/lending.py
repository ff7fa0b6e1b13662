"""Template tags of the lending pages: links to pages other parts may not offer yet, and a
person's loans for the registry's person page (whose view knows nothing of lending)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language, gettext_lazy

from tandir.core import formatting
from tandir.lending.queries import person_loans
from tandir.orgs.roles import Right, has_right

register = template.Library()


@register.simple_tag
def link(name: str, **kwargs: Any) -> str:
    """The URL of a named page, or "" when it does not exist (the template then shows no link)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def user_can(context: template.Context, right: str) -> bool:
    """Whether the reader's role grants a right (`Right` value), for links to other pages."""
    request = context.get("request")
    return has_right(getattr(request, "user", None), Right(right))


@register.simple_tag(takes_context=True)
def loans_of(context: template.Context, person: Any) -> dict[str, Any]:
    """The person's loans the reader may open, and whether the reader may take an application."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "loans": person_loans(user, person.pk) if has_right(user, Right.SEE_RECORDS) else [],
        "can_apply": has_right(user, Right.APPLY),
    }


@register.filter
def amount(value: Decimal | None, currency: str) -> str:
    """`{% money %}` for long tables: the same text, remembered per language, since a loan's
    schedule and payments repeat the same few amounts hundreds of times."""
    if value is None:
        return ""
    return _formatted(value, currency, get_language() or "en")


@lru_cache(maxsize=4096)
def _formatted(value: Decimal, currency: str, language: str) -> str:
    return formatting.money(value, currency)


@register.filter
def day(value: datetime.date | None) -> str:
    """`localdate` for long tables, remembered per language like `amount`."""
    if value is None:
        return ""
    return _day(value, get_language() or "en")


@lru_cache(maxsize=4096)
def _day(value: datetime.date, language: str) -> str:
    return formatting.date(value)


@register.filter
def frequency_label(value: str) -> str:
    from tandir.lending.forms import FREQUENCY_LABELS

    labels = {str(key): label for key, label in FREQUENCY_LABELS.items()}
    return str(labels.get(value, value))


EVENT_LABELS = {
    "submit": gettext_lazy("application taken"),
    "approve": gettext_lazy("approved"),
    "reject": gettext_lazy("rejected"),
    "withdraw": gettext_lazy("withdrawn"),
    "undo_approval": gettext_lazy("approval undone"),
    "disburse": gettext_lazy("paid out by the bank"),
    "undo_disbursal": gettext_lazy("disbursal undone"),
    "repay": gettext_lazy("repayment"),
    "reverse_repayment": gettext_lazy("repayment reversed"),
    "reschedule": gettext_lazy("rescheduled"),
    "write_off": gettext_lazy("written off"),
    "refund": gettext_lazy("credit refunded"),
    "penalty": gettext_lazy("penalty charged"),
}


@register.filter
def event_label(action: str) -> str:
    """What a loan event's action code means, in the reader's language."""
    return str(EVENT_LABELS.get(action, action))


@register.filter
def component_label(value: str) -> str:
    from tandir.lending.models import Component

    try:
        return str(Component(value).label)
    except ValueError:
        return value
