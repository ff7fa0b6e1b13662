"""Shapes shared by every API router: errors, references, money and choice codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from django.db.models import TextChoices
from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema

from tandir.registry.models import EconomicActivity, Education, HeardVia, Sex, Status


class ErrorDetail(Schema):
    """One error. Further keys depend on the code (e.g. `existing_id` for a duplicate)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(description="Stable machine-readable code, e.g. `duplicate_phone`.")
    message: str = Field(description="Human-readable message in the request's language.")
    fields: dict[str, list[str]] | None = Field(
        None, description="For `invalid`: messages per field (`household.members_count`)."
    )
    existing_id: int | None = Field(
        None, description="For `duplicate_phone` / `duplicate_national_id`: the record holding it."
    )
    field: str | None = Field(None, description="For duplicates: which field matched.")
    candidate_ids: list[int] | None = Field(
        None, description="For `possible_duplicate`: the similar records to check."
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


class MoneyIn(Schema):
    amount: str = Field(description="Decimal string, e.g. `120000` or `120000.50`.")
    currency: str = Field(description="ISO 4217 code.")


def _one_of(choices: type[TextChoices]) -> Callable[[str], str]:
    values = list(choices.values)

    def check(value: str) -> str:
        if value not in values:
            raise ValueError(f"Must be one of: {', '.join(values)}.")
        return value

    return check


def _enum(choices: type[TextChoices]) -> dict[str, Any]:
    return {"type": "string", "enum": list(choices.values)}


SexCode = Annotated[str, AfterValidator(_one_of(Sex)), WithJsonSchema(_enum(Sex))]
StatusCode = Annotated[str, AfterValidator(_one_of(Status)), WithJsonSchema(_enum(Status))]
EducationCode = Annotated[str, AfterValidator(_one_of(Education)), WithJsonSchema(_enum(Education))]
EconomicActivityCode = Annotated[
    str, AfterValidator(_one_of(EconomicActivity)), WithJsonSchema(_enum(EconomicActivity))
]
HeardViaCode = Annotated[str, AfterValidator(_one_of(HeardVia)), WithJsonSchema(_enum(HeardVia))]

# The error answers every operation may give, for the OpenAPI document.
AUTH_ERRORS: dict[int, type[Schema]] = {401: ErrorOut}
