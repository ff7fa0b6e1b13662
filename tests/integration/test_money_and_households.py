"""The money columns, the household rule and the currency list, each with one home."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.db import IntegrityError, transaction

from tandir.core.money import CURRENCIES, money
from tandir.engine.money import MINOR_UNITS
from tandir.orgs.models import Project
from tandir.registry.forms import BeneficiaryForm
from tandir.registry.models import Household, age_on
from tests.factories import World, beneficiary_data


def test_currencies_come_from_the_engine() -> None:
    assert set(CURRENCIES) == set(MINOR_UNITS)
    field = BeneficiaryForm.base_fields["household_income_currency"]
    assert isinstance(field, forms.ChoiceField)
    choices = {value for value, _label in field.choices}  # type: ignore[misc,union-attr]
    assert choices == {"", *MINOR_UNITS}


def test_money_keeps_the_currency_minor_units_and_refuses_more() -> None:
    assert money("120000", "AMD").amount == Decimal("120000.00")
    assert str(money(Decimal("1.500"), "JOD").amount) == "1.500"
    with pytest.raises(ValueError):
        money("1.005", "USD")
    with pytest.raises(ValueError):
        money("1", "XYZ")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        (Decimal("10.005"), "USD"),  # more decimals than cents
        (Decimal("10.5"), "JPY"),  # yen have none
        (Decimal("10"), ""),  # an income needs its currency
        (Decimal("-1"), "AMD"),
    ],
)
def test_the_database_refuses_an_amount_its_currency_cannot_hold(
    world: World, amount: Decimal, currency: str
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.create(
            organization=world.org,
            members_count=3,
            head_sex="female",
            monthly_income_amount=amount,
            monthly_income_currency=currency,
        )


def test_a_project_budget_is_a_money_value(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(
            organization=world.org,
            name="Bad",
            code="BAD",
            budget_amount=Decimal("1.001"),
            budget_currency="USD",
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2026, 12, 31),
        )


def test_form_refuses_an_income_with_more_decimals_than_its_currency(world: World) -> None:
    form = BeneficiaryForm(
        beneficiary_data(world, household_income="100.5", household_income_currency="JPY"),
        user=world.intake_a,
    )
    assert not form.is_valid()
    assert "household_income" in form.errors


@pytest.mark.parametrize(("members", "dependants", "allowed"), [(4, 3, True), (4, 4, False)])
def test_the_household_rule_is_the_same_in_form_and_database(
    world: World, members: int, dependants: int, allowed: bool
) -> None:
    form = BeneficiaryForm(
        beneficiary_data(world, household_members=members, household_dependants=dependants),
        user=world.intake_a,
    )
    assert form.is_valid() is allowed
    assert Household.dependants_allowed(members, dependants) is allowed
    if allowed:
        Household.objects.create(
            organization=world.org, members_count=members, dependants=dependants, head_sex="male"
        )
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            Household.objects.create(
                organization=world.org,
                members_count=members,
                dependants=dependants,
                head_sex="male",
            )


def test_age_is_counted_in_whole_years_on_the_birthday() -> None:
    born = datetime.date(2000, 2, 29)
    assert age_on(born, datetime.date(2029, 2, 28)) == 28
    assert age_on(born, datetime.date(2029, 3, 1)) == 29
