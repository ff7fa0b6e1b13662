"""The donor report of a project for a period: the headline table, the disaggregations and the
amounts converted to the donor's reporting currency, ready for the page, the JSON of
`tandir report donor`, the XLSX and the PDF.

`donor_report()` reads everything in a fixed number of queries (programme indicators, the
repayment rates of `tandir.reports.portfolio`, follow-up coverage of `tandir.impact.queries`,
one load of the exchange-rate table) and calls `progress(done, total)` after each step, which
the command line shows as a bar and the worker records on the report's run.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from tandir.core.errors import NotAllowed, NotFound
from tandir.impact.queries import coverage
from tandir.orgs.access import scope
from tandir.orgs.models import Project
from tandir.orgs.roles import Right, has_right
from tandir.reports.exchange import Converted, RateTable
from tandir.reports.portfolio import CurrencyRates, repayment_rates
from tandir.reports.programme import (
    DIMENSIONS,
    FOLLOW_UP_12,
    Figure,
    MeasuredChange,
    Programme,
    percent,
)

Progress = Callable[[int, int], None]
# The headline table, in the order it prints.
HEADLINE = (
    "registered",
    "completed_training",
    "drop_out_rate",
    "plans_prepared",
    "plans_financed",
    "loans_disbursed",
    "amount_disbursed",
    "families",
    "on_time_repayment_rate",
    "cumulative_repayment_rate",
    "income_increase",
    "quality_of_life_better",
    "income_measured",
    "jobs_created",
    "family_workers_added",
    "businesses_operating_12m",
    "associations_formed",
    "women",
    "youth",
)
STEPS = 10


def projects_in_scope(user: Any) -> Any:
    if not has_right(user, Right.SEE_REPORTS):
        raise NotAllowed(_("Your role does not allow this."))
    return scope(user, Project.objects.all(), branch_field=None)


def access_project(user: Any, project_id: Any) -> Project:
    """The one permission-checked way to a project's report; 404 outside the user's scope."""
    try:
        return projects_in_scope(user).select_related("organization").get(pk=int(project_id))
    except (Project.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such project.")) from None


@dataclass
class DonorReport:
    project: Project
    date_from: datetime.date
    date_to: datetime.date
    currency: str
    figures: dict[str, Figure]
    # Amount disbursed in the loans' own currencies: currency → (loans, amount).
    disbursed: dict[str, tuple[int, Decimal]]
    converted: Converted
    measured: dict[str, MeasuredChange]
    registered_by_channel: list[tuple[str, Any]]
    registered_by_group: list[tuple[str, int]]
    disaggregations: list[tuple[str, Any, list[dict[str, Any]]]] = field(default_factory=list)
    written_off: dict[str, Decimal] = field(default_factory=dict)
    # False when the reader sees only some branches: the figures are of those branches.
    whole_organization: bool = True

    @property
    def headline(self) -> list[Figure]:
        return [self.figures[key] for key in HEADLINE]

    def as_json(self) -> dict[str, Any]:
        """The contract of `tandir report donor --format json` (docs/reports-cli.md)."""
        f = self.figures

        def text(value: Any) -> str | None:
            return None if value is None else f"{Decimal(value):.2f}"

        def surveyed(figure: Figure) -> dict[str, Any]:
            return {
                "percent": text(figure.value),
                "yes": figure.numerator,
                "answered": figure.answered,
                "due": figure.due,
            }

        income = self.measured.get("household_income_monthly")
        return {
            "project": self.project.code,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "currency": self.currency,
            "registered": f["registered"].value,
            "completed_training": f["completed_training"].value,
            "drop_out_rate_percent": text(f["drop_out_rate"].value),
            "plans_prepared": f["plans_prepared"].value,
            "plans_financed": f["plans_financed"].value,
            "loans_disbursed": f["loans_disbursed"].value,
            "amount_disbursed": text(self.converted.amount),
            "amount_disbursed_by_currency": {
                currency: text(amount) for currency, (_n, amount) in self.disbursed.items()
            },
            "families": f["families"].value,
            "on_time_repayment_rate_percent": text(f["on_time_repayment_rate"].value),
            "cumulative_repayment_rate_percent": text(f["cumulative_repayment_rate"].value),
            "income_increase_percent": surveyed(f["income_increase"]),
            "quality_of_life_better_percent": surveyed(f["quality_of_life_better"]),
            "income_measured": None
            if income is None
            else {
                "people": income.people,
                "currency": income.currency,
                "mean_before": text(income.before / income.people),
                "mean_after": text(income.after / income.people),
                "rose_percent": text(percent(income.rose, income.people)),
            },
            "jobs_created": f["jobs_created"].value,
            "family_workers_added": f["family_workers_added"].value,
            "businesses_operating_12m_percent": text(f["businesses_operating_12m"].value),
            "associations_formed": f["associations_formed"].value,
            "women_percent": text(f["women"].value),
            "youth_percent": text(f["youth"].value),
        }


def _branch_ids(user: Any) -> list[int] | None:
    if user is None or has_right(user, Right.SEE_WHOLE_ORGANIZATION):
        return None
    return list(user.branches.values_list("pk", flat=True))


def _surveyed(key: str, yes: int, answered: int, due: int | None, records: str) -> Figure:
    return Figure(
        key,
        percent(yes, answered),
        "percent",
        numerator=yes,
        denominator=answered,
        due=due,
        answered=answered,
        records=records,
    )


def _change(key: str, change: MeasuredChange | None) -> Figure:
    if change is None:
        return Figure(key, None, "number")
    return Figure(
        key,
        int(change.change),
        "number",
        numerator=int(change.after),
        denominator=int(change.before),
        answered=change.people,
    )


def _repayment_figures(
    by_currency: dict[str, CurrencyRates], table: RateTable, as_of: datetime.date
) -> dict[str, Figure]:
    """The two repayment rates over every currency of the project's loans: one currency is
    its own ratio; with several, numerators and denominators are converted to the reporting
    currency at the rate of the last day of the period, then divided."""
    figures = {}
    for key, part in (
        ("on_time_repayment_rate", "on_time"),
        ("cumulative_repayment_rate", "cumulative"),
    ):
        numerator = denominator = Decimal(0)
        for currency, rates in sorted(by_currency.items()):
            ratio = getattr(rates, part)
            if len(by_currency) == 1:
                numerator, denominator = Decimal(ratio.numerator), Decimal(ratio.denominator)
                break
            rate = table.rate_on(currency, as_of)
            factor = Decimal(1) if rate is None else rate.rate
            numerator += Decimal(ratio.numerator) * factor
            denominator += Decimal(ratio.denominator) * factor
        figures[key] = Figure(
            key,
            percent(numerator, denominator),
            "percent",
            numerator=numerator,
            denominator=denominator,
            currency=next(iter(by_currency)) if len(by_currency) == 1 else table.to_currency,
        )
    return figures


def donor_report(
    project: Project,
    date_from: datetime.date,
    date_to: datetime.date,
    *,
    currency: str | None = None,
    user: Any = None,
    progress: Progress | None = None,
    disaggregate: bool = True,
) -> DonorReport:
    """Compute the donor report; `user` None reads the whole organisation (command line)."""
    currency = currency or project.budget_currency
    step = 0

    def advance() -> None:
        nonlocal step
        step += 1
        if progress is not None:
            progress(step, STEPS)

    programme = Programme(project, date_from, date_to, user=user)
    figures: dict[str, Figure] = {}
    registration = programme.registration()
    figures.update({f.key: f for f in registration})
    by_group = programme.target_groups("registered")
    advance()
    figures.update({f.key: f for f in programme.training()})
    figures.update({f.key: f for f in programme.plans()})
    advance()

    disbursed = programme.disbursed_by_currency()
    table = RateTable(project.organization_id, currency)
    converted = table.convert(programme.disbursed_by_day())
    loans = sum(n for n, _amount in disbursed.values())
    figures["loans_disbursed"] = Figure("loans_disbursed", loans, "count", records="loans")
    figures["amount_disbursed"] = Figure(
        "amount_disbursed", converted.amount, "money", currency=currency, records="loans"
    )
    figures["families"] = programme.families()
    advance()

    rates = repayment_rates(programme.portfolio_loans(), date_from=date_from, as_of=date_to)
    figures.update(_repayment_figures(rates.by_currency, table, date_to))
    written_off = {
        cur: rate.written_off_to_date
        for cur, rate in rates.by_currency.items()
        if rate.written_off_to_date
    }
    advance()

    instrument = programme.instrument(FOLLOW_UP_12)
    due: int | None = None
    if instrument is not None:
        due = coverage(
            project.organization_id,
            instrument,
            date_from,
            date_to,
            project_id=project.pk,
            branch_ids=_branch_ids(user),
        ).due
    counts = programme.impact()
    figures["income_increase"] = _surveyed(
        "income_increase",
        counts["income_better"],
        counts["income_answered"],
        due,
        "income_increase",
    )
    figures["quality_of_life_better"] = _surveyed(
        "quality_of_life_better",
        counts["life_better"],
        counts["life_answered"],
        due,
        "quality_of_life_better",
    )
    figures["businesses_operating_12m"] = _surveyed(
        "businesses_operating_12m",
        counts["operating_yes"],
        counts["operating_answered"],
        due,
        "businesses_operating",
    )
    advance()
    measured = programme.measured()
    income = measured.get("household_income_monthly")
    figures["income_measured"] = Figure(
        "income_measured",
        None if income is None else percent(income.rose, income.people),
        "percent",
        numerator=None if income is None else income.rose,
        denominator=None if income is None else income.people,
        currency="" if income is None else income.currency,
    )
    figures["jobs_created"] = _change("jobs_created", measured.get("paid_employees"))
    figures["family_workers_added"] = _change(
        "family_workers_added", measured.get("family_workers")
    )
    advance()
    figures["associations_formed"] = programme.associations_formed()
    figures.update({f.key: f for f in programme.shares()})
    advance()

    disaggregations: list[tuple[str, Any, list[dict[str, Any]]]] = []
    if disaggregate:
        for index, (dimension, label) in enumerate(DIMENSIONS):
            disaggregations.append((dimension, label, programme.disaggregate(dimension)))
            if index % 2:
                advance()
    else:
        advance()
        advance()
    advance()
    return DonorReport(
        project=project,
        date_from=date_from,
        date_to=date_to,
        currency=currency,
        figures=figures,
        disbursed=disbursed,
        converted=converted,
        measured=measured,
        registered_by_channel=registration[0].parts,
        registered_by_group=by_group,
        disaggregations=disaggregations,
        written_off=written_off,
        whole_organization=_branch_ids(user) is None,
    )
