"""`tandir synth`: the synthetic national portfolio is exact, consistent and reproducible.

Small portfolios (a few hundred loans) on SQLite and PostgreSQL: every schedule is the loan
engine's, the paid columns are the sum of the allocations, the allocations are what the engine
gives when it replays the repayments, the ledger balances and holds the receivables, every row
carries the organisation, and one seed gives one portfolio.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F, Sum

from tandir.demo.synth import BIG_MODELS, SynthRefused, SynthReport, build_synthetic_portfolio
from tandir.engine import Method, build_schedule
from tandir.ledger.charts import Role
from tandir.ledger.models import JournalLine
from tandir.ledger.queries import balance, unbalanced_entries
from tandir.lending.actions import record_repayment
from tandir.lending.models import (
    Application,
    ApplicationLine,
    GroupMembership,
    Installment,
    Loan,
    LoanStatus,
    Repayment,
)
from tandir.lending.portfolio import portfolio_as_of
from tandir.lending.terms import history_of, loan_terms, product_of
from tandir.orgs.models import Organization, StaffUser
from tandir.registry.identity import normalise_id_number, parse_phone
from tandir.registry.models import Beneficiary, Consent

AS_OF = datetime.date(2026, 11, 30)
ZERO = Decimal(0)

pytestmark = pytest.mark.django_db


@pytest.fixture
def synthetic() -> SynthReport:
    return build_synthetic_portfolio(400, organization="natl", seed=7, as_of=AS_OF)


# One portfolio is built per test (a few seconds each), so each test checks several things.


def test_the_portfolio_has_every_kind_of_loan_and_is_exact(synthetic: SynthReport) -> None:
    """Every method, frequency and behaviour; schedules are the engine's and sum to the loan;
    the paid columns are the allocations, which the engine's replay gives back; every row
    carries the organisation; participants have households, consent, normalised identities."""
    _every_method_frequency_and_behaviour_is_there(synthetic)
    _every_schedule_is_the_engines_and_sums_to_the_loan(synthetic)
    _paid_columns_equal_the_allocations_and_the_engines_replay(synthetic)
    _every_row_carries_the_organisation(synthetic)
    _participants_have_households_consent_and_normalised_identities(synthetic)


def test_reports_ledger_and_actions_work_on_it(synthetic: SynthReport) -> None:
    """`tandir portfolio` finds loans late and current; the ledger balances and holds the
    receivables; a repayment through the action posts on a synthetic loan."""
    _the_portfolio_report_reads_it_with_loans_late_and_current(synthetic)
    _the_ledger_balances_and_holds_the_receivables(synthetic)
    _a_repayment_through_the_action_posts_on_a_synthetic_loan(synthetic)


def _loans(report: SynthReport) -> list[Loan]:
    return list(
        Loan.objects.filter(organization_id=report.organization_id)
        .select_related("product_version")
        .order_by("reference")
    )


def _every_method_frequency_and_behaviour_is_there(synthetic: SynthReport) -> None:
    loans = _loans(synthetic)
    assert len(loans) == 400
    methods = Counter(loan.product_version.method for loan in loans)
    assert set(methods) == {m.value for m in (Method.FLAT, Method.DECLINING, Method.MURABAHA,
                                              Method.QARD_HASAN)}  # fmt: skip
    assert {loan.frequency for loan in loans} == {"weekly", "monthly"}
    statuses = Counter(loan.status for loan in loans)
    assert statuses[LoanStatus.ACTIVE] > 250
    assert statuses[LoanStatus.CLOSED] > 10
    assert statuses[LoanStatus.WRITTEN_OFF] >= 1
    assert dict(statuses) == dict(synthetic.statuses)
    assert sum(loan.renegotiated for loan in loans) >= 1
    # Weekly loans are group loans: groups of at most five with one leader each.
    weekly = [loan for loan in loans if loan.frequency == "weekly"]
    assert weekly and all(loan.group_id is not None for loan in weekly)
    assert all(loan.group_id is None for loan in loans if loan.frequency == "monthly")
    sizes = Counter(
        GroupMembership.objects.filter(organization_id=synthetic.organization_id).values_list(
            "group_id", flat=True
        )
    )
    assert max(sizes.values()) <= 5
    leaders = GroupMembership.objects.filter(
        organization_id=synthetic.organization_id, is_leader=True
    ).count()
    assert leaders == len(sizes)


def _every_schedule_is_the_engines_and_sums_to_the_loan(synthetic: SynthReport) -> None:
    rows: dict[tuple[int, int], list[Installment]] = defaultdict(list)
    for row in Installment.objects.filter(organization_id=synthetic.organization_id).order_by(
        "loan_id", "version", "number"
    ):
        rows[row.loan_id, row.version].append(row)
    for loan in _loans(synthetic):
        first = rows[loan.pk, 1]
        assert sum((r.principal for r in first), ZERO) == loan.amount
        if loan.renegotiated:
            assert loan.schedule_version == 2
            current = rows[loan.pk, 2]
            # The new schedule repays the principal left on the rescheduling day.
            left = sum((r.principal - r.principal_paid for r in first), ZERO)
            assert sum((r.principal for r in current), ZERO) == left
            assert loan.schedule_from is not None
            assert current[0].due_date > loan.schedule_from
            continue
        assert loan.schedule_version == 1 and loan.schedule_from == loan.disbursed_on
        schedule = build_schedule(loan_terms(loan))
        assert [
            (r.number, r.due_date, r.principal, r.charge, r.fees, r.savings) for r in first
        ] == [
            (i.number, i.due_date, i.principal, i.charge, i.fees, i.savings)
            for i in schedule.installments
        ]


def _paid_columns_equal_the_allocations_and_the_engines_replay(
    synthetic: SynthReport,
) -> None:
    org = synthetic.organization_id
    lines: dict[tuple[int, int, int, str], Decimal] = defaultdict(lambda: ZERO)
    for loan_id, version, number, component, amount in ApplicationLine.objects.filter(
        organization_id=org, application__is_active=True
    ).values_list(
        "application__loan_id",
        "application__loan__schedule_version",
        "number",
        "component",
        "amount",
    ):
        lines[loan_id, version, number, component] += amount
    renegotiated = set(
        Loan.objects.filter(organization_id=org, renegotiated=True).values_list("pk", flat=True)
    )
    # Allocations to the first schedule of a rescheduled loan are dated before the new one.
    before: dict[tuple[int, int, str], Decimal] = defaultdict(lambda: ZERO)
    for loan_id, number, component, amount in ApplicationLine.objects.filter(
        organization_id=org,
        application__loan__renegotiated=True,
        application__applied_on__lt=F("application__loan__schedule_from"),
    ).values_list("application__loan_id", "number", "component", "amount"):
        before[loan_id, number, component] += amount
    for row in Installment.objects.filter(organization_id=org):
        for component in ("principal", "charge", "fees", "savings", "penalty"):
            paid = getattr(row, f"{component}_paid")
            if row.loan_id in renegotiated:
                if row.version == 1:
                    expected = before[row.loan_id, row.number, component]
                else:
                    total = lines[row.loan_id, 2, row.number, component]
                    expected = total - before[row.loan_id, row.number, component]
            else:
                expected = lines[row.loan_id, 1, row.number, component]
            assert paid == expected, (row.loan_id, row.version, row.number, component)
            assert paid <= getattr(row, component)
    # Each repayment is one application of the same amount, split into lines that sum to it.
    applications = {
        a.repayment_id: a
        for a in Application.objects.filter(organization_id=org).annotate(
            split=Sum("lines__amount")
        )
    }
    repayments = list(Repayment.objects.filter(organization_id=org))
    assert len(applications) == len(repayments) > 1000
    for repayment in repayments:
        application = applications[repayment.pk]
        assert application.amount == repayment.amount == application.split
        assert application.applied_on == repayment.value_date <= AS_OF
    # The engine, replaying each loan's repayments on its current schedule, allocates them
    # exactly as stored.
    for loan in _loans(synthetic):
        rows = list(loan.installments.filter(version=loan.schedule_version).order_by("number"))
        payments = list(loan.repayments.filter(value_date__gte=loan.schedule_from))
        history = history_of(loan, rows, payments, product_of(loan))
        replayed = sorted(
            (a.payment.reference, line.number, str(line.component), line.amount)
            for a in history.allocations
            for line in a.lines
            if line.amount
        )
        stored = sorted(
            ApplicationLine.objects.filter(
                application__loan=loan, application__applied_on__gte=loan.schedule_from
            ).values_list("application__reference", "number", "component", "amount")
        )
        assert replayed == stored, loan.reference
        left = sum((r.principal - r.principal_paid for r in rows), ZERO)
        if loan.status == LoanStatus.ACTIVE:
            assert loan.principal_outstanding == left > ZERO
        elif loan.status == LoanStatus.WRITTEN_OFF:
            assert loan.principal_outstanding == ZERO and loan.written_off_principal == left
            assert loan.closed_on is not None and loan.closed_on <= AS_OF
        else:
            assert loan.status == LoanStatus.CLOSED
            assert loan.principal_outstanding == ZERO == left
            assert all(r.charge_paid == r.charge for r in rows)
            assert loan.closed_on == max(p.value_date for p in payments)


def _the_portfolio_report_reads_it_with_loans_late_and_current(
    synthetic: SynthReport,
) -> None:
    portfolio = portfolio_as_of(AS_OF, organization_id=synthetic.organization_id)
    loans = {loan.reference: loan for loan in _loans(synthetic)}
    assert len(portfolio.loans) == 400
    for position in portfolio.loans:
        loan = loans[position.loan_ref]
        assert position.status == loan.status
        assert position.outstanding_principal == loan.principal_outstanding
    buckets = Counter(p.bucket for p in portfolio.loans if p.status == LoanStatus.ACTIVE)
    assert buckets["current"] > 100
    late = sum(count for bucket, count in buckets.items() if bucket != "current")
    assert late > 30
    assert len([b for b in buckets if b != "current"]) >= 4  # several ageing buckets
    total = portfolio.totals["PKR"]
    active = [loan for loan in loans.values() if loan.status == LoanStatus.ACTIVE]
    assert total.loans == len(active)
    assert total.outstanding_principal == sum((loan.principal_outstanding for loan in active), ZERO)
    assert ZERO < total.overdue_principal < total.outstanding_principal
    out = StringIO()
    call_command("portfolio", "--as-of", AS_OF.isoformat(), "--organization", "natl", stdout=out)
    assert loans[min(loans)].reference in out.getvalue()


def _every_row_carries_the_organisation(synthetic: SynthReport) -> None:
    org = synthetic.organization_id
    for table in [m._meta.db_table for m in BIG_MODELS] + [JournalLine._meta.db_table]:
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT organization_id, COUNT(*) FROM "{table}" GROUP BY organization_id'
            )
            counts = dict(cursor.fetchall())
        assert set(counts) <= {org}, table
        assert counts.get(org, 0) == synthetic.rows.get(table, 0), table
    assert synthetic.rows["lending_installment"] > 4000


def _the_ledger_balances_and_holds_the_receivables(synthetic: SynthReport) -> None:
    org = synthetic.organization_id
    assert unbalanced_entries(org) == []
    lines = JournalLine.objects.filter(organization_id=org).aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    assert lines["debit"] == lines["credit"] > ZERO
    active = Loan.objects.filter(organization_id=org, status=LoanStatus.ACTIVE)

    def outstanding(*methods: Method) -> Decimal:
        total = active.filter(product_version__method__in=[m.value for m in methods]).aggregate(
            total=Sum("principal_outstanding")
        )["total"]
        return Decimal(total or 0).quantize(Decimal("0.01"))

    assert balance(org, Role.LOAN_PORTFOLIO, "PKR") == outstanding(Method.FLAT, Method.DECLINING)
    assert balance(org, Role.QARD_RECEIVABLE, "PKR") == outstanding(Method.QARD_HASAN)
    murabaha = Installment.objects.filter(
        loan__in=active.filter(product_version__method=Method.MURABAHA.value),
        version=F("loan__schedule_version"),
    )
    unpaid = murabaha.aggregate(
        p=Sum(F("principal") - F("principal_paid")), c=Sum(F("charge") - F("charge_paid"))
    )
    assert balance(org, Role.MURABAHA_RECEIVABLE, "PKR") == Decimal(
        unpaid["p"] + unpaid["c"]
    ).quantize(Decimal("0.01"))
    deferred = murabaha.filter(recognised=False).aggregate(c=Sum("charge"))["c"]
    assert balance(org, Role.DEFERRED_PROFIT, "PKR") == Decimal(deferred).quantize(Decimal("0.01"))
    # Charges due by the business day are recognised (as close of business would have).
    assert not Installment.objects.filter(
        organization_id=org,
        loan__product_version__method=Method.MURABAHA.value,
        version=F("loan__schedule_version"),
        due_date__lte=AS_OF,
        recognised=False,
    ).exists()


def _participants_have_households_consent_and_normalised_identities(
    synthetic: SynthReport,
) -> None:
    people = list(Beneficiary.objects.filter(organization_id=synthetic.organization_id))
    assert len(people) == 400
    assert all(p.household_id is not None for p in people)
    assert Consent.objects.filter(organization_id=synthetic.organization_id).count() == 400
    for person in people[:100]:
        assert parse_phone(person.phone, "PK") == person.phone
        assert normalise_id_number(person.national_id) == person.national_id
        assert len(person.national_id or "") == 13
        assert person.name_latin and person.name_key
    assert len({p.phone for p in people}) == len({p.national_id for p in people}) == 400


def _a_repayment_through_the_action_posts_on_a_synthetic_loan(
    synthetic: SynthReport,
) -> None:
    loan = next(
        loan
        for loan in _loans(synthetic)
        if loan.status == LoanStatus.ACTIVE and loan.principal_outstanding > 1000
    )
    assert loan.officer_id is not None
    officer = StaffUser.objects.get(pk=loan.officer_id)
    before = loan.principal_outstanding
    record_repayment(
        officer,
        loan,
        amount=Decimal(500),
        value_date=AS_OF + datetime.timedelta(days=1),
        reference="after-synth-1",
    )
    loan.refresh_from_db()
    assert loan.principal_outstanding <= before
    assert unbalanced_entries(synthetic.organization_id) == []


def _digest() -> str:
    """The portfolio's content by natural keys: references, codes, user names, ID numbers."""
    queries = [
        """SELECT l.reference, b.code, u.username, p.code, l.status, l.amount, l.rate, l.term,
                  l.frequency, l.disbursed_on, l.schedule_version, l.schedule_from,
                  l.renegotiated, l.closed_on, l.principal_outstanding, l.written_off_principal,
                  l.sector, p2.national_id
           FROM lending_loan l JOIN orgs_branch b ON b.id = l.branch_id
           JOIN orgs_staffuser u ON u.id = l.officer_id
           JOIN lending_productversion v ON v.id = l.product_version_id
           JOIN lending_loanproduct p ON p.id = v.product_id
           JOIN registry_beneficiary p2 ON p2.id = l.beneficiary_id ORDER BY 1""",
        """SELECT l.reference, i.version, i.number, i.due_date, i.principal, i.charge,
                  i.principal_paid, i.charge_paid, i.recognised
           FROM lending_installment i JOIN lending_loan l ON l.id = i.loan_id ORDER BY 1, 2, 3""",
        """SELECT r.reference, r.value_date, r.amount, r.source, a.applied_on, n.number,
                  n.component, n.amount
           FROM lending_repayment r JOIN lending_application a ON a.repayment_id = r.id
           JOIN lending_applicationline n ON n.application_id = a.id ORDER BY 1, 6, 7""",
        """SELECT national_id, first_name, last_name, sex, date_of_birth, phone, registered_on,
                  h.members_count, h.monthly_income_amount
           FROM registry_beneficiary p JOIN registry_household h ON h.id = p.household_id
           ORDER BY 1""",
        """SELECT e.entry_date, b.code, a.code, j.debit, j.credit FROM ledger_journalline j
           JOIN ledger_journalentry e ON e.id = j.entry_id JOIN orgs_branch b ON b.id = e.branch_id
           JOIN ledger_account a ON a.id = j.account_id ORDER BY 1, 2, 3""",
    ]
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql)
            for row in cursor.fetchall():
                digest.update(repr(tuple(_plain(v) for v in row)).encode())
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    # SQLite returns decimals and booleans in its own types; compare their values.
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(Decimal(str(value)).normalize())
    return str(value)


class _Undo(Exception):
    pass


def _built_and_undone(seed: int) -> str:
    try:
        with transaction.atomic():
            build_synthetic_portfolio(120, organization="same", seed=seed, as_of=AS_OF)
            digest = _digest()
            raise _Undo
    except _Undo:
        pass
    return digest


def test_the_same_seed_makes_the_same_portfolio() -> None:
    first = _built_and_undone(3)
    assert not Organization.objects.filter(short_name="same").exists()
    assert _built_and_undone(3) == first
    assert _built_and_undone(4) != first


def test_a_second_portfolio_of_a_seed_is_refused_another_joins_the_organisation(
    synthetic: SynthReport,
) -> None:
    loans = Loan.objects.count()
    with pytest.raises(SynthRefused) as refused:
        build_synthetic_portfolio(10, organization="natl", seed=7, as_of=AS_OF)
    assert refused.value.code == "synth_exists"
    assert Loan.objects.count() == loans
    out = StringIO()
    call_command(
        "synth", "--loans", "30", "--organization", "natl", "--seed", "8",
        "--as-of", AS_OF.isoformat(), stdout=out,
    )  # fmt: skip
    assert "Built 30 loans as of 2026-11-30" in out.getvalue()
    assert Loan.objects.filter(organization_id=synthetic.organization_id).count() == 430
    assert Organization.objects.filter(short_name="natl").count() == 1
