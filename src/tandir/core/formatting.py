"""Numbers, money and dates formatted for the reader's language, with Babel.

Django's own localisation knows fewer of our languages' conventions; Babel knows CLDR's.
"""

from __future__ import annotations

import datetime
import re
from copy import copy
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from django.utils import timezone
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


def cash_digits(currency: str) -> int:
    """Decimals people customarily write for the currency (CLDR): 0 for AMD and PKR, else 2."""
    fractions = get_global("currency_fractions")
    return int((fractions.get(currency) or fractions["DEFAULT"])[2])


def money(amount: Decimal | None, currency: str, *, exact: bool = False) -> str:
    """An amount as people of the reader's language write it: "AMD 195,000" in English,
    "195 000 ֏" in Armenian, "1.500,50 ₼" in Azerbaijani.

    A whole amount takes the currency's customary decimals (none for drams and rupees); other
    amounts, and every amount when `exact` (ledgers, schedules), show all the minor units. A
    currency code is kept apart from the digits, as CLDR's currency spacing asks.
    """
    if amount is None:
        return ""
    locale = current_locale()
    digits = cash_digits(currency)
    if not exact and amount == amount.quantize(Decimal(1).scaleb(-digits)):
        pattern = copy(locale.currency_formats["standard"])
        pattern.frac_prec = (digits, digits)
        text = pattern.apply(amount, locale, currency=currency, currency_digits=False)
    else:
        text = format_currency(amount, currency, locale=locale)
    return _currency_spacing(text)


_CODE_BEFORE_DIGIT = re.compile(r"([A-Za-z])(?=[\d\u0660-\u0669\u06f0-\u06f9])")
_DIGIT_BEFORE_CODE = re.compile(r"(\d)(?=[A-Za-z])")


def _currency_spacing(text: str) -> str:
    text = _CODE_BEFORE_DIGIT.sub("\\1\u00a0", text)
    return _DIGIT_BEFORE_CODE.sub("\\1\u00a0", text)


def date(value: datetime.date | None, form: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, format=form, locale=current_locale())


def date_time(value: datetime.datetime | None, form: str = "medium") -> str:
    """A moment in the server's time zone, e.g. "1 Dec 2026, 21:04:05"."""
    if value is None:
        return ""
    return format_datetime(timezone.localtime(value), format=form, locale=current_locale())
