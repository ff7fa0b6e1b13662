"""Template filters that format by the reader's locale (see tandir.core.formatting)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import template

from tandir.core import formatting

register = template.Library()


@register.filter
def number(value: int | Decimal | None) -> str:
    return formatting.number(value)


@register.filter
def localdate(value: datetime.date | None, form: str = "medium") -> str:
    return formatting.date(value, form)


@register.filter
def localdatetime(value: datetime.datetime | None, form: str = "medium") -> str:
    return formatting.date_time(value, form)


@register.simple_tag
def money(amount: Decimal | None, currency: str) -> str:
    return formatting.money(amount, currency)
