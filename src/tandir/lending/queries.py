"""Reads of lending that pages, the API, files and reports share."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db.models import Exists, F, QuerySet
from django.http import Http404

from tandir.lending.models import Installment, Loan, LoanStatus, Repayment
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right

ZERO = Decimal(0)
LIVE = (LoanStatus.ACTIVE, LoanStatus.OVERPAID)


def loans_in_scope(user: Any) -> QuerySet[Loan]:
    """Every loan `user` may open: their organisation, their branches unless whole-organisation."""
    if not has_right(user, Right.SEE_RECORDS):
        return Loan.objects.none()
    return scope(user, Loan.objects.all())


def access_loan(user: Any, loan_id: Any) -> Loan:
    """The one permission-checked way to reach a loan; 404 outside the user's scope."""
    try:
        return (
            loans_in_scope(user)
            .select_related("beneficiary", "branch", "product_version__product", "officer")
            .get(pk=int(loan_id))
        )
    except (Loan.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No loan found.") from exc


def overdue_installments(as_of: datetime.date) -> QuerySet[Installment]:
    """Installments of live loans' current schedules due before `as_of` and not fully paid."""
    return Installment.objects.filter(
        loan__status__in=LIVE,
        version=F("loan__schedule_version"),
        due_date__lt=as_of,
    ).exclude(
        principal_paid=F("principal"),
        charge_paid=F("charge"),
        fees_paid=F("fees"),
        savings_paid=F("savings"),
        penalty_paid=F("penalty"),
    )


def group_on_hold(group_id: int, as_of: datetime.date, *, except_loan: int | None = None) -> bool:
    """Joint liability: a member of the group has a live loan late beyond its product's grace."""
    late = overdue_installments(as_of).filter(loan__group_id=group_id)
    if except_loan is not None:
        late = late.exclude(loan_id=except_loan)
    # Each product has its own days of grace before a loan counts as late.
    for due_date, grace in late.values_list("due_date", "loan__product_version__arrears_days"):
        if (as_of - due_date).days > grace:
            return True
    return False


def has_live_loan(beneficiary_id: int) -> Exists:
    return Exists(Loan.objects.filter(beneficiary_id=beneficiary_id, status__in=LIVE))


def installments_of(loan: Loan) -> list[Installment]:
    return list(
        Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    )


def loan_with_beneficiary(loan_id: int) -> Loan:
    return Loan.objects.select_related("beneficiary").get(pk=loan_id)


__all__ = [
    "LIVE",
    "access_loan",
    "group_on_hold",
    "has_live_loan",
    "installments_of",
    "loans_in_scope",
    "overdue_installments",
]


def ledger_mismatches(organization_id: int) -> list[str]:
    """Where the ledger's loan accounts and the loans' own balances disagree (there should be
    nothing): each receivable against its loans' unpaid amounts, the overpayment liability
    against the credit held, per currency."""
    from django.db.models import Sum
    from django.db.models.functions import Coalesce

    from tandir.core.money import summed
    from tandir.ledger.charts import Role
    from tandir.ledger.queries import balance

    loans = Loan.objects.filter(organization_id=organization_id)
    live = loans.filter(status__in=LIVE)
    expected: dict[tuple[str, str], Decimal] = {}

    def add(role: str, currency: str, amount: Decimal) -> None:
        expected[role, currency] = expected.get((role, currency), ZERO) + amount

    for method, role in (
        ("qard-hasan", Role.QARD_RECEIVABLE),
        ("murabaha", Role.MURABAHA_RECEIVABLE),
    ):
        for row in (
            live.filter(product_version__method=method)
            .values("currency")
            .annotate(total=Coalesce(Sum("principal_outstanding"), ZERO))
        ):
            add(role, row["currency"], row["total"])
    for row in (
        live.exclude(product_version__method__in=["qard-hasan", "murabaha"])
        .values("currency")
        .annotate(total=Coalesce(Sum("principal_outstanding"), ZERO))
    ):
        add(Role.LOAN_PORTFOLIO, row["currency"], row["total"])
    # A Murabaha receivable is the sale price: the unpaid markup is in it too.
    markup = (
        Installment.objects.filter(
            loan__in=live.filter(product_version__method="murabaha"),
            version=F("loan__schedule_version"),
        )
        .values_list("loan__currency")
        .annotate(markup_unpaid=Coalesce(Sum(F("charge") - F("charge_paid")), ZERO))
    )
    for currency, unpaid in markup:
        add(Role.MURABAHA_RECEIVABLE, currency, unpaid)
    for row in loans.values("currency").annotate(total=Coalesce(Sum("credit_held"), ZERO)):
        add(Role.OVERPAYMENT, row["currency"], row["total"])
    problems = []
    currencies = set(loans.values_list("currency", flat=True))
    roles = (
        Role.LOAN_PORTFOLIO,
        Role.QARD_RECEIVABLE,
        Role.MURABAHA_RECEIVABLE,
        Role.OVERPAYMENT,
    )
    for currency in sorted(currencies):
        for role in roles:
            want = summed(expected.get((role, currency), ZERO), currency)
            have = balance(organization_id, role, currency)
            if want != have:
                problems.append(f"{role} {currency}: ledger {have}, loans {want}")
    return problems


# --- API --------------------------------------------------------------------------------------


def unpaid_state(loan: Loan, rows: list[Installment]) -> Any:
    """The engine's `RepaymentState` of a loan's stored schedule `rows` (kept in step by every
    action): each installment's unpaid components and the credit held, for the engine's
    arrears functions, with no replay of the payment history."""
    from tandir.engine import InstallmentDue, RepaymentState
    from tandir.lending.terms import product_of

    return RepaymentState(
        tuple(
            InstallmentDue(
                row.number,
                row.due_date,
                row.principal - row.principal_paid,
                row.charge - row.charge_paid,
                row.fees - row.fees_paid,
                row.savings - row.savings_paid,
                row.penalty - row.penalty_paid,
                row.penalty_charged_on,
            )
            for row in sorted(rows, key=lambda row: row.number)
        ),
        loan.credit_held,
        product_of(loan),
    )


def loan_repayments(loan: Loan) -> QuerySet[Any]:
    """A loan's repayments by value date, reversed ones included, with who received each and
    its allocation as it stands (its active applications and their lines): three queries
    however many there are."""
    from django.db.models import Prefetch

    from tandir.lending.models import Application, ApplicationLine, Repayment

    allocation = Prefetch(
        "applications",
        queryset=Application.objects.filter(is_active=True).prefetch_related(
            Prefetch("lines", queryset=ApplicationLine.objects.order_by("number", "id"))
        ),
    )
    return (
        Repayment.objects.filter(loan=loan)
        .select_related("received_by")
        .prefetch_related(allocation)
        .order_by("value_date", "id")
    )


# --- Pages ------------------------------------------------------------------------------------


# Officer pages: the officer's day, groups and centres, collection sheets.


def _unpaid_expr() -> Any:
    from django.db.models import DecimalField, ExpressionWrapper

    owed = F("principal") + F("charge") + F("fees") + F("savings") + F("penalty")
    paid = (
        F("principal_paid") + F("charge_paid") + F("fees_paid") + F("savings_paid")
        + F("penalty_paid")
    )  # fmt: skip
    amount = DecimalField(max_digits=20, decimal_places=3)
    return ExpressionWrapper(owed - paid, output_field=amount)


def _owed_subquery(**due: Any) -> Any:
    """The unpaid amount of the outer loan's current schedule, over the installments `due`
    selects, as one correlated subquery."""
    from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    rows = (
        Installment.objects.filter(loan=OuterRef("pk"), version=OuterRef("schedule_version"), **due)
        .values("loan")
        .annotate(owed_sum=Sum(_unpaid_expr()))
        .values("owed_sum")
    )
    amount = DecimalField(max_digits=20, decimal_places=3)
    return Coalesce(Subquery(rows, output_field=amount), Value(ZERO), output_field=amount)


@dataclass(frozen=True)
class Collection:
    """One of an officer's loans to collect: what falls due today, what is late, and the last
    follow-up note with its promise to pay."""

    loan: Loan
    due_today: Decimal
    overdue: Decimal
    days_past_due: int
    note: str
    noted_at: datetime.datetime | None
    promised_on: datetime.date | None
    promised_amount: Decimal | None
    place: str
    as_of: datetime.date

    @property
    def promise_passed(self) -> bool:
        """The client promised a date that has gone by, and the loan is still late."""
        return (
            self.promised_on is not None and self.promised_on < self.as_of and self.overdue > ZERO
        )


@dataclass(frozen=True)
class OfficerDay:
    as_of: datetime.date
    by: str
    places: list[tuple[str, list[Collection]]]
    promises_passed: list[Collection]
    promises_coming: list[Collection]

    @property
    def collections(self) -> list[Collection]:
        return [row for _place, rows in self.places for row in rows]

    @property
    def due_today_count(self) -> int:
        return sum(1 for row in self.collections if row.due_today > ZERO)

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.collections if row.overdue > ZERO)


DAY_GROUPINGS = ("locality", "group")


def officer_day(
    user: Any, as_of: datetime.date, *, by: str = "locality", everyone: bool = False
) -> OfficerDay:
    """The officer's "my collections": their live loans with something due today or late, in one
    query, grouped by the borrower's locality (or district) or by solidarity group.

    `everyone` widens the list to every officer's loans in the user's scope (a branch manager).
    """
    from django.db.models import OuterRef, Q, Subquery
    from django.utils.translation import gettext as _

    from tandir.lending.models import FollowUp

    latest = FollowUp.objects.filter(loan=OuterRef("pk")).order_by("-at", "-id")
    oldest = (
        Installment.objects.filter(
            loan=OuterRef("pk"), version=OuterRef("schedule_version"), due_date__lt=as_of
        )
        .alias(left_unpaid=_unpaid_expr())
        .filter(left_unpaid__gt=0)
        .order_by("due_date")
        .values("due_date")[:1]
    )
    loans = loans_in_scope(user).filter(status__in=LIVE)
    if not everyone:
        loans = loans.filter(officer=user)
    loans = (
        loans.annotate(
            due_today=_owed_subquery(due_date=as_of),
            overdue=_owed_subquery(due_date__lt=as_of),
            oldest_due=Subquery(oldest),
            note=Subquery(latest.values("note")[:1]),
            noted_at=Subquery(latest.values("at")[:1]),
            promised_on=Subquery(latest.values("promised_on")[:1]),
            promised_amount=Subquery(latest.values("promised_amount")[:1]),
        )
        .filter(Q(due_today__gt=0) | Q(overdue__gt=0))
        .select_related("beneficiary__locality", "beneficiary__district", "group")
        .order_by("reference")
    )
    rows: list[Collection] = []
    for loan in loans:
        person = loan.beneficiary
        if by == "group":
            place = loan.group.name if loan.group else _("Not in a group")
        else:
            place = (person.locality or person.district).name
        oldest_due = loan.oldest_due
        rows.append(
            Collection(
                loan=loan,
                due_today=loan.due_today,
                overdue=loan.overdue,
                days_past_due=(as_of - oldest_due).days if oldest_due else 0,
                note=loan.note or "",
                noted_at=loan.noted_at,
                promised_on=loan.promised_on,
                promised_amount=loan.promised_amount,
                place=place,
                as_of=as_of,
            )
        )
    places: dict[str, list[Collection]] = {}
    for row in sorted(rows, key=lambda r: (r.place, -r.days_past_due, r.loan.reference)):
        places.setdefault(row.place, []).append(row)
    return OfficerDay(
        as_of=as_of,
        by=by,
        places=list(places.items()),
        promises_passed=[r for r in rows if r.promise_passed],
        promises_coming=sorted(
            (r for r in rows if r.promised_on is not None and r.promised_on >= as_of),
            key=lambda r: (r.promised_on, r.loan.reference),
        ),
    )


def groups_in_scope(user: Any) -> QuerySet[Any]:
    from tandir.lending.models import SolidarityGroup

    if not has_right(user, Right.SEE_RECORDS):
        return SolidarityGroup.objects.none()
    return scope(user, SolidarityGroup.objects.all())


def centres_in_scope(user: Any) -> QuerySet[Any]:
    from tandir.lending.models import Centre

    if not has_right(user, Right.SEE_RECORDS):
        return Centre.objects.none()
    return scope(user, Centre.objects.all())


def access_group(user: Any, group_id: Any) -> Any:
    """The one permission-checked way to reach a solidarity group; 404 outside scope."""
    from tandir.lending.models import SolidarityGroup

    try:
        return (
            groups_in_scope(user)
            .select_related("branch", "centre", "officer")
            .get(pk=int(group_id))
        )
    except (SolidarityGroup.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No group found.") from exc


def access_centre(user: Any, centre_id: Any) -> Any:
    """The one permission-checked way to reach a centre; 404 outside scope."""
    from tandir.lending.models import Centre

    try:
        return centres_in_scope(user).select_related("branch", "officer").get(pk=int(centre_id))
    except (Centre.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No centre found.") from exc


def access_sheet(user: Any, sheet_id: Any) -> Any:
    """The one permission-checked way to reach a collection sheet; 404 outside scope."""
    from tandir.lending.models import CollectionSheet

    try:
        return (
            scope(user, CollectionSheet.objects.all())
            .select_related("branch", "centre", "group", "posted_by")
            .get(pk=int(sheet_id))
        )
    except (CollectionSheet.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No collection sheet found.") from exc


def active_members(*, group: Any = None, centre: Any = None) -> QuerySet[Any]:
    """The current members of a group, or of every group meeting at a centre."""
    from tandir.lending.models import GroupMembership

    members = GroupMembership.objects.filter(left_on=None)
    members = (
        members.filter(group=group) if group is not None else members.filter(group__centre=centre)
    )
    return members.select_related("beneficiary", "group").order_by(
        "group__name", "-is_leader", "beneficiary__last_name", "beneficiary__first_name", "pk"
    )


def member_loans(beneficiary_ids: list[int], as_of: datetime.date) -> QuerySet[Loan]:
    """The loans of these people, newest first, with what of each is late on `as_of`."""
    return (
        Loan.objects.filter(beneficiary_id__in=beneficiary_ids)
        .annotate(overdue=_owed_subquery(due_date__lt=as_of))
        .select_related("product_version__product")
        .order_by("beneficiary_id", "-submitted_on", "-id")
    )


@dataclass(frozen=True)
class Due:
    """What one loan owes at a meeting: everything unpaid of installments due by its date."""

    principal: Decimal = ZERO
    charge: Decimal = ZERO
    fees: Decimal = ZERO  # fees and penalties
    savings: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.charge + self.fees + self.savings


def dues_on(loan_ids: list[int], meeting_date: datetime.date) -> dict[int, Due]:
    """Per loan, what is unpaid of its current schedule's installments due by the meeting, split
    by component, in one grouped query."""
    from django.db.models import DecimalField, Sum

    amount = DecimalField(max_digits=20, decimal_places=3)
    rows = (
        Installment.objects.filter(
            loan_id__in=loan_ids,
            version=F("loan__schedule_version"),
            due_date__lte=meeting_date,
        )
        .values("loan_id")
        .annotate(
            principal=Sum(F("principal") - F("principal_paid"), output_field=amount),
            charge=Sum(F("charge") - F("charge_paid"), output_field=amount),
            fees=Sum(
                F("fees") - F("fees_paid") + F("penalty") - F("penalty_paid"), output_field=amount
            ),
            savings=Sum(F("savings") - F("savings_paid"), output_field=amount),
        )
    )
    return {
        row["loan_id"]: Due(row["principal"], row["charge"], row["fees"], row["savings"])
        for row in rows
    }


def loans_for_list(
    user: Any,
    *,
    text: str = "",
    status: str = "",
    branch: Any = None,
    officer: Any = None,
    product: Any = None,
) -> QuerySet[Loan]:
    """The loans list: scoped, filtered, with what each row shows joined in (no query per row)."""
    from django.db.models import Q

    loans = loans_in_scope(user).select_related(
        "beneficiary", "branch", "officer", "product_version__product"
    )
    if text.strip():
        word = text.strip()
        loans = loans.filter(
            Q(reference__icontains=word)
            | Q(beneficiary__first_name__icontains=word)
            | Q(beneficiary__last_name__icontains=word)
        )
    if status:
        loans = loans.filter(status=status)
    if branch is not None:
        loans = loans.filter(branch=branch)
    if officer is not None:
        loans = loans.filter(officer=officer)
    if product is not None:
        loans = loans.filter(product_version__product=product)
    return loans.order_by("-submitted_on", "-id")


@dataclass(frozen=True)
class Price:
    """What the client is told the loan costs, by method."""

    method: str
    apr_percent: Decimal | None
    eir_percent: Decimal | None
    total_cost: Decimal
    total_repaid: Decimal
    received: Decimal
    # Murabaha: the asset's cost, the markup and the sale price.
    cost: Decimal | None = None
    markup: Decimal | None = None
    sale_price: Decimal | None = None

    @property
    def is_qard(self) -> bool:
        return self.method == "qard-hasan"

    @property
    def is_murabaha(self) -> bool:
        return self.method == "murabaha"


@dataclass
class Allocated:
    """What the repayments paid of one installment: per component, and by which receipts."""

    components: dict[str, Decimal] = field(default_factory=dict)
    receipts: dict[str, None] = field(default_factory=dict)  # in order, each once

    @property
    def receipts_text(self) -> str:
        from django.utils.translation import gettext

        return ", ".join(receipt or gettext("held credit") for receipt in self.receipts)


@dataclass
class LoanPage:
    loan: Loan
    installments: list[Installment]  # the current schedule
    older_schedules: list[tuple[int, list[Installment]]]  # newest first
    repayments: list[Repayment]
    allocation: dict[int, Allocated]  # current installment number -> what paid it
    price: Price | None
    days_past_due: int
    bucket: str
    overdue: Decimal
    entries: list[Any] | None  # journal entries, for roles that see the ledger
    documents: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    changes: list[Any] = field(default_factory=list)
    follow_ups: list[Any] = field(default_factory=list)
    appraisals: list[Any] = field(default_factory=list)
    guarantors: list[Any] = field(default_factory=list)

    @property
    def appraisal(self) -> Any:
        return self.appraisals[0] if self.appraisals else None

    @property
    def deciders_excluded(self) -> set[int]:
        """Four eyes: who took or appraised the application (they may not decide on it)."""
        return {self.loan.created_by_id} | {a.appraised_by_id for a in self.appraisals}

    @property
    def pending_change(self) -> Any:
        return next((c for c in self.changes if c.status == "pending"), None)

    @cached_property
    def totals(self) -> dict[str, Decimal]:
        names = ("principal", "charge", "fees", "savings", "penalty")
        sums = {n: sum((getattr(r, n) for r in self.installments), ZERO) for n in names}
        sums["total"] = sum((r.total for r in self.installments), ZERO)
        sums["paid"] = sum((r.paid for r in self.installments), ZERO)
        sums["unpaid"] = sums["total"] - sums["paid"]
        return sums


def price_of(loan: Loan) -> Price | None:
    """APR, EIR and total cost of credit of the loan's terms (from its disbursement, or from
    today for an application); Murabaha's cost, markup and sale price."""
    from tandir.engine import InvalidTerms, NoRateOfReturn, build_schedule, disclose
    from tandir.lending.terms import loan_terms

    try:
        schedule = build_schedule(loan_terms(loan, disbursed=loan.disbursed_on or _today()))
    except InvalidTerms:
        return None
    totals = schedule.totals()
    apr: Decimal | None
    eir: Decimal | None
    try:
        shown = disclose(schedule)
        apr, eir = shown.apr_percent, shown.eir_percent
    except (NoRateOfReturn, ArithmeticError):
        apr = eir = None
    method = loan.product_version.method
    murabaha = method == "murabaha"
    return Price(
        method=method,
        apr_percent=apr,
        eir_percent=eir,
        total_cost=schedule.total_cost_of_credit(),
        total_repaid=totals.total,
        received=schedule.amount_received,
        cost=schedule.amount_financed if murabaha else None,
        markup=totals.charge if murabaha else None,
        sale_price=schedule.amount_financed + totals.charge if murabaha else None,
    )


def _today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


def _arrears(loan: Loan, rows: list[Installment], as_of: datetime.date) -> tuple[int, str, Decimal]:
    """Days past due, bucket and overdue amount from the stored rows (kept in step by every
    action), so the page replays no payment history."""
    from tandir.engine import (
        InstallmentDue,
        RepaymentState,
        ageing_bucket,
        days_past_due,
        overdue_amount,
    )
    from tandir.lending.terms import product_of

    if loan.status not in LIVE or not rows:
        return 0, "current", ZERO
    state = RepaymentState(
        tuple(
            InstallmentDue(
                r.number,
                r.due_date,
                r.principal - r.principal_paid,
                r.charge - r.charge_paid,
                r.fees - r.fees_paid,
                r.savings - r.savings_paid,
                r.penalty - r.penalty_paid,
                r.penalty_charged_on,
            )
            for r in rows
        ),
        loan.credit_held,
        product_of(loan),
    )
    days = days_past_due(state, as_of)
    return days, str(ageing_bucket(days)), overdue_amount(state, as_of)


def loan_page(user: Any, loan: Loan, *, as_of: datetime.date | None = None) -> LoanPage:
    """Everything the loan's page shows, in a fixed number of queries whatever the number of
    installments, repayments and entries."""
    from tandir.lending.models import ApplicationLine

    day = as_of or _today()
    rows = list(Installment.objects.filter(loan=loan).order_by("-version", "number"))
    current = [r for r in rows if r.version == loan.schedule_version]
    older: dict[int, list[Installment]] = {}
    for r in rows:
        if r.version != loan.schedule_version:
            older.setdefault(r.version, []).append(r)
    repayments = list(
        Repayment.objects.filter(loan=loan)
        .select_related("received_by")
        .only(
            "loan_id", "reference", "value_date", "currency", "amount", "source",
            "bank_reference", "receipt_number", "reversed_at", "reversal_reason", "is_recovery",
            "received_by__username",
        )
        .order_by("value_date", "id")
    )  # fmt: skip
    receipts = {r.pk: r.receipt_number for r in repayments}
    # The allocation as plain values in one query: hundreds of payments build no model rows.
    lines = (
        ApplicationLine.objects.filter(
            application__loan=loan, application__is_active=True, amount__gt=0
        )
        .values_list(
            "application__repayment_id", "application__applied_on", "number", "component",
            "amount",
        )
        .order_by("application__applied_on", "application_id", "number", "id")
    )  # fmt: skip
    allocation: dict[int, Allocated] = {r.number: Allocated() for r in current}
    since = loan.schedule_from
    for repayment_id, applied_on, number, component, amount in lines:
        part = allocation.get(number)
        if part is None or (since and applied_on < since):
            continue  # an earlier schedule version's allocation
        part.components[component] = part.components.get(component, ZERO) + amount
        part.receipts[receipts.get(repayment_id, "") if repayment_id else ""] = None
    days, bucket, overdue = _arrears(loan, current, day)
    entries = None
    if has_right(user, Right.SEE_LEDGER):
        from tandir.ledger.queries import entries_of_loan

        entries = entries_of_loan(loan.pk)
    return LoanPage(
        loan=loan,
        installments=current,
        older_schedules=sorted(older.items(), reverse=True),
        repayments=repayments,
        allocation=allocation,
        price=price_of(loan) if not loan.renegotiated else None,
        days_past_due=days,
        bucket=bucket,
        overdue=overdue,
        entries=entries,
        documents=list(loan.documents.select_related("uploaded_by").order_by("-uploaded_at")),
        events=list(loan.events.select_related("by")),
        changes=list(loan.changes.select_related("requested_by", "decided_by")),
        follow_ups=list(loan.follow_ups.select_related("by")),
        appraisals=list(loan.appraisals.select_related("appraised_by")),
        guarantors=list(loan.guarantors.all()),
    )


def loan_for_page(user: Any, loan_id: Any) -> Loan:
    """`access_loan` with what the loan's page shows of it joined in; 404 outside scope."""
    try:
        return (
            loans_in_scope(user)
            .select_related(
                "beneficiary", "branch", "product_version__product", "officer", "approved_by",
                "fund", "bank_branch__bank", "group",
            )
            .get(pk=int(loan_id))
        )  # fmt: skip
    except (Loan.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No loan found.") from exc


def person_loans(user: Any, beneficiary_id: int) -> list[Loan]:
    """A person's loans the user may open, for the person's page."""
    return list(
        loans_in_scope(user)
        .filter(beneficiary_id=beneficiary_id)
        .select_related("product_version__product")
        .order_by("-submitted_on", "-id")
    )


def loans_ready_to_instruct(user: Any) -> QuerySet[Loan]:
    """Approved loans with a fund and a bank branch, waiting for a disbursement instruction."""
    return (
        loans_in_scope(user)
        .filter(status=LoanStatus.APPROVED, disbursement__isnull=True)
        .exclude(bank_branch=None)
        .exclude(fund=None)
        .select_related("beneficiary", "bank_branch__bank")
        .order_by("bank_branch__bank", "reference")
    )


# --- Portfolio --------------------------------------------------------------------------------
