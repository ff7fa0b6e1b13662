"""Numbers, money and dates formatted for the reader's language, with Babel.

Django's own localisation knows fewer of our languages' conventions; Babel knows CLDR's.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from django.utils.translation import get_language


def current_locale() -> Locale:
    code = (get_language() or "en").replace("-", "_")
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def number(value: int | Decimal | None) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=current_locale())


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    return format_currency(amount, currency, locale=current_locale())


def date(value: datetime.date | None, form: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, format=form, locale=current_locale())
