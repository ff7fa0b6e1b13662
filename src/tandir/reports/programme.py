"""Programme indicators of a project for a period, from the raw records, each with its definition
and the records behind it.

The people of a project are the beneficiaries enrolled in it (registry `Enrolment`) on or before
the last day of the period, merged duplicates left out, within the reader's scope. Every figure
is a count or a sum over those people in one SQL statement (GROUP BY, conditional counts,
subqueries); nothing walks the records one by one. Definitions are printed under each figure
(`DEFINITIONS`), and `records()` gives the people or loans behind a figure for the drill-down.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tandir.associations.models import Association, Membership
from tandir.core.models import TargetGroup
from tandir.core.money import summed
from tandir.impact.models import Answer, Instrument, Response
from tandir.lending.models import Loan
from tandir.orgs.models import Project
from tandir.orgs.roles import Right, has_right, is_platform_operator
from tandir.plans.models import FINANCED_LOAN, BusinessPlan
from tandir.registry.models import (
    Beneficiary,
    BeneficiaryTargetGroup,
    Enrolment,
    HeardVia,
    Sex,
)
from tandir.registry.queries import youngest_non_youth_birthday
from tandir.training.models import Participant, ParticipantStatus

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
BASELINE = "baseline"
FOLLOW_UP_12 = "follow-up-12"
# Follow-up answers compared with the same person's baseline answer.
MEASURED = ("household_income_monthly", "paid_employees", "family_workers")


def percent(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """numerator ÷ denominator in percent, two decimals, half up; None when nothing is behind."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def mean(total: Decimal | int | None, count: int) -> Decimal | None:
    if not count or total is None:
        return None
    return (Decimal(total) / count).quantize(CENT, rounding=ROUND_HALF_UP)


def _exact(value: Any) -> Decimal:
    """A database SUM of answers (three decimals stored) without SQLite's float noise."""
    return Decimal(value or 0).quantize(Decimal("0.001"))


# --- Definitions ------------------------------------------------------------------------------

DEFINITIONS: dict[str, tuple[str | Promise, str | Promise]] = {
    "registered": (
        _("Registered"),
        _(
            "People enrolled in the project between the first and the last day of the period "
            "(date of enrolment), merged duplicates counted once."
        ),
    ),
    "completed_training": (
        _("Completed training"),
        _(
            "People of the project whose training place was completed between the first and "
            "the last day of the period (date of completion), each person counted once."
        ),
    ),
    "drop_out_rate": (
        _("Training drop-out rate"),
        _(
            "People who dropped out of a training place they started (were given a place) in "
            "the period, divided by the people who started one in the period."
        ),
    ),
    "plans_prepared": (
        _("Business plans prepared"),
        _("Business plans of the project's people sent to loan appraisal in the period."),
    ),
    "plans_financed": (
        _("Business plans financed"),
        _("Business plans whose loan was disbursed in the period."),
    ),
    "loans_disbursed": (
        _("Loans disbursed"),
        _(
            "Loans to the project's people paid out in the period (date of disbursement); "
            "a disbursement undone is not counted."
        ),
    ),
    "amount_disbursed": (
        _("Amount disbursed"),
        _(
            "Principal of those loans, in the loans' currency and converted to the reporting "
            "currency, each loan at the latest recorded rate on or before its disbursement "
            "date."
        ),
    ),
    "families": (
        _("Families benefiting"),
        _(
            "Distinct households of the people whose loans were disbursed in the period; a "
            "borrower recorded without a household counts as one family."
        ),
    ),
    "on_time_repayment_rate": (
        _("On-time repayment rate"),
        _(
            "Of the project's loans: principal and interest paid on or before the due date, "
            "of the installments that fell due in the period, divided by the principal and "
            "interest that fell due in the period."
        ),
    ),
    "cumulative_repayment_rate": (
        _("Cumulative repayment rate"),
        _(
            "Of the project's loans: principal and interest collected by the last day of the "
            "period on the installments due by then, divided by all principal and interest "
            "due by then."
        ),
    ),
    "income_increase": (
        _("Higher income reported"),
        _(
            "Of the people who answered the 12-month follow-up in the period: the share who "
            "said their household income is better than before the programme. Due: follow-ups "
            "that fell due in the period; answered: people who answered the question."
        ),
    ),
    "quality_of_life_better": (
        _("Better quality of life reported"),
        _(
            "Of the people who answered the 12-month follow-up in the period: the share who "
            "said their quality of life is better than before the programme."
        ),
    ),
    "income_measured": (
        _("Measured income change"),
        _(
            "People with a household income answer at baseline and at the 12-month follow-up: "
            "the mean monthly income at each, the mean change, and the share whose measured "
            "income rose. Amounts in the currency of the interviews."
        ),
    ),
    "jobs_created": (
        _("Jobs created"),
        _(
            "Paid employees besides the owner at the 12-month follow-up minus paid employees "
            "at baseline, summed over the people who answered both; family workers are shown "
            "apart and not counted as jobs. Head count, not full-time equivalents."
        ),
    ),
    "family_workers_added": (
        _("Family workers added"),
        _(
            "Family members working in the business at the 12-month follow-up minus at "
            "baseline, over the same people."
        ),
    ),
    "businesses_operating_12m": (
        _("Businesses operating at 12 months"),
        _(
            "Of the people who answered the 12-month follow-up in the period: the share whose "
            "business is operating."
        ),
    ),
    "associations_formed": (
        _("Associations formed"),
        _(
            "Associations the programme helped form, founded in the period, with at least one "
            "of the project's people as a member."
        ),
    ),
    "women": (
        _("Women"),
        _(
            "Share of women among the people reached in the period: those who completed "
            "training or received a loan in the period, each counted once."
        ),
    ),
    "youth": (
        _("Youth"),
        _(
            "Share of young people (aged up to the youth limit on the last day of the period) "
            "among the same people reached."
        ),
    ),
}


# --- Figures ----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One figure of the report with what it rests on."""

    key: str
    value: int | Decimal | None
    kind: str  # "count", "percent", "money", "number"
    numerator: int | Decimal | None = None
    denominator: int | Decimal | None = None
    currency: str = ""
    due: int | None = None
    answered: int | None = None
    # The drill-down that lists the records behind it ("" when there are none to list).
    records: str = ""
    parts: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str | Promise:
        return DEFINITIONS[self.key][0]

    @property
    def definition(self) -> str | Promise:
        return DEFINITIONS[self.key][1]


@dataclass(frozen=True)
class MeasuredChange:
    """Follow-up answers against the same people's baseline answers, for one question."""

    people: int
    before: Decimal
    after: Decimal
    rose: int
    currency: str = ""

    @property
    def change(self) -> Decimal:
        return self.after - self.before


class Programme:
    """The indicators of one project for one period, as `user` may see them (None: the whole
    organisation, for the command line and the worker)."""

    def __init__(
        self,
        project: Project,
        date_from: datetime.date,
        date_to: datetime.date,
        *,
        user: Any = None,
    ) -> None:
        self.project = project
        self.organization_id = project.organization_id
        self.date_from = date_from
        self.date_to = date_to
        self.user = user
        # Everyone's branch scope, once: the sets below filter by it through their person.
        # (`tandir.orgs.access.scope`'s rule, applied through each record's person.)
        self.branch_ids: list[int] | None = None
        if user is not None and not is_platform_operator(user):
            if not user.is_active or user.organization_id != project.organization_id:
                self.branch_ids = []
            elif not has_right(user, Right.SEE_WHOLE_ORGANIZATION):
                self.branch_ids = list(user.branches.values_list("pk", flat=True))
        self.people: QuerySet[Beneficiary] = Beneficiary.objects.filter(self.person_q())
        # Counts read by several figures, made once (see `tally`).
        self._tally: list[dict[str, Any]] | None = None
        self._groups: dict[int, TargetGroup] | None = None
        self._loan_tally: list[dict[str, Any]] | None = None

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        return (self.date_from, self.date_to)

    def person_q(self, path: str = "") -> Q:
        """The condition "is one of the project's people in scope" on the person reached by
        `path` ("" for a person, "beneficiary__" for a loan...). Enrolment is a correlated
        EXISTS, which the planners run as a semi-join whatever the statistics say; a nest of
        IN (SELECT ...) was planned as nested loops on fresh tables."""
        ref = f"{path.rstrip('_')}_id" if path else "pk"
        condition = Q(
            Exists(
                Enrolment.objects.filter(
                    beneficiary_id=OuterRef(ref),
                    project_id=self.project.pk,
                    enrolled_on__lte=self.date_to,
                )
            ),
            **{f"{path}organization_id": self.organization_id, f"{path}merged_into__isnull": True},
        )
        if self.branch_ids is not None:
            condition &= Q(**{f"{path}branch_id__in": self.branch_ids})
        return condition

    # --- The sets behind the figures ---------------------------------------------------------

    def registered(self) -> QuerySet[Beneficiary]:
        return self.people.filter(
            Exists(
                Enrolment.objects.filter(
                    beneficiary_id=OuterRef("pk"),
                    project_id=self.project.pk,
                    enrolled_on__range=self.period,
                )
            )
        )

    def _places(self, **conditions: Any) -> Exists:
        return Exists(Participant.objects.filter(beneficiary_id=OuterRef("pk"), **conditions))

    def completed(self) -> QuerySet[Beneficiary]:
        return self.people.filter(
            self._places(status=ParticipantStatus.COMPLETED, completed_on__range=self.period)
        )

    def started_training(self) -> QuerySet[Beneficiary]:
        return self.people.filter(self._places(enrolled_on__range=self.period))

    def dropped_out(self) -> QuerySet[Beneficiary]:
        return self.people.filter(
            self._places(enrolled_on__range=self.period, status=ParticipantStatus.DROPPED)
        )

    def plans_prepared(self) -> QuerySet[BusinessPlan]:
        return BusinessPlan.objects.filter(
            self.person_q("beneficiary__"), sent_on__range=self.period
        )

    def plans_financed(self) -> QuerySet[BusinessPlan]:
        return BusinessPlan.objects.filter(
            self.person_q("beneficiary__"),
            loan__status__in=FINANCED_LOAN,
            loan__disbursed_on__range=self.period,
        )

    def loans(self) -> QuerySet[Loan]:
        """Loans to the project's people disbursed in the period."""
        return Loan.objects.filter(
            self.person_q("beneficiary__"),
            status__in=FINANCED_LOAN,
            disbursed_on__range=self.period,
        )

    def portfolio_loans(self) -> QuerySet[Loan]:
        """Every loan of the project's people paid out by the end of the period: the loans the
        repayment rates are about."""
        return Loan.objects.filter(
            self.person_q("beneficiary__"),
            status__in=FINANCED_LOAN,
            disbursed_on__lte=self.date_to,
        )

    def _has_loan(self) -> Exists:
        return Exists(
            Loan.objects.filter(
                beneficiary_id=OuterRef("pk"),
                status__in=FINANCED_LOAN,
                disbursed_on__range=self.period,
            )
        )

    def borrowers(self) -> QuerySet[Beneficiary]:
        return self.people.filter(self._has_loan())

    def reached(self) -> QuerySet[Beneficiary]:
        """People who completed training or received a loan in the period."""
        completed = self._places(
            status=ParticipantStatus.COMPLETED, completed_on__range=self.period
        )
        return self.people.filter(Q(completed) | Q(self._has_loan()))

    def youth_born_after(self) -> datetime.date:
        return youngest_non_youth_birthday(self.date_to)

    def instrument(self, code: str) -> Instrument | None:
        return Instrument.objects.filter(organization_id=self.organization_id, code=code).first()

    def _follow_up_q(self, path: str = "") -> Q:
        return Q(
            **{
                f"{path}organization_id": self.organization_id,
                f"{path}instrument__code": FOLLOW_UP_12,
                f"{path}taken_on__range": self.period,
            }
        )

    def follow_ups(self) -> QuerySet[Response]:
        return Response.objects.filter(self._follow_up_q(), self.person_q("beneficiary__"))

    def follow_up_answers(self) -> QuerySet[Answer]:
        return Answer.objects.filter(
            self._follow_up_q("response__"), self.person_q("response__beneficiary__")
        )

    def answered(self, code: str, text: str | None = None) -> QuerySet[Beneficiary]:
        """People whose 12-month follow-up in the period answered `code` (with `text`)."""
        answers = Answer.objects.filter(
            self._follow_up_q("response__"), response__beneficiary_id=OuterRef("pk"), code=code
        )
        if text is not None:
            answers = answers.filter(text=text)
        return self.people.filter(Exists(answers))

    def associations(self) -> QuerySet[Association]:
        return Association.objects.filter(
            Exists(
                Membership.objects.filter(
                    self.person_q("beneficiary__"), association_id=OuterRef("pk")
                )
            ),
            organization_id=self.organization_id,
            formed_with_programme=True,
            founded_on__range=self.period,
        )

    # --- The figures -------------------------------------------------------------------------

    def _sets(self) -> dict[str, Exists]:
        """The condition each set of the project's people adds to "one of the project's
        people": the same as `registered()`, `completed()`... below."""
        return {
            "registered": Exists(
                Enrolment.objects.filter(
                    beneficiary_id=OuterRef("pk"),
                    project_id=self.project.pk,
                    enrolled_on__range=self.period,
                )
            ),
            "completed": self._places(
                status=ParticipantStatus.COMPLETED, completed_on__range=self.period
            ),
            "started": self._places(enrolled_on__range=self.period),
            "dropped": self._places(
                enrolled_on__range=self.period, status=ParticipantStatus.DROPPED
            ),
            "borrowers": self._has_loan(),
        }

    def tally(self) -> list[dict[str, Any]]:
        """The project's people counted in one GROUP BY, made once, by every column a figure
        or a disaggregation splits them by and by which sets (`_sets`) they are in: each person
        is one row of `Beneficiary`, so any figure's count is a sum of these rows. (A query per
        figure and dimension read the national registry each time.)"""
        if self._tally is None:
            young = ExpressionWrapper(
                Q(date_of_birth__gt=self.youth_born_after()), output_field=BooleanField()
            )
            sets = self._sets()
            # The person's target groups as bits (`1 << id`, ids below 63 as in close of
            # business's snapshots): a person in two groups is one row, counted in both.
            bit = Func(
                F("targetgroup_id"),
                template="(CAST(1 AS BIGINT) << CAST(%(expressions)s AS INTEGER))",
                output_field=BigIntegerField(),
            )
            groups = Subquery(
                BeneficiaryTargetGroup.objects.filter(beneficiary_id=OuterRef("pk"))
                .values("beneficiary_id")
                .annotate(mask=Sum(bit))
                .values("mask")
            )
            self._tally = list(
                self.people.annotate(young=young, groups=groups, **sets)
                .values(*TALLY_COLUMNS, "groups", *sets)
                .annotate(n=Count("pk"))
                .order_by()
            )
        return self._tally

    def counted(self, name: str, column: str | None = None) -> dict[Any, int]:
        """People of a set (a key of `_sets`, or "reached": completed training or borrowed) by
        one column of the tally (None: all of them, under the key None)."""
        counts: dict[Any, int] = {}
        for row in self.tally():
            if not _in_set(row, name):
                continue
            key = None if column is None else row[column]
            counts[key] = counts.get(key, 0) + row["n"]
        return counts

    def registration(self) -> list[Figure]:
        total = self.counted("registered").get(None, 0)
        channels = self.counted("registered", "heard_via")
        by_channel = [(str(label), channels.get(value, 0)) for value, label in HeardVia.choices]
        if channels.get(""):
            by_channel.append((str(_("Not recorded")), channels[""]))
        return [
            Figure("registered", total, "count", records="registered", parts=by_channel),
        ]

    def target_groups(self, name: str) -> list[tuple[str, int]]:
        """People of a set (as in `counted`) by target group (a person may be in several), from
        each tally row's bitmask of groups; protected groups only for roles that may see them;
        youth follows from the age."""
        see_protected = self.user is None or has_right(self.user, Right.SEE_PROTECTED)
        groups = self._target_groups()
        counts: dict[str, int] = {}
        for row in self.tally():
            if not _in_set(row, name):
                continue
            mask = row["groups"] or 0
            while mask:
                low = mask & -mask
                mask ^= low
                group = groups.get(low.bit_length() - 1)
                if group is not None and (see_protected or not group.is_protected):
                    counts[group.code] = counts.get(group.code, 0) + row["n"]
        youth = self.counted(name, "young").get(True, 0)
        names = {group.code: str(group) for group in groups.values()}
        result = [(names.get(code, code), n) for code, n in sorted(counts.items())]
        result.append((names.get("youth", str(_("Youth"))), youth))
        return result

    def _target_groups(self) -> dict[int, TargetGroup]:
        if self._groups is None:
            self._groups = {g.pk: g for g in TargetGroup.objects.all()}
        return self._groups

    def training(self) -> list[Figure]:
        completed = self.counted("completed").get(None, 0)
        started = self.counted("started").get(None, 0)
        dropped = self.counted("dropped").get(None, 0)
        return [
            Figure("completed_training", completed, "count", records="completed_training"),
            Figure(
                "drop_out_rate",
                percent(dropped, started),
                "percent",
                numerator=dropped,
                denominator=started,
                records="dropped_out",
            ),
        ]

    def plans(self) -> list[Figure]:
        prepared = self.plans_prepared().count()
        financed = self.plans_financed().count()
        return [
            Figure("plans_prepared", prepared, "count", records="plans_prepared"),
            Figure("plans_financed", financed, "count", records="plans_financed"),
        ]

    def loan_tally(self) -> list[dict[str, Any]]:
        """The period's loans counted and summed by currency and by each disaggregation's
        column of their borrower, in one GROUP BY, made once."""
        if self._loan_tally is None:
            columns = [f"beneficiary__{column}" for column, _labels in _DIMENSIONS.values()]
            self._loan_tally = list(
                self.loans()
                .values("currency", *columns)
                .annotate(n=Count("pk"), total=Sum("amount"))
                .order_by()
            )
        return self._loan_tally

    def disbursed_by_currency(self) -> dict[str, tuple[int, Decimal]]:
        totals: dict[str, tuple[int, Decimal]] = {}
        for row in self.loan_tally():
            currency = row["currency"]
            n, amount = totals.get(currency, (0, summed(ZERO, currency)))
            totals[currency] = (n + row["n"], amount + summed(row["total"], currency))
        return dict(sorted(totals.items()))

    def disbursed_by_day(self) -> list[tuple[str, datetime.date, Decimal]]:
        """(currency, date, amount) of the period's disbursements, for the conversion."""
        rows = (
            self.loans()
            .values("currency", "disbursed_on")
            .annotate(total=Sum("amount"))
            .order_by("currency", "disbursed_on")
        )
        result: list[tuple[str, datetime.date, Decimal]] = []
        for row in rows:
            day = row["disbursed_on"]
            assert day is not None  # the period's filter leaves no loan without the date
            result.append((str(row["currency"]), day, summed(row["total"], row["currency"])))
        return result

    def families(self) -> Figure:
        counts = self.loans().aggregate(
            households=Count("beneficiary__household", distinct=True),
            alone=Count(
                "beneficiary", distinct=True, filter=Q(beneficiary__household__isnull=True)
            ),
        )
        return Figure(
            "families", counts["households"] + counts["alone"], "count", records="borrowers"
        )

    def impact(self) -> dict[str, Any]:
        """Conditional counts over the 12-month follow-up answers of the period, in one query."""
        answers = self.follow_up_answers().filter(
            code__in=["income_change", "quality_of_life_change", "business_operating"]
        )

        def count(code: str, text: str | None = None) -> Count:
            condition = Q(code=code) if text is None else Q(code=code, text=text)
            return Count("response__beneficiary", distinct=True, filter=condition)

        return answers.aggregate(
            income_answered=count("income_change"),
            income_better=count("income_change", "better"),
            life_answered=count("quality_of_life_change"),
            life_better=count("quality_of_life_change", "better"),
            operating_answered=count("business_operating"),
            operating_yes=count("business_operating", "yes"),
        )

    def measured(self) -> dict[str, MeasuredChange]:
        """Follow-up against baseline, by question, over the people who answered both: one
        query joining each follow-up answer of the period to the same person's baseline answer
        to the same question (at most one: a person answers an instrument once, a question
        once). A correlated subquery per answer ran for every answer of every instrument."""
        follow_ups = (
            self.follow_up_answers()
            .filter(code__in=MEASURED, number__isnull=False)
            .values(
                asked=F("code"),
                after=F("number"),
                money=F("response__currency"),
                person=F("response__beneficiary_id"),
            )
        )
        inner, params = follow_ups.query.sql_with_params()
        sql = f"""
SELECT f.asked, f.money, COUNT(*), SUM(f.after), SUM(b.number),
  SUM(CASE WHEN f.after > b.number THEN 1 ELSE 0 END)
FROM ({inner}) f
JOIN impact_response br ON br.beneficiary_id = f.person AND br.organization_id = %s
JOIN impact_instrument bi ON bi.id = br.instrument_id AND bi.code = %s
JOIN impact_answer b ON b.response_id = br.id AND b.code = f.asked AND b.number IS NOT NULL
GROUP BY f.asked, f.money
ORDER BY f.asked, f.money"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, self.organization_id, BASELINE])
            rows = cursor.fetchall()
        result: dict[str, MeasuredChange] = {}
        for code, money, people, after, before, rose in rows:
            currency = money if code == "household_income_monthly" else ""
            change = MeasuredChange(people, _exact(before), _exact(after), rose, currency)
            if code not in result or change.people > result[code].people:
                # Interviews in two currencies: the one most people answered in is shown.
                result[code] = change
        return result

    def associations_formed(self) -> Figure:
        return Figure("associations_formed", self.associations().count(), "count")

    def shares(self) -> list[Figure]:
        total = self.counted("reached").get(None, 0)
        counts = {
            "women": self.counted("reached", "sex").get(Sex.FEMALE, 0),
            "youth": self.counted("reached", "young").get(True, 0),
        }
        return [
            Figure(
                "women",
                percent(counts["women"], total),
                "percent",
                numerator=counts["women"],
                denominator=total,
                records="women",
            ),
            Figure(
                "youth",
                percent(counts["youth"], total),
                "percent",
                numerator=counts["youth"],
                denominator=total,
                records="youth",
            ),
        ]

    # --- Disaggregations ---------------------------------------------------------------------

    def disaggregate(self, dimension: str) -> list[dict[str, Any]]:
        """Registered, completed training, borrowers and loans disbursed by one dimension
        (sex, district, branch, target group): a GROUP BY per set."""
        if dimension == "target_group":
            registered = dict(self.target_groups("registered"))
            completed = dict(self.target_groups("completed"))
            borrowers = dict(self.target_groups("borrowers"))
            names = list(dict.fromkeys([*registered, *completed, *borrowers]))
            return [
                {
                    "category": name,
                    "registered": registered.get(name, 0),
                    "completed_training": completed.get(name, 0),
                    "borrowers": borrowers.get(name, 0),
                    "loans": None,
                    "amounts": {},
                }
                for name in names
            ]
        column, label_of = _DIMENSIONS[dimension]
        registered = self.counted("registered", column)
        completed = self.counted("completed", column)
        borrowers = self.counted("borrowers", column)
        loan_column = "beneficiary__" + column
        loans: dict[Any, int] = {}
        amounts: dict[Any, dict[str, Decimal]] = {}
        for row in self.loan_tally():
            key, currency = row[loan_column], row["currency"]
            loans[key] = loans.get(key, 0) + row["n"]
            by_currency = amounts.setdefault(key, {})
            by_currency[currency] = by_currency.get(currency, summed(ZERO, currency)) + summed(
                row["total"], currency
            )
        keys = list(dict.fromkeys([*registered, *completed, *borrowers, *loans]))
        labels = label_of(keys)
        rows = [
            {
                "category": labels.get(key, str(key)),
                "registered": registered.get(key, 0),
                "completed_training": completed.get(key, 0),
                "borrowers": borrowers.get(key, 0),
                "loans": loans.get(key, 0),
                "amounts": amounts.get(key, {}),
            }
            for key in keys
        ]
        return sorted(rows, key=lambda row: row["category"])


def _in_set(row: dict[str, Any], name: str) -> bool:
    """Whether a tally row's people are in the set `name`."""
    if name == "reached":  # completed training or borrowed
        return bool(row["completed"] or row["borrowers"])
    return bool(row[name])


def _sex_labels(keys: list[Any]) -> dict[Any, str]:
    return {value: str(label) for value, label in Sex.choices}


def _model_labels(model: type[Model]) -> Callable[[list[Any]], dict[Any, str]]:
    def labels(keys: list[Any]) -> dict[Any, str]:
        return {row.pk: str(row) for row in model._default_manager.filter(pk__in=keys)}

    return labels


def _dimensions() -> dict[str, tuple[str, Callable[[list[Any]], dict[Any, str]]]]:
    from tandir.orgs.models import Branch, District

    return {
        "sex": ("sex", _sex_labels),
        "district": ("district", _model_labels(District)),
        "branch": ("branch", _model_labels(Branch)),
    }


_DIMENSIONS = _dimensions()
# The columns a set of people is counted by once (`Programme.tally`): the registration channel,
# each disaggregation's column, and whether the person is young.
TALLY_COLUMNS = ("heard_via", *(column for column, _labels in _DIMENSIONS.values()), "young")
DIMENSIONS: list[tuple[str, str | Promise]] = [
    ("sex", _("Sex")),
    ("target_group", _("Target group")),
    ("district", _("District")),
    ("branch", _("Branch")),
]
