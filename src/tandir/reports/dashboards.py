"""The dashboard of `reports:dashboard`: what it shows follows the user's rights, over the user's
scope (a branch manager's branches; the whole organisation for roles that see it).

Fast by design, every section one query whatever the portfolio's size:
- the portfolio and PAR30 trend: one query over the branch sums close of business keeps per
  date (`PortfolioDay`) for the trend dates (the month-ends of the last twelve months and the
  last closed date): a few rows per branch and date, not a million snapshots;
- disbursements by sector and month: one GROUP BY over the loans disbursed in twelve months;
- the training funnel with the women and youth shares: one aggregate over the people in scope;
- impact results: the 12-month follow-up's coverage (`tandir.impact.queries.coverage`) and one
  aggregate over its answers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from tandir.cob.actions import last_closed
from tandir.cob.models import PortfolioDay
from tandir.core.formatting import date as format_date
from tandir.impact.models import Answer, Instrument, InstrumentKind, Response
from tandir.impact.queries import Coverage, coverage
from tandir.lending.models import Loan, Sector
from tandir.orgs.models import Organization
from tandir.orgs.roles import Right, has_right
from tandir.plans.models import BusinessPlan, PlanStatus
from tandir.registry.models import Beneficiary, Sex, Status
from tandir.registry.queries import youngest_non_youth_birthday
from tandir.reports.charts import BarChart, Funnel, LineChart, bar_chart, funnel, line_chart
from tandir.training.models import Participant, ParticipantStatus

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TREND_MONTHS = 12
# The follow-up whose answers the impact section reads (seeded by `tandir.impact.seed`).
FOLLOW_UP_12 = "follow-up-12"
# A plan counts as prepared once it left the draft.
PREPARED_PLAN = (
    PlanStatus.UNDER_REVIEW,
    PlanStatus.READY,
    PlanStatus.FINANCED,
    PlanStatus.NOT_FINANCED,
)


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (HUNDRED * Decimal(part) / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def trend_dates(last: datetime.date, months: int = TREND_MONTHS) -> list[datetime.date]:
    """The month-ends of the `months` months before `last`'s month, then `last` itself."""
    ends = []
    day = last.replace(day=1) - datetime.timedelta(days=1)
    for _i in range(months):
        ends.append(day)
        day = day.replace(day=1) - datetime.timedelta(days=1)
    return [*sorted(ends), last]


def month_starts(
    today: datetime.date, months: int = TREND_MONTHS, *, since: datetime.date | None = None
) -> list[datetime.date]:
    """The first days of the months from `months` months back from `since` (today by default)
    to today's month, oldest first: twelve months, more when `since` lies in the past."""
    first = (since or today).replace(day=1)
    for _i in range(months - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    starts = [first]
    while starts[-1] < today.replace(day=1):
        starts.append((starts[-1] + datetime.timedelta(days=32)).replace(day=1))
    return starts


# --- Sections --------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    day: datetime.date
    gross_loan_portfolio: Decimal | None
    par30: Decimal | None  # percent
    active_loans: int


@dataclass
class CurrencyTrend:
    currency: str
    points: list[TrendPoint]
    portfolio_chart: LineChart
    par_chart: LineChart


@dataclass
class DisbursementChart:
    currency: str
    months: list[datetime.date]
    sectors: list[str]
    chart: BarChart
    total: Decimal
    loans: int


@dataclass
class FunnelSection:
    steps: list[tuple[Any, int, int, int]]  # (label, people, women, youth)
    chart: Funnel
    shares: BarChart  # women and youth share of each step

    def share_rows(self) -> list[tuple[Any, int, Decimal | None, Decimal | None]]:
        return [(label, n, percent(w, n), percent(y, n)) for label, n, w, y in self.steps]


@dataclass
class ImpactSection:
    instrument: Instrument | None
    coverage: Coverage | None
    income_answered: int = 0
    income_better: int = 0
    life_answered: int = 0
    life_better: int = 0

    @property
    def income_better_percent(self) -> Decimal | None:
        return percent(self.income_better, self.income_answered)

    @property
    def life_better_percent(self) -> Decimal | None:
        return percent(self.life_better, self.life_answered)

    @property
    def chart(self) -> BarChart:
        return bar_chart(
            [str(_("Income better")), str(_("Quality of life better"))],
            {
                str(_("% of those who answered")): [
                    self.income_better_percent or Decimal(0),
                    self.life_better_percent or Decimal(0),
                ]
            },
            percent=True,
        )


@dataclass
class Dashboard:
    organization: Organization
    branch_ids: list[int] | None  # None: the whole organisation
    branch_names: list[str]
    today: datetime.date
    last_closed: datetime.date | None
    sections: list[str] = field(default_factory=list)
    trends: list[CurrencyTrend] = field(default_factory=list)
    disbursements: list[DisbursementChart] = field(default_factory=list)
    funnel: FunnelSection | None = None
    impact: ImpactSection | None = None
    period: tuple[datetime.date, datetime.date] | None = None


def sections_for(user: Any) -> list[str]:
    """Which sections a user's rights show: everyone with SEE_REPORTS sees the portfolio;
    those who run the programme (training, surveys) see the funnel and the impact results."""
    if not has_right(user, Right.SEE_REPORTS):
        return []
    shown = ["portfolio", "disbursements"]
    if has_right(user, Right.MANAGE_TRAINING) or has_right(user, Right.MANAGE_SURVEYS):
        shown.append("funnel")
    if has_right(user, Right.MANAGE_SURVEYS) or has_right(user, Right.RECORD_RESPONSES):
        shown.append("impact")
    return shown


def portfolio_trends(
    organization: Organization, dates: list[datetime.date], branch_ids: list[int] | None
) -> list[CurrencyTrend]:
    """One query over the branch sums close of business kept for every trend date."""
    days = PortfolioDay.objects.filter(organization=organization, business_date__in=dates)
    if branch_ids is not None:
        days = days.filter(branch_id__in=branch_ids)
    rows = (
        days.values("business_date", "currency")
        .annotate(glp=Sum("gross_loan_portfolio"), par30=Sum("par30"), loans=Sum("loans"))
        .order_by("currency", "business_date")
    )
    by_currency: dict[str, dict[datetime.date, dict[str, Any]]] = {}
    for found in rows:
        by_currency.setdefault(found["currency"], {})[found["business_date"]] = dict(found)
    labels = [format_date(day, "short") for day in dates]
    trends = []
    for currency, by_day in sorted(by_currency.items()):
        points = []
        for day in dates:
            row = by_day.get(day)
            if row is None:
                points.append(TrendPoint(day, None, None, 0))
                continue
            glp = Decimal(row["glp"] or 0).quantize(CENT, rounding=ROUND_HALF_UP)
            par = percent(Decimal(row["par30"] or 0), glp) if glp else None
            points.append(TrendPoint(day, glp, par, row["loans"]))
        trends.append(
            CurrencyTrend(
                currency,
                points,
                line_chart(labels, {currency: [p.gross_loan_portfolio for p in points]}),
                line_chart(labels, {"PAR30": [p.par30 for p in points]}, percent=True),
            )
        )
    return trends


def disbursements(
    organization: Organization,
    today: datetime.date,
    branch_ids: list[int] | None,
    since: datetime.date | None = None,
) -> list[DisbursementChart]:
    """Amounts disbursed per month, stacked by sector, one chart a currency: the twelve months
    up to `since` (the last closed date, so the bars cover the trend's year) and any after it
    up to today."""
    months = month_starts(today, since=since)
    loans = Loan.objects.filter(
        organization=organization, disbursed_on__gte=months[0], disbursed_on__lte=today
    )
    if branch_ids is not None:
        loans = loans.filter(branch_id__in=branch_ids)
    rows = (
        loans.annotate(month=TruncMonth("disbursed_on"))
        .values("currency", "month", "sector")
        .annotate(amount=Sum("amount"), n=Count("id"))
        .order_by("currency", "month", "sector")
    )
    data: dict[str, dict[tuple[datetime.date, str], tuple[Decimal, int]]] = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        data.setdefault(row["currency"], {})[(month, row["sector"])] = (
            Decimal(row["amount"] or 0),
            row["n"],
        )
    labels = [format_date(m, "MMM yy") for m in months]
    charts = []
    sector_labels = dict(Sector.choices)
    for currency, cells in sorted(data.items()):
        sectors = sorted({sector for _month, sector in cells})
        series = {
            str(sector_labels.get(sector, sector)): [
                cells.get((m, sector), (Decimal(0), 0))[0] for m in months
            ]
            for sector in sectors
        }
        charts.append(
            DisbursementChart(
                currency,
                months,
                sectors,
                bar_chart(labels, series, stacked=True),
                sum((amount for amount, _n in cells.values()), Decimal(0)),
                sum(n for _amount, n in cells.values()),
            )
        )
    return charts


def training_funnel(
    organization: Organization, today: datetime.date, branch_ids: list[int] | None
) -> FunnelSection:
    """Registered → completed training → business plan → loan, with the women and the youth of
    each step: one aggregate per step over the people in scope. Each step's condition is a
    WHERE EXISTS, which PostgreSQL runs as one semi-join; as a FILTER of a single aggregate it
    ran once per person and column (nine subqueries a person: 12 s at 1M participants)."""
    people = Beneficiary.objects.filter(
        organization=organization, merged_into__isnull=True
    ).exclude(status=Status.INTERESTED)
    if branch_ids is not None:
        people = people.filter(branch_id__in=branch_ids)
    trained = Exists(
        Participant.objects.filter(beneficiary=OuterRef("pk"), status=ParticipantStatus.COMPLETED)
    )
    planned = Exists(
        BusinessPlan.objects.filter(beneficiary=OuterRef("pk"), status__in=PREPARED_PLAN)
    )
    borrowed = Exists(Loan.objects.filter(beneficiary=OuterRef("pk"), disbursed_on__isnull=False))
    woman = Q(sex=Sex.FEMALE)
    young = Q(date_of_birth__gt=youngest_non_youth_birthday(today))
    steps = {"registered": None, "trained": trained, "plan": planned, "loan": borrowed}
    counts: dict[str, Any] = {}
    for name, condition in steps.items():
        found = people if condition is None else people.filter(condition)
        step = found.aggregate(
            n=Count("pk"), women=Count("pk", filter=woman), youth=Count("pk", filter=young)
        )
        counts[name] = step["n"]
        counts[f"{name}_women"] = step["women"]
        counts[f"{name}_youth"] = step["youth"]
    labels = {
        "registered": _("Registered"),
        "trained": _("Completed training"),
        "plan": _("Business plan"),
        "loan": _("Loan disbursed"),
    }
    rows = [
        (
            labels[name],
            counts[name] or 0,
            counts[f"{name}_women"] or 0,
            counts[f"{name}_youth"] or 0,
        )
        for name in steps
    ]
    share_labels = [str(label) for label, *_rest in rows]
    shares = bar_chart(
        share_labels,
        {
            str(_("Women %")): [percent(w, n) or Decimal(0) for _l, n, w, _y in rows],
            str(_("Youth %")): [percent(y, n) or Decimal(0) for _l, n, _w, y in rows],
        },
        percent=True,
    )
    return FunnelSection(rows, funnel([(str(label), n) for label, n, _w, _y in rows]), shares)


def impact_results(
    organization: Organization,
    period: tuple[datetime.date, datetime.date],
    branch_ids: list[int] | None,
) -> ImpactSection:
    """Who was due for the 12-month follow-up in the period and answered it, and the share of
    those who answered reporting a better income and a better quality of life."""
    instrument = Instrument.objects.filter(
        organization=organization, code=FOLLOW_UP_12, kind=InstrumentKind.FOLLOW_UP
    ).first()
    if instrument is None:
        return ImpactSection(None, None)
    start, end = period
    covered = coverage(organization.pk, instrument, start, end, branch_ids=branch_ids)
    responses = Response.objects.filter(
        organization=organization, instrument=instrument, taken_on__range=period
    )
    if branch_ids is not None:
        responses = responses.filter(beneficiary__branch_id__in=branch_ids)
    answers = Answer.objects.filter(
        response__in=responses.values("pk"), code__in=["income_change", "quality_of_life_change"]
    )

    def count(code: str, text: str | None = None) -> Count:
        condition = Q(code=code) if text is None else Q(code=code, text=text)
        return Count("response__beneficiary", distinct=True, filter=condition)

    counts = answers.aggregate(
        income_answered=count("income_change"),
        income_better=count("income_change", "better"),
        life_answered=count("quality_of_life_change"),
        life_better=count("quality_of_life_change", "better"),
    )
    return ImpactSection(
        instrument,
        covered,
        counts["income_answered"] or 0,
        counts["income_better"] or 0,
        counts["life_answered"] or 0,
        counts["life_better"] or 0,
    )


def dashboard(user: Any, today: datetime.date) -> Dashboard:
    """The dashboard of `user` on `today`: the sections their rights show, over their scope."""
    organization = user.organization
    if has_right(user, Right.SEE_WHOLE_ORGANIZATION):
        branch_ids, names = None, []
    else:
        branches = list(user.branches.order_by("name").values_list("pk", "name"))
        branch_ids, names = [pk for pk, _name in branches], [name for _pk, name in branches]
    board = Dashboard(organization, branch_ids, names, today, last_closed(organization))
    board.sections = sections_for(user)
    if "portfolio" in board.sections and board.last_closed:
        board.trends = portfolio_trends(organization, trend_dates(board.last_closed), branch_ids)
    if "disbursements" in board.sections:
        board.disbursements = disbursements(organization, today, branch_ids, board.last_closed)
    if "funnel" in board.sections:
        board.funnel = training_funnel(organization, today, branch_ids)
    if "impact" in board.sections:
        board.period = (today - datetime.timedelta(days=365), today)
        board.impact = impact_results(organization, board.period, branch_ids)
    return board
