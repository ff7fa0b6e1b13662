"""Demo impact monitoring: the seeded instruments in each programme, a baseline for most people
who consented, and the 6- and 12-month follow-ups of the borrowers whose turn has come.

Answers are plausible rather than rosy: most borrowers report a higher income and a better
life, some the same, a few worse, and the measured incomes move with what they report. A share
of those due never answered (the drop-outs the planning page shows), and nobody without consent
to follow-up surveys is asked. Everything is written through `tandir.impact.actions`, in one
set-based write per instrument.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db.models import Min

from tandir.impact import actions
from tandir.impact.answers import Value, check_answers
from tandir.impact.models import Instrument, InstrumentKind
from tandir.impact.queries import add_months, published_version
from tandir.lending.models import Loan
from tandir.registry.models import Beneficiary, Consent, EconomicActivity

if TYPE_CHECKING:
    from tandir.demo.loader import Programme

BASELINE_SHARE = 0.9  # of those who consented
ANSWERED_SHARE = 0.85  # of those due for a follow-up
# What a household's monthly income is around, by currency, where the registry has none.
TYPICAL_INCOME = {"AMD": 180000, "AZN": 650, "PKR": 45000, "USD": 400}
COMPLAINTS = [
    "The repayment day falls before the market day; a later day would help.",
    "More advice on marketing would be useful.",
    "The branch is far; a mobile officer visiting the village would help.",
]


@dataclass
class _Household:
    income: int
    operating: bool
    revenue: int
    employees: int
    family: int
    life: int
    # How the person's situation moves over the follow-ups: better, same or worse.
    course: str


def load_impact(
    rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date
) -> None:
    for programme in programmes:
        _load_programme(rng, programme, as_of)


def _round(value: float) -> int:
    return int(Decimal(value).quantize(Decimal(1), ROUND_HALF_UP))


def _load_programme(rng: random.Random, programme: Programme, as_of: datetime.date) -> None:
    organization = programme.organization
    officer = programme.staff[f"{programme.prefix}.me"]
    instruments = actions.seed_instruments(officer, organization)
    currency = organization.currency
    people = list(
        Beneficiary.objects.filter(organization=organization, merged_into__isnull=True)
        .select_related("household")
        .order_by("pk")
    )
    consents = {
        c.beneficiary_id: c
        for c in Consent.objects.filter(organization=organization, withdrawn_on__isnull=True)
    }
    first_loans = dict(
        Loan.objects.filter(organization=organization, disbursed_on__isnull=False)
        .values("beneficiary_id")
        .annotate(first=Min("disbursed_on"))
        .values_list("beneficiary_id", "first")
    )
    households = {p.pk: _household(rng, p, currency) for p in people}
    for instrument in instruments:
        rows = []
        version = published_version(instrument)
        assert version is not None
        questions = list(version.questions.all())
        for person in people:
            consent = consents.get(person.pk)
            if instrument.kind == InstrumentKind.BASELINE:
                if consent is None or not consent.programme_use:
                    continue
                if rng.random() > BASELINE_SHARE:
                    continue
                taken_on = min(person.registered_on + datetime.timedelta(rng.randint(0, 7)), as_of)
                answers = _baseline(households[person.pk])
            else:
                anchor = first_loans.get(person.pk)
                if anchor is None or consent is None or not consent.follow_up_surveys:
                    continue
                due = add_months(anchor, instrument.months_after or 0)
                if due > as_of or rng.random() > ANSWERED_SHARE:
                    continue
                taken_on = min(due + datetime.timedelta(rng.randint(0, 21)), as_of)
                answers = _follow_up(rng, households[person.pk], instrument)
            values, errors = check_answers(questions, answers, currency)
            assert not errors, (person.pk, errors)
            rows.append(_checked(person, taken_on, values))
        actions.record_checked_responses(
            officer, instrument=instrument, version=version, rows=rows, source="web"
        )


def _checked(
    person: Beneficiary, taken_on: datetime.date, values: dict[str, Value]
) -> actions.CheckedResponse:
    return actions.CheckedResponse(
        beneficiary_id=person.pk, branch_id=person.branch_id, taken_on=taken_on, values=values
    )


def _household(rng: random.Random, person: Beneficiary, currency: str) -> _Household:
    household = person.household
    recorded = household.monthly_income_amount if household else None
    if (
        recorded is not None
        and household is not None
        and household.monthly_income_currency == currency
    ):
        income = _round(float(recorded))
    else:
        income = _round(TYPICAL_INCOME.get(currency, 400) * rng.uniform(0.5, 1.5))
    operating = person.economic_activity == EconomicActivity.OWN_BUSINESS or rng.random() < 0.35
    return _Household(
        income=income,
        operating=operating,
        revenue=_round(income * rng.uniform(0.8, 2.0)) if operating else 0,
        employees=rng.choices([0, 1, 2], [70, 22, 8])[0] if operating else 0,
        family=rng.choices([0, 1, 2, 3], [40, 35, 18, 7])[0] if operating else 0,
        life=rng.choices([1, 2, 3, 4], [8, 35, 45, 12])[0],
        course=rng.choices(["better", "same", "worse"], [78, 15, 7])[0],
    )


def _baseline(h: _Household) -> dict[str, object]:
    answers: dict[str, object] = {
        "household_income_monthly": h.income,
        "business_operating": "yes" if h.operating else "no",
        "quality_of_life": h.life,
    }
    if h.operating:
        answers |= {
            "business_revenue_monthly": h.revenue,
            "business_profit_monthly": _round(h.revenue * 0.25),
            "paid_employees": h.employees,
            "family_workers": h.family,
        }
    return answers


def _follow_up(rng: random.Random, h: _Household, instrument: Instrument) -> dict[str, object]:
    # Twelve months on, a change has gone further than at six.
    steps = max(1, (instrument.months_after or 6) // 6)
    if h.course == "better":
        factor = 1 + steps * rng.uniform(0.08, 0.2)
        life = min(5, h.life + rng.choice([1, 1, 2]))
    elif h.course == "same":
        factor = rng.uniform(0.97, 1.04)
        life = h.life
    else:
        factor = 1 - steps * rng.uniform(0.05, 0.15)
        life = max(1, h.life - 1)
    # What people say follows the numbers mostly, not always.
    life_change = h.course if rng.random() < 0.9 else "same"
    operating = h.operating or (h.course == "better" and rng.random() < 0.6)
    revenue = _round(max(h.revenue, h.income * 0.8) * factor) if operating else 0
    answers: dict[str, object] = {
        "household_income_monthly": _round(h.income * factor),
        "income_change": h.course,
        "business_operating": "yes" if operating else "no",
        "quality_of_life": life,
        "quality_of_life_change": life_change,
        "satisfaction": rng.choices([3, 4, 5], [15, 45, 40])[0],
    }
    if operating:
        answers |= {
            "business_revenue_monthly": revenue,
            "business_profit_monthly": _round(revenue * rng.uniform(-0.05, 0.35)),
            "paid_employees": h.employees
            + (steps if h.course == "better" and rng.random() < 0.3 else 0),
            "family_workers": h.family,
        }
    if rng.random() < 0.08:
        answers["complaint"] = rng.choice(COMPLAINTS)
    return answers
