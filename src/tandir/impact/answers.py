"""Checking answers against an instrument version's questions: the one set of rules the web
form, `actions.record_response` and the imports share.

Pure: it reads no database. Every answer is checked, and every problem is returned by question
code, so a form shows each error beside its field and an import reports each bad cell.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from tandir.core.formatting import number as format_number
from tandir.engine.money import minor_unit
from tandir.impact.models import Question, QuestionType

TEXT_MAX = 2000
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")


@dataclass(frozen=True)
class Value:
    """An answer as stored: a number (numbers, money, scales), a text (choices, texts) or a date."""

    number: Decimal | None = None
    text: str = ""
    date: datetime.date | None = None


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_decimal(raw: object) -> Decimal | None:
    """A number given as int, Decimal, str (a comma may be the decimal mark) or a float read
    from JSON; None if it is not a number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        # JSON numbers: the shortest repr is what the person typed (12.5, not 12.4999...).
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip().replace("\u00a0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return value if value.is_finite() else None


def parse_date(raw: object) -> datetime.date | None:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if len(text) >= 10 and text[4:5] == "-":
        text = text[:10]
    for pattern in DATE_FORMATS:
        try:
            # A calendar day, not a moment: no time zone is involved.
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _range_error(question: Question, value: Decimal) -> str | None:
    low, high = question.min_value, question.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return _("give a value from %(low)s to %(high)s") % {
                "low": format_number(low.normalize()),
                "high": format_number(high.normalize()),
            }
        if low is not None:
            return _("give a value of at least %(low)s") % {"low": format_number(low.normalize())}
        assert high is not None
        return _("give a value of at most %(high)s") % {"high": format_number(high.normalize())}
    return None


def check_one(question: Question, raw: object, currency: str) -> tuple[Value | None, str | None]:
    """The stored value of one answer (None when left blank) and the problem, if any."""
    if _blank(raw):
        if question.required:
            return None, _("this question must be answered")
        return None, None
    kind = question.type
    if kind in (QuestionType.NUMBER, QuestionType.MONEY, QuestionType.SCALE):
        value = parse_decimal(raw)
        if value is None:
            return None, _("not a number")
        if kind == QuestionType.MONEY:
            places = minor_unit(currency)
            if _places(value) > places:
                return None, _("%(currency)s amounts have at most %(places)s decimals") % {
                    "currency": currency,
                    "places": places,
                }
        elif _places(value) > 0:
            return None, _("give a whole number")
        problem = _range_error(question, value)
        if problem:
            return None, problem
        return Value(number=value), None
    if kind == QuestionType.CHOICE:
        text = str(raw).strip()
        names = {str(c["name"]).lower(): str(c["name"]) for c in question.choices}
        name = names.get(text.lower())
        if name is None:
            return None, _("choose one of: %(names)s") % {"names": ", ".join(names.values())}
        return Value(text=name), None
    if kind == QuestionType.DATE:
        day = parse_date(raw)
        if day is None:
            return None, _("not a date (write it as 2026-03-14)")
        return Value(date=day), None
    text = str(raw).strip()
    if len(text) > TEXT_MAX:
        return None, _("at most %(count)s characters") % {"count": TEXT_MAX}
    return Value(text=text), None


def check_answers(
    questions: Iterable[Question], answers: Mapping[str, object], currency: str
) -> tuple[dict[str, Value], dict[str, str]]:
    """Every answer checked: the values to store by code, and the problems by code (an answer
    to a question the version does not ask is a problem too)."""
    values: dict[str, Value] = {}
    errors: dict[str, str] = {}
    known: set[str] = set()
    for question in questions:
        known.add(question.code)
        value, problem = check_one(question, answers.get(question.code), currency)
        if problem:
            errors[question.code] = problem
        elif value is not None:
            values[question.code] = value
    for code in answers:
        if code not in known:
            errors[code] = _("this instrument version does not ask this question")
    return values, errors


def as_input(question: Question, number: Decimal | None, text: str, date: Any) -> str:
    """A stored answer written back as a form field's value."""
    if question.type in (QuestionType.NUMBER, QuestionType.MONEY, QuestionType.SCALE):
        return "" if number is None else format(number.normalize(), "f")
    if question.type == QuestionType.DATE:
        return date.isoformat() if date else ""
    return text
