"""Shapes shared by every API router: errors, references, money, choice codes and the limits
of what a request may carry.

Limits come from the models and forms that enforce them (a name's `max_length`, the database's
integer range), so the OpenAPI document states exactly what the API refuses.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Annotated, Any

from django import forms
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Schema
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from tandir.api.messages import pattern
from tandir.core.money import AMOUNT_PLACES, CURRENCIES
from tandir.engine.products import MAX_AMOUNT
from tandir.registry.models import EconomicActivity, Education, HeardVia, IdDocument, Sex, Status


class ErrorDetail(Schema):
    """One error. Further keys depend on the code (e.g. `existing_id` for a duplicate)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(description="Stable machine-readable code, e.g. `duplicate_phone`.")
    message: str = Field(description="Human-readable message in the request's language.")
    fields: dict[str, list[str]] | None = Field(
        None,
        description=(
            "For `invalid`, `currency_mismatch` and `too_many_decimals`: messages per field "
            "(`household.members_count`, `amount.currency`)."
        ),
    )
    existing_id: int | None = Field(
        None,
        description=(
            "For `duplicate_phone` / `duplicate_national_id`: the record holding it, only when "
            "you may open that record."
        ),
    )
    field: str | None = Field(None, description="For duplicates: which field matched.")
    candidate_ids: list[int] | None = Field(
        None, description="For `possible_duplicate`: the similar records you may open, to check."
    )
    outside_scope: int | None = Field(
        None,
        description=(
            "For `possible_duplicate`: how many similar people are in branches you cannot see; "
            "they are not named."
        ),
    )


class ErrorOut(Schema):
    error: ErrorDetail


class Ref(Schema):
    id: int
    name: str


MONEY_PATTERN = r"^-?\d+(\.\d+)?$"


class MoneyOut(Schema):
    amount: str = Field(
        description="Decimal string, never a float, e.g. `120000.00`.", pattern=MONEY_PATTERN
    )
    currency: str = Field(description="ISO 4217 code.", min_length=3, max_length=3)


def one_of(values: list[str]) -> Callable[[str], str]:
    """A validator refusing any value but `values`."""

    def check(value: str) -> str:
        if value not in values:
            raise ValueError(_("Must be one of: %(values)s.") % {"values": ", ".join(values)})
        return value

    return check


def _one_of(choices: type[TextChoices]) -> Callable[[str], str]:
    return one_of([str(value) for value in choices.values])


def _enum(choices: type[TextChoices]) -> dict[str, Any]:
    return {"type": "string", "enum": list(choices.values)}


SexCode = Annotated[str, AfterValidator(_one_of(Sex)), WithJsonSchema(_enum(Sex))]
StatusCode = Annotated[str, AfterValidator(_one_of(Status)), WithJsonSchema(_enum(Status))]
EducationCode = Annotated[str, AfterValidator(_one_of(Education)), WithJsonSchema(_enum(Education))]
EconomicActivityCode = Annotated[
    str, AfterValidator(_one_of(EconomicActivity)), WithJsonSchema(_enum(EconomicActivity))
]
HeardViaCode = Annotated[str, AfterValidator(_one_of(HeardVia)), WithJsonSchema(_enum(HeardVia))]
IdDocumentCode = Annotated[
    str, AfterValidator(_one_of(IdDocument)), WithJsonSchema(_enum(IdDocument))
]

# --- Limits ---------------------------------------------------------------------------------

# Every database Tandir runs on stores ids and counts in 64-bit integers; a larger number in a
# request would fail in the database (a 500), so it is refused as a field error first.
BIGGEST_INTEGER = BaseDatabaseOperations.integer_field_ranges["BigIntegerField"][1]

# Query strings go to the database as they are; PostgreSQL refuses text with NUL in it.
NO_NUL = pattern(r"^[^\x00]*$", gettext_lazy("Null characters are not allowed."))

# Django's slug (`validate_slug`), written for JSON Schema's regular expressions.
SLUG = pattern(
    r"^[-a-zA-Z0-9_]+$", gettext_lazy("Enter a code of letters, digits, hyphens or underscores.")
)

# Something other than spaces: a required name is stripped before it is checked.
NOT_BLANK = pattern(r"\S", gettext_lazy("This field is required."))


def id_bounds(model: type[models.Model]) -> Any:
    """For `Annotated[int, ...]`: a primary key of `model`, positive and within its column."""
    _low, high = BaseDatabaseOperations.integer_field_ranges[model._meta.pk.get_internal_type()]
    return Field(ge=1, le=high)


def max_length_of(model: type[models.Model], name: str) -> int:
    length = getattr(model._meta.get_field(name), "max_length", None)
    assert isinstance(length, int), f"{model.__name__}.{name} has no max_length"
    return length


def text_bounds(field: forms.Field) -> Any:
    """For `Annotated[str, ...]`: the max length `field` checks, and more than spaces if it is
    required (a form strips a text before it checks that it was given)."""
    max_length = getattr(field, "max_length", None)
    if field.required:
        return Field(min_length=1, max_length=max_length, pattern=NOT_BLANK)
    return Field(max_length=max_length)


def integer_bounds(field: forms.Field) -> Any:
    """For `Annotated[int, ...]`: the bounds an integer form field checks."""
    assert isinstance(field, forms.IntegerField)
    low, high = field.min_value, field.max_value
    assert isinstance(low, int) and isinstance(high, int), "the form states both bounds"
    return Field(ge=low, le=high)


def form_decimal_pattern(field: forms.Field) -> str:
    """A non-negative decimal string with at most the digits a decimal form field accepts."""
    assert isinstance(field, forms.DecimalField)
    assert field.max_digits is not None and field.decimal_places is not None
    whole, places = field.max_digits - field.decimal_places, field.decimal_places
    return pattern(
        rf"^[0-9]{{1,{whole}}}(\.[0-9]{{1,{places}}})?$",
        gettext_lazy("Enter an amount as a string of digits, e.g. 120000 or 120000.50."),
    )


def form_choices(field: forms.Field) -> list[str]:
    """The values a choice form field offers, without its empty choice."""
    assert isinstance(field, forms.ChoiceField)
    return [str(value) for value, _label in list(field.choices) if value]  # type: ignore[arg-type]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # a strict date field refuses it with its own message
    if not _ISO_DATE.fullmatch(value):
        raise ValueError(_("Enter a date as YYYY-MM-DD."))
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("Enter a real date as YYYY-MM-DD.")) from None


# A date in a JSON body: exactly `YYYY-MM-DD` (not a number of seconds, not a date and time).
IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date)]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omittable(**kwargs: Any) -> Any:
    """A field that may be left out but is never null: in a change, left out means unchanged;
    in a query, no filter."""
    return Field(None, json_schema_extra=_no_default, **kwargs)


# --- Money in a request ------------------------------------------------------------------------

# An amount the loan engine accepts (below 10¹⁵), with at most the decimals a money column keeps;
# the currency's own minor unit (2 for USD, 0 for JPY) is checked against the record it is for.
AMOUNT_WHOLE_DIGITS = len(str(int(MAX_AMOUNT))) - 1
AMOUNT_PATTERN = pattern(
    rf"^[0-9]{{1,{AMOUNT_WHOLE_DIGITS}}}(\.[0-9]{{1,{AMOUNT_PLACES}}})?$",
    gettext_lazy("Enter an amount as a string of digits, e.g. 120000 or 120000.50."),
)
CurrencyCode = Annotated[
    str,
    AfterValidator(one_of(list(CURRENCIES))),
    WithJsonSchema({"type": "string", "enum": list(CURRENCIES), "description": "ISO 4217 code."}),
]


class Input(BaseModel):
    """A request body, read as its JSON types say: `"4"` is not a number, `1` is not a date, and
    an object is needed where one is documented (a django-ninja `Schema` would read any value's
    attributes, so `"x"` would pass as an empty object)."""

    model_config = ConfigDict(strict=True)


class MoneyIn(Input):
    """An amount in a request: a decimal string, never a JSON number, with its currency."""

    amount: str = Field(
        pattern=AMOUNT_PATTERN,
        description=(
            "Decimal string, never a number: `94.56`. At most the decimals of the currency."
        ),
    )
    currency: CurrencyCode


# The error answers every operation may give, for the OpenAPI document.
AUTH_ERRORS: dict[int, type[Schema]] = {401: ErrorOut}
