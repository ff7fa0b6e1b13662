"""Network consolidation: the anonymised figures a member publishes to its networks, and what a
network analyst reads of them.

A member's figures are aggregates computed set-based (one GROUP BY per disaggregation) from the
day's loan snapshots and the programme records: portfolio figures per currency and programme
counts, each as a total and by sex, sector, product and target group. Protected target groups
and anything below an organisation (branch, officer, district, locality) are never published.
A cell resting on 1 to 4 people is suppressed, and so is a second cell wherever the first could
be recovered by subtraction (see `suppress`). The analyst's pages read `NetworkFigure` only.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tandir.core.errors import NotAllowed, NotFound
from tandir.core.models import TargetGroup
from tandir.lending.models import Loan, LoanProduct, LoanStatus, Sector
from tandir.orgs.models import NetworkMembership, Organization, OrganizationKind
from tandir.orgs.roles import Right, has_right, is_platform_operator
from tandir.registry.models import Beneficiary, BeneficiaryTargetGroup, Sex, Status
from tandir.registry.queries import youngest_non_youth_birthday
from tandir.reports.models import NetworkFigure, NetworkShare
from tandir.reports.portfolio import Figures, Ratio, portfolio_report
from tandir.training.models import Participant, ParticipantStatus

# Fewer people than this behind a figure and it is not shown.
THRESHOLD = 5
CENT = Decimal("0.01")
# Repayment rates and write-offs are of the year that ends on the publication date.
YEAR_DAYS = 365

# Disaggregations whose categories split the total with no overlap: a single hidden cell could
# be recovered by subtracting the others from the total. Target groups overlap and leave people
# out, so only their complement (total minus the group) is guarded.
PARTITIONS = ("sex", "sector", "product")
DIMENSIONS = ("sex", "sector", "product", "target_group")

# Indicators, in the order pages show them, with what they count and their definition.
PORTFOLIO = ("gross_loan_portfolio", "active_loans", "active_borrowers", "par30", "par90")
REPAYMENT = ("on_time_repayment_rate", "cumulative_repayment_rate")
PROGRAMME = ("registered", "trained", "borrowers", "women", "youth")
INDICATORS = (*PORTFOLIO, *REPAYMENT, "write_offs", *PROGRAMME)
PERCENT_INDICATORS = frozenset({"par30", "par90", *REPAYMENT})
MONEY_INDICATORS = frozenset({"gross_loan_portfolio", "write_offs"})

LABELS: dict[str, Any] = {
    "gross_loan_portfolio": _("Gross loan portfolio"),
    "active_loans": _("Active loans"),
    "active_borrowers": _("Active borrowers"),
    "par30": _("PAR30 %"),
    "par90": _("PAR90 %"),
    "on_time_repayment_rate": _("On-time repayment rate %"),
    "cumulative_repayment_rate": _("Cumulative repayment rate %"),
    "write_offs": _("Written off in the year"),
    "registered": _("Registered"),
    "trained": _("Completed training"),
    "borrowers": _("Borrowers (ever disbursed)"),
    "women": _("Women registered"),
    "youth": _("Youth registered"),
}
DEFINITIONS: dict[str, Any] = {
    "gross_loan_portfolio": _("Outstanding principal of all active loans on the date."),
    "active_loans": _("Loans with principal outstanding on the date."),
    "active_borrowers": _("People with at least one active loan on the date."),
    "par30": _(
        "Outstanding principal of loans more than 30 days late, plus renegotiated loans, "
        "over the gross loan portfolio."
    ),
    "par90": _(
        "Outstanding principal of loans more than 90 days late, plus renegotiated loans, "
        "over the gross loan portfolio."
    ),
    "on_time_repayment_rate": _(
        "Principal and charge paid on or before the due date, over what fell due, for the "
        "installments due in the 365 days up to the date."
    ),
    "cumulative_repayment_rate": _(
        "Principal and charge collected by the date over what fell due by the date."
    ),
    "write_offs": _("Principal written off in the 365 days up to the date."),
    "registered": _("People registered by the date (not merged, not only interested)."),
    "trained": _("People who completed a training course by the date."),
    "borrowers": _("People with a loan disbursed by the date."),
    "women": _("Women among the people registered."),
    "youth": _("People registered who are youth on the date."),
}
DIMENSION_LABELS: dict[str, Any] = {
    "": _("Total"),
    "sex": _("Sex"),
    "sector": _("Sector"),
    "product": _("Product"),
    "target_group": _("Target group"),
}


@dataclass
class Cell:
    """One figure before it is stored: a value and the number of people behind it."""

    indicator: str
    dimension: str
    category: str
    currency: str
    value: Decimal | None
    people: int
    suppressed: bool = False


# The states of a loan that was paid out.
DISBURSED_STATES = (
    LoanStatus.ACTIVE,
    LoanStatus.OVERPAID,
    LoanStatus.CLOSED,
    LoanStatus.WRITTEN_OFF,
)

# --- Computing a member's figures ------------------------------------------------------------


def shareable_groups() -> list[TargetGroup]:
    """Target groups that may leave a member: not protected, not derived, within the mask."""
    return [
        g
        for g in TargetGroup.objects.filter(is_protected=False).order_by("sort_order", "code")
        if g.code not in TargetGroup.DERIVED_CODES and g.pk < 63
    ]


def _percent(ratio: Ratio) -> Decimal | None:
    value = ratio.percent
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


def _portfolio_cells(dimension: str, category: str, figures: Figures) -> list[Cell]:
    values: dict[str, Decimal | None] = {
        "gross_loan_portfolio": figures.gross_loan_portfolio,
        "active_loans": Decimal(figures.active_loans),
        "active_borrowers": Decimal(figures.active_borrowers),
        "par30": _percent(figures.par[30]),
        "par90": _percent(figures.par[90]),
    }
    return [
        Cell(name, dimension, category, figures.currency, values[name], figures.active_borrowers)
        for name in PORTFOLIO
    ]


def portfolio_figures(organization: Organization, as_of: datetime.date) -> list[Cell]:
    """Portfolio figures on `as_of` per currency, from `tandir.reports.portfolio` (the day's
    snapshot, or the records when the day was not closed): total, by sex, sector, product and
    shareable target group; the repayment rates and write-offs of the year to `as_of`."""
    date_from = as_of - datetime.timedelta(days=YEAR_DAYS - 1)
    report = portfolio_report(
        organization, as_of=as_of, date_from=date_from, group_by=list(DIMENSIONS)
    )
    cells: list[Cell] = []
    for currency_report in report.by_currency.values():
        cells += _portfolio_cells("", "", currency_report.figures)
    groups = {str(g.pk): g.code for g in shareable_groups()}
    products = dict(LoanProduct.objects.filter(organization=organization).values_list("pk", "code"))
    for dimension, rows in report.groups.items():
        for row in rows:
            category = row.key
            if dimension == "target_group":
                if row.key not in groups:
                    continue  # protected or derived: never leaves the member
                category = groups[row.key]
            elif dimension == "product":
                category = products.get(int(row.key), row.key) if row.key.isdigit() else row.key
            cells += _portfolio_cells(dimension, category, row.figures)
    # The rates rest on the people who borrowed by the date; write-offs on those written off.
    disbursed = Loan.objects.filter(
        organization=organization, disbursed_on__lte=as_of, status__in=DISBURSED_STATES
    )
    borrowers = dict(
        disbursed.values("currency")
        .annotate(n=Count("beneficiary_id", distinct=True))
        .values_list("currency", "n")
    )
    written_off = dict(
        disbursed.filter(
            status=LoanStatus.WRITTEN_OFF, closed_on__gte=date_from, closed_on__lte=as_of
        )
        .values("currency")
        .annotate(n=Count("beneficiary_id", distinct=True))
        .values_list("currency", "n")
    )
    for currency, currency_report in report.by_currency.items():
        rates = currency_report.rates
        people = borrowers.get(currency, 0)
        cells.append(
            Cell("on_time_repayment_rate", "", "", currency, _percent(rates.on_time), people)
        )
        cells.append(
            Cell("cumulative_repayment_rate", "", "", currency, _percent(rates.cumulative), people)
        )
        cells.append(
            Cell(
                "write_offs",
                "",
                "",
                currency,
                rates.written_off_in_period,
                written_off.get(currency, 0),
            )
        )
    return cells


def _programme_aggregates(as_of: datetime.date, person: str = "pk") -> dict[str, Any]:
    """Counts of people registered, trained and borrowing by `as_of`, and the youth among the
    registered; `person` is the path to the beneficiary's id from the rows counted."""
    outer = OuterRef(person)
    trained = Participant.objects.filter(
        beneficiary_id=outer, status=ParticipantStatus.COMPLETED, completed_on__lte=as_of
    )
    borrowed = Loan.objects.filter(beneficiary_id=outer, disbursed_on__lte=as_of)
    prefix = "" if person == "pk" else "beneficiary__"
    youth = Q(**{f"{prefix}date_of_birth__gt": youngest_non_youth_birthday(as_of)})
    return {
        "registered": Count(person, distinct=True),
        "trained": Count(person, distinct=True, filter=Q(Exists(trained))),
        "borrowers": Count(person, distinct=True, filter=Q(Exists(borrowed))),
        "youth": Count(person, distinct=True, filter=youth),
    }


def programme_figures(organization: Organization, as_of: datetime.date) -> list[Cell]:
    """People registered, trained and borrowing by `as_of`: total, by sex, by target group;
    women and youth among the registered."""
    people = Beneficiary.objects.filter(
        organization=organization, merged_into__isnull=True, registered_on__lte=as_of
    ).exclude(status=Status.INTERESTED)
    counted = ("registered", "trained", "borrowers")
    cells: list[Cell] = []

    def add(dimension: str, category: str, row: dict[str, Any]) -> None:
        for name in counted:
            cells.append(Cell(name, dimension, category, "", Decimal(row[name]), row[name]))

    total = people.aggregate(**_programme_aggregates(as_of))
    add("", "", total)
    # Youth rides on the registered population as a category of its own ("age", "youth"), so
    # that its complement is guarded like any other subset; it is stored as `youth`.
    cells.append(Cell("registered", "age", "youth", "", Decimal(total["youth"]), total["youth"]))
    for by_sex in people.values("sex").annotate(**_programme_aggregates(as_of)).order_by("sex"):
        add("sex", by_sex["sex"], dict(by_sex))
    groups = shareable_groups()
    memberships = BeneficiaryTargetGroup.objects.filter(
        beneficiary__in=people, targetgroup__in=groups
    )
    rows = (
        memberships.values("targetgroup__code")
        .annotate(**_programme_aggregates(as_of, "beneficiary_id"))
        .order_by("targetgroup__code")
    )
    for by_group in rows:
        add("target_group", by_group["targetgroup__code"], dict(by_group))
    return cells


def suppress(cells: list[Cell]) -> list[Cell]:
    """Hide every cell that could point at fewer than five people.

    Cells of one population (a family: the portfolio figures share the active borrowers; each
    programme count and the write-offs have their own) are decided together per currency and
    category, on the people behind them:

    1. primary: 1 to 4 people (a total that small hides everything below it);
    2. complement: a category within 1 to 4 people of the total (the total minus it would
       describe those few);
    3. secondary: in a disaggregation that splits the total (sex, sector, product), while only
       one category is hidden, or the hidden ones together hold fewer than five people, the
       next smallest category is hidden too, so no subtraction gives a small cell back.

    Zero people is published: it rests on no one.
    """

    def family(cell: Cell) -> str:
        if cell.indicator in PORTFOLIO:
            return "portfolio"
        return "repayment" if cell.indicator in REPAYMENT else cell.indicator

    people: dict[tuple[str, str], dict[tuple[str, str], int]] = defaultdict(dict)
    for cell in cells:
        people[(family(cell), cell.currency)][(cell.dimension, cell.category)] = cell.people
    hidden: set[tuple[str, str, str, str]] = set()
    for (name, currency), by_key in people.items():
        total = by_key.get(("", ""), 0)
        small: set[tuple[str, str]] = set()
        if 0 < total < THRESHOLD:
            small = set(by_key)
        else:
            for key, count in by_key.items():
                if key == ("", ""):
                    continue
                if 0 < count < THRESHOLD or 0 < total - count < THRESHOLD:
                    small.add(key)
            for dimension in PARTITIONS:
                keys = sorted(
                    (k for k in by_key if k[0] == dimension), key=lambda k: (by_key[k], k[1])
                )
                while True:
                    gone = [k for k in keys if k in small]
                    left = [k for k in keys if k not in small]
                    together = sum(by_key[k] for k in gone)
                    if not gone or not left or (len(gone) > 1 and together >= THRESHOLD):
                        break
                    small.add(left[0])
        hidden |= {(name, currency, d, c) for d, c in small}
    shown: list[Cell] = []
    for cell in cells:
        if (family(cell), cell.currency, cell.dimension, cell.category) in hidden:
            cell.suppressed = True
        shown.append(cell)
    return shown


def _stored_form(cells: Iterable[Cell]) -> list[Cell]:
    """The programme's helper categories become the indicators they stand for: registered
    women is `women`, the registered youth category is `youth`."""
    out: list[Cell] = []
    for cell in cells:
        if cell.indicator == "registered" and cell.dimension == "age":
            out.append(Cell("youth", "", "", "", cell.value, cell.people, cell.suppressed))
            continue
        out.append(cell)
        if cell.indicator == "registered" and (cell.dimension, cell.category) == ("sex", "female"):
            out.append(Cell("women", "", "", "", cell.value, cell.people, cell.suppressed))
    if not any(c.indicator == "women" for c in out):
        out.append(Cell("women", "", "", "", Decimal(0), 0))
    return out


def member_figures(organization: Organization, as_of: datetime.date) -> list[Cell]:
    """Every figure a member publishes for `as_of`, suppression applied."""
    cells = portfolio_figures(organization, as_of)
    cells += programme_figures(organization, as_of)
    return _stored_form(suppress(cells))


def sharing_networks(organization: Organization) -> QuerySet[Organization]:
    """The networks `organization` is a member of and has not excluded itself from."""
    excluded = NetworkShare.objects.filter(
        organization=organization, network=OuterRef("pk"), excluded=True
    )
    members = NetworkMembership.objects.filter(organization=organization, network=OuterRef("pk"))
    return (
        Organization.objects.filter(kind=OrganizationKind.NETWORK)
        .filter(Exists(members))
        .exclude(Exists(excluded))
        .order_by("name")
    )


# --- What a network analyst reads ------------------------------------------------------------


def analyst_network(user: Any, network_id: int | None = None) -> Organization:
    """The network whose figures `user` reads: their own organisation, when it is a network and
    they hold SEE_NETWORK; the platform operator names one. Anything else is refused."""
    if not has_right(user, Right.SEE_NETWORK):
        raise NotAllowed(gettext("Your role does not allow this."))
    networks = Organization.objects.filter(kind=OrganizationKind.NETWORK)
    if is_platform_operator(user):
        found = networks.filter(pk=network_id).first() if network_id else networks.first()
    else:
        found = networks.filter(pk=user.organization_id).first()
    if found is None:
        raise NotFound(gettext("No network to show."))
    return found


def visible_figures(network: Organization) -> QuerySet[NetworkFigure]:
    """The network's figures from its current, sharing members only (a member that left or
    excluded itself disappears even if a row were left behind)."""
    member = NetworkMembership.objects.filter(
        organization_id=OuterRef("organization_id"), network=network
    )
    excluded = NetworkShare.objects.filter(
        organization_id=OuterRef("organization_id"), network=network, excluded=True
    )
    return (
        NetworkFigure.objects.filter(network=network)
        .filter(Exists(member))
        .exclude(Exists(excluded))
    )


@dataclass
class MemberColumn:
    name: str


@dataclass
class FigureRow:
    indicator: str
    label: Any
    definition: Any
    dimension: str
    category: str
    currency: str
    # One entry per member column: (value, people, suppressed) or None when not published.
    values: list[tuple[Decimal | None, int | None, bool] | None] = field(default_factory=list)
    category_label: str = ""

    @property
    def is_percent(self) -> bool:
        return self.indicator in PERCENT_INDICATORS

    @property
    def is_money(self) -> bool:
        return self.indicator in MONEY_INDICATORS


@dataclass
class Trend:
    indicator: str
    label: Any
    currency: str
    dates: list[datetime.date]
    # Member name -> value per date (None: suppressed or not published).
    series: dict[str, list[Decimal | None]]


@dataclass
class NetworkView:
    network: Organization
    dates: list[datetime.date]
    as_of: datetime.date | None
    dimension: str
    members: list[MemberColumn]
    rows: list[FigureRow]
    trends: list[Trend]


FIGURE_COLUMNS = (
    "organization__name",
    "as_of",
    "indicator",
    "dimension",
    "category",
    "currency",
    "value",
    "people",
    "suppressed",
)


def category_labels() -> dict[tuple[str, str], str]:
    """What the categories of the disaggregations are called (one query, the target groups)."""
    labels = {("sex", str(k)): str(v) for k, v in Sex.choices}
    labels.update({("sector", str(k)): str(v) for k, v in Sector.choices})
    labels.update(
        {("target_group", g.code): str(g) for g in TargetGroup.objects.filter(is_protected=False)}
    )
    return labels


def _order(indicator: str) -> int:
    return INDICATORS.index(indicator) if indicator in INDICATORS else len(INDICATORS)


def network_view(
    network: Organization,
    *,
    as_of: datetime.date | None = None,
    dimension: str = "",
    trend_indicators: tuple[str, ...] = ("active_borrowers", "par30"),
) -> NetworkView:
    """Members side by side for one published date (the latest unless `as_of`), for the total
    or one disaggregation, and the trends of a few totals over every published date. Three
    queries: the dates, the totals of every date, the chosen disaggregation."""
    figures = visible_figures(network)
    dates = sorted(set(figures.values_list("as_of", flat=True).distinct()))
    if dimension not in DIMENSION_LABELS:
        dimension = ""
    if as_of not in dates:
        as_of = dates[-1] if dates else None
    totals = list(figures.filter(dimension="").values(*FIGURE_COLUMNS))
    chosen = (
        totals
        if not dimension
        else list(
            figures.filter(dimension=dimension, as_of__in=[as_of] if as_of else []).values(
                *FIGURE_COLUMNS
            )
        )
    )
    names = sorted({row["organization__name"] for row in totals + chosen})
    column = {name: i for i, name in enumerate(names)}
    rows: dict[tuple[str, str, str, str], FigureRow] = {}
    for row in chosen:
        if row["as_of"] != as_of:
            continue
        key = (row["indicator"], row["dimension"], row["category"], row["currency"])
        if key not in rows:
            rows[key] = FigureRow(
                row["indicator"],
                LABELS.get(row["indicator"], row["indicator"]),
                DEFINITIONS.get(row["indicator"], ""),
                row["dimension"],
                row["category"],
                row["currency"],
                [None] * len(names),
            )
        rows[key].values[column[row["organization__name"]]] = (
            row["value"],
            row["people"],
            row["suppressed"],
        )
    ordered = sorted(rows.values(), key=lambda r: (_order(r.indicator), r.currency, r.category))
    if dimension:
        names_of = category_labels()
        for figure_row in ordered:
            figure_row.category_label = names_of.get(
                (figure_row.dimension, figure_row.category), figure_row.category
            )
    trends: list[Trend] = []
    for indicator in trend_indicators:
        currencies = sorted({r["currency"] for r in totals if r["indicator"] == indicator})
        for currency in currencies:
            series: dict[str, list[Decimal | None]] = {}
            at = {d: i for i, d in enumerate(dates)}
            for r in totals:
                if r["indicator"] != indicator or r["currency"] != currency:
                    continue
                values = series.setdefault(r["organization__name"], [None] * len(dates))
                values[at[r["as_of"]]] = None if r["suppressed"] else r["value"]
            trends.append(
                Trend(indicator, LABELS[indicator], currency, dates, dict(sorted(series.items())))
            )
    return NetworkView(
        network,
        dates,
        as_of,
        dimension,
        [MemberColumn(name) for name in names],
        ordered,
        trends,
    )


def export_rows(network: Organization, as_of: datetime.date | None = None) -> list[dict[str, Any]]:
    """Every visible figure of the network (of one date if given), in the export's columns."""
    figures = visible_figures(network)
    if as_of:
        figures = figures.filter(as_of=as_of)
    return list(
        figures.order_by("as_of", "organization__name", "indicator", "dimension", "category")
        .values(*FIGURE_COLUMNS)
        .iterator(chunk_size=2000)
    )
