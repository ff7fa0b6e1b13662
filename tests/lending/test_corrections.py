"""What happens after disbursement besides paying on time: back-dated and reversed payments,
overpayments, penalties, accruals, rescheduling, write-off and recovery, early payoff, joint
liability, collection sheets, and the refusals of bad input."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tandir.core.errors import Conflict, NotAllowed, TandirError
from tandir.ledger.charts import Role
from tandir.ledger.models import JournalEntry
from tandir.ledger.queries import balance
from tandir.lending import actions
from tandir.lending.models import (
    Application,
    ChangeKind,
    Installment,
    Loan,
    LoanStatus,
    Repayment,
)
from tandir.registry.actions import withdraw_consent
from tests.factories import register
from tests.lending_factories import DISBURSED, Lending, disbursed_loan, product

D = Decimal
DAY = datetime.timedelta(days=1)


def rows_of(loan: Loan) -> list[Installment]:
    loan.refresh_from_db()
    return list(
        Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    )


def pay(lending: Lending, loan: Loan, amount: str, day: datetime.date, ref: str) -> Repayment:
    return actions.record_repayment(
        lending.officer, loan, amount=D(amount), value_date=day, reference=ref
    )


def test_a_back_dated_payment_moves_the_later_one_to_the_next_installment(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    first, second = rows_of(loan)[:2]
    pay(lending, loan, "94.56", second.due_date, "later")
    pay(lending, loan, "94.56", first.due_date, "earlier")
    first, second = rows_of(loan)[:2]
    assert first.unpaid == 0 and second.unpaid == 0
    later = Repayment.objects.get(reference="later")
    active = Application.objects.get(repayment=later, is_active=True)
    assert {line.number for line in active.lines.all()} == {2}
    withdrawn = Application.objects.get(repayment=later, is_active=False)
    assert {line.number for line in withdrawn.lines.all()} == {1}
    assert JournalEntry.objects.filter(reverses=withdrawn.entry).count() == 1


def test_reversing_a_payment_allocates_the_later_ones_again(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    first, second = rows_of(loan)[:2]
    earlier = pay(lending, loan, "94.56", first.due_date, "a")
    pay(lending, loan, "94.56", second.due_date, "b")
    actions.reverse_repayment(lending.accountant, earlier, reason="Transfer returned by the bank")
    first, second = rows_of(loan)[:2]
    assert first.unpaid == 0 and second.unpaid == second.total
    earlier.refresh_from_db()
    assert earlier.reversed_by == lending.accountant
    with pytest.raises(Conflict):
        actions.reverse_repayment(lending.accountant, earlier, reason="again")


def test_a_payment_before_a_rescheduling_cannot_be_reversed(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    payment = pay(lending, loan, "94.56", rows_of(loan)[0].due_date, "a")
    change = actions.request_change(
        lending.officer, loan, kind=ChangeKind.RESCHEDULE, reason="Harvest failed",
        terms={"term": 18},
    )  # fmt: skip
    actions.decide_change(
        lending.committee, change, approve=True, on=rows_of(loan)[0].due_date + DAY
    )
    before = [(row.pk, row.unpaid) for row in rows_of(loan)]
    with pytest.raises(Conflict) as refused:
        actions.reverse_repayment(lending.accountant, payment, reason="Transfer returned")
    assert refused.value.code == "before_schedule"
    payment.refresh_from_db()
    assert payment.reversed_at is None
    assert [(row.pk, row.unpaid) for row in rows_of(loan)] == before


def test_a_loan_officer_may_not_reverse_a_payment(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    payment = pay(lending, loan, "94.56", rows_of(loan)[0].due_date, "a")
    with pytest.raises(NotAllowed):
        actions.reverse_repayment(lending.officer, payment, reason="mistake")


def test_paying_more_than_owed_leaves_the_loan_overpaid_with_credit(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining, amount="300", term=3)
    owed = sum(row.total for row in rows_of(loan))
    pay(lending, loan, str(owed + D("25")), DISBURSED + datetime.timedelta(days=20), "all")
    loan.refresh_from_db()
    assert (loan.status, loan.credit_held) == (LoanStatus.OVERPAID, D("25.000"))
    assert balance(lending.world.org.pk, Role.OVERPAYMENT, "USD") == D(25)


def test_a_penalty_on_the_cash_basis_is_income_when_paid(lending: Lending) -> None:
    late = product(
        lending.world, "late", "declining", penalty_kind="fixed", penalty_value=D(5),
        penalty_after_days=3,
    )  # fmt: skip
    loan = disbursed_loan(lending, late)
    first = rows_of(loan)[0]
    charged = actions.charge_penalties(
        lending.accountant, loan, as_of=first.due_date + datetime.timedelta(days=10)
    )
    assert charged == D(5)
    assert rows_of(loan)[0].penalty == D(5)
    assert balance(lending.world.org.pk, Role.PENALTY_INCOME, "USD") == 0
    # Charged once per installment, however often close of business runs.
    assert (
        actions.charge_penalties(
            lending.accountant, loan, as_of=first.due_date + datetime.timedelta(days=11)
        )
        == 0
    )
    pay(lending, loan, "99.56", first.due_date + datetime.timedelta(days=12), "late-1")
    assert rows_of(loan)[0].unpaid == 0
    assert balance(lending.world.org.pk, Role.PENALTY_INCOME, "USD") == D(5)


def test_an_islamic_late_charge_goes_to_charity_never_to_income(lending: Lending) -> None:
    late = product(
        lending.world, "late-murabaha", "murabaha", penalty_kind="percent",
        penalty_value=D(2), penalty_after_days=0,
    )  # fmt: skip
    loan = disbursed_loan(lending, late, rate="12", term=6)
    first = rows_of(loan)[0]
    actions.charge_penalties(
        lending.accountant, loan, as_of=first.due_date + datetime.timedelta(days=5)
    )
    penalty = rows_of(loan)[0].penalty
    assert penalty == (first.total * D("0.02")).quantize(D("0.01"))
    pay(
        lending, loan, str(first.total + penalty), first.due_date + datetime.timedelta(days=6), "m1"
    )
    org = lending.world.org.pk
    assert balance(org, Role.CHARITY_PAYABLE, "USD") == penalty
    assert balance(org, Role.PENALTY_INCOME, "USD") == 0
    assert balance(org, Role.PROFIT_INCOME, "USD") == first.charge


def test_accrual_basis_interest_is_income_when_due_and_paid_from_the_receivable(
    lending: Lending,
) -> None:
    accrual = product(lending.world, "accrual", "declining", accounting_basis="accrual")
    loan = disbursed_loan(lending, accrual)
    first = rows_of(loan)[0]
    actions.recognise_due(lending.accountant, loan, through=first.due_date)
    org = lending.world.org.pk
    assert balance(org, Role.INTEREST_INCOME, "USD") == D(20)
    assert balance(org, Role.INTEREST_RECEIVABLE, "USD") == D(20)
    pay(lending, loan, "94.56", first.due_date, "acc-1")
    assert balance(org, Role.INTEREST_RECEIVABLE, "USD") == 0
    assert balance(org, Role.INTEREST_INCOME, "USD") == D(20)


def test_a_rescheduling_asked_by_one_and_approved_by_another_keeps_the_old_schedule(
    lending: Lending,
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    pay(lending, loan, "94.56", rows_of(loan)[0].due_date, "r1")
    change = actions.request_change(
        lending.officer, loan, kind=ChangeKind.RESCHEDULE, reason="Harvest failed",
        terms={"term": 18},
    )  # fmt: skip
    with pytest.raises(NotAllowed):
        actions.decide_change(lending.officer, change, approve=True)
    day = datetime.date(2026, 2, 1)
    actions.decide_change(lending.committee, change, approve=True, on=day)
    loan.refresh_from_db()
    assert (loan.schedule_version, loan.renegotiated, loan.term) == (2, True, 18)
    assert Installment.objects.filter(loan=loan, version=1).count() == 12
    new = rows_of(loan)
    assert len(new) == 18 and new[0].due_date == datetime.date(2026, 3, 1)
    # The unpaid principal (1,000 − 74.56) is spread over the new term; the second old
    # installment's interest, due on 15 January, comes with the first new one.
    assert sum(r.principal for r in new) == D("925.44")
    pay(lending, loan, str(new[0].total), new[0].due_date, "r2")
    assert rows_of(loan)[0].unpaid == 0


def test_a_write_off_approved_by_the_committee_and_a_recovery_after_it(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    change = actions.request_change(
        lending.world.manager_a, loan, kind=ChangeKind.WRITE_OFF, reason="Left the country"
    )
    actions.decide_change(lending.committee, change, approve=True, on=datetime.date(2026, 6, 1))
    loan.refresh_from_db()
    org = lending.world.org.pk
    assert loan.status == LoanStatus.WRITTEN_OFF
    assert balance(org, Role.LOAN_PORTFOLIO, "USD") == 0
    assert balance(org, Role.LOSSES_WRITTEN_OFF, "USD") == D(1000)
    pay(lending, loan, "150", datetime.date(2026, 7, 1), "recovery-1")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.WRITTEN_OFF
    assert balance(org, Role.RECOVERY_INCOME, "USD") == D(150)


def test_paying_a_flat_loan_off_early_with_a_full_rebate_forgives_the_unearned_charge(
    lending: Lending,
) -> None:
    rebated = product(lending.world, "flat-rebate", "flat", rebate_percent=D(100))
    loan = disbursed_loan(lending, rebated, amount="1200", term=12)
    rows = rows_of(loan)
    pay(lending, loan, str(rows[0].total), rows[0].due_date, "f1")
    quote = actions.payoff(loan, rows[1].due_date)
    assert quote.rebate > 0
    actions.pay_off(lending.officer, loan, value_date=rows[1].due_date, reference="f-off")
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED


def test_a_late_member_holds_the_groups_next_loan(lending: Lending) -> None:
    world = lending.world
    group = actions.create_group(lending.officer, world.branch_a, name="Lori women")
    other = register(world, phone="+37499111333", national_id="AM5555555", first_name="Gohar")
    actions.join_group(lending.officer, group, lending.person)
    actions.join_group(lending.officer, group, other)
    late = actions.apply_for_loan(
        lending.officer, lending.person, lending.declining, amount=D(500), term=6, rate=D(24),
        purpose="Stock", sector="trade", group=group, on=datetime.date(2025, 11, 1),
    )  # fmt: skip
    actions.appraise(
        lending.appraiser, late, business_income=D(900), business_expenses=D(300),
        household_expenses=D(350),
    )  # fmt: skip
    actions.approve(lending.committee, late, fund=lending.fund, bank_branch=lending.bank_branch)
    actions.instruct_disbursement(lending.officer, lending.bank, [late])
    actions.confirm_disbursement(lending.accountant, late, bank_reference="x", on=DISBURSED)
    application = actions.apply_for_loan(
        lending.officer, other, lending.declining, amount=D(500), term=6, rate=D(24),
        purpose="Stock", sector="trade", group=group,
    )  # fmt: skip
    actions.appraise(
        lending.appraiser, application, business_income=D(900), business_expenses=D(300),
        household_expenses=D(350),
    )  # fmt: skip
    with pytest.raises(actions.LoanRefused) as refused:
        actions.approve(lending.committee, application)
    assert refused.value.code == "group_on_hold"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount": D(50)}, "outside_product"),
        ({"term": 40}, "outside_product"),
        ({"rate": D(48)}, "outside_product"),
        ({"frequency": "weekly"}, "outside_product"),
    ],
)
def test_an_offer_outside_the_product_is_refused(
    lending: Lending, change: dict[str, object], code: str
) -> None:
    offer: dict[str, object] = {"amount": D(1000), "term": 12, "rate": D(24), "sector": "trade"}
    offer.update(change)
    with pytest.raises(actions.LoanRefused) as refused:
        actions.apply_for_loan(
            lending.officer,
            lending.person,
            lending.declining,
            purpose="Stock",
            **offer,  # type: ignore[arg-type]
        )
    assert refused.value.code == code
    assert not Loan.objects.exists()


def test_no_application_without_consent_in_force(lending: Lending) -> None:
    withdraw_consent(lending.world.intake_a, lending.person, reason="asked")
    with pytest.raises(actions.LoanRefused) as refused:
        actions.apply_for_loan(
            lending.officer, lending.person, lending.declining, amount=D(1000), term=12,
            rate=D(24), purpose="Stock", sector="trade",
        )  # fmt: skip
    assert refused.value.code == "no_consent"


def test_bad_repayments_are_refused_and_write_nothing(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining, amount="300", term=3)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(TandirError) as future:
        pay(lending, loan, "10", tomorrow, "future")
    assert future.value.code == "future_date"
    for row in rows_of(loan):
        pay(lending, loan, str(row.total), row.due_date, f"p{row.number}")
    with pytest.raises(Conflict) as closed:
        pay(lending, loan, "10", rows_of(loan)[-1].due_date, "after-close")
    assert closed.value.code == "closed"
    assert not Repayment.objects.filter(reference__in=["future", "after-close"]).exists()


def test_a_loan_officer_of_another_branch_cannot_pay_into_the_loan(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    with pytest.raises(actions.NotFound):
        actions.record_repayment(
            lending.world.loan_officer_b, loan, amount=D(10), value_date=DISBURSED, reference="b"
        )


def test_a_collection_sheet_posts_every_payment_or_none(lending: Lending) -> None:
    world = lending.world
    centre = actions.create_centre(lending.officer, world.branch_a, name="Azatan", meeting_day=2)
    group = actions.create_group(lending.officer, world.branch_a, name="G1", centre=centre)
    actions.join_group(lending.officer, group, lending.person)
    loan = disbursed_loan(lending, lending.declining)
    first = rows_of(loan)[0]
    line = actions.SheetLine(
        lending.person, "present", loan=loan, paid=first.total, due=first.total
    )
    actions.post_collection_sheet(
        lending.officer, centre=centre, meeting_date=first.due_date, lines=[line]
    )
    assert rows_of(loan)[0].unpaid == 0
    with pytest.raises(Conflict):
        actions.post_collection_sheet(
            lending.officer, centre=centre, meeting_date=first.due_date, lines=[line]
        )
    # A sheet with one bad line records none of its payments.
    second = rows_of(loan)[1]
    stranger = register(world, phone="+37499111444", national_id="AM6666666", first_name="Ani")
    lines = [
        actions.SheetLine(lending.person, "present", loan=loan, paid=second.total),
        actions.SheetLine(stranger, "present", loan=loan, paid=D(5)),
    ]
    with pytest.raises(TandirError):
        actions.post_collection_sheet(
            lending.officer, centre=centre, meeting_date=second.due_date, lines=lines
        )
    assert rows_of(loan)[1].unpaid == second.total


def test_a_document_is_checked_by_its_bytes_and_size(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    document = actions.attach_document(
        lending.officer, loan, kind="passport copy", name="scan.pdf", content=b"%PDF-1.7 scan"
    )
    assert (document.content_type, document.size) == ("application/pdf", 13)
    with pytest.raises(TandirError) as wrong:
        actions.attach_document(
            lending.officer, loan, kind="photo", name="photo.pdf", content=b"MZ\x90 not a pdf"
        )
    assert wrong.value.code == "file_type"
    with pytest.raises(TandirError) as large:
        actions.attach_document(
            lending.officer, loan, kind="scan", name="big.pdf",
            content=b"%PDF-" + b"0" * actions.DOCUMENT_MAX_BYTES,
        )  # fmt: skip
    assert large.value.code == "file_too_large"
    assert loan.documents.count() == 1


def test_an_overpaid_loan_is_closed_by_refunding_its_credit(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining, amount="300", term=3)
    owed = sum(row.total for row in rows_of(loan))
    day = DISBURSED + datetime.timedelta(days=20)
    pay(lending, loan, str(owed + D("25")), day, "all")
    actions.refund_credit(lending.accountant, loan, on=day, bank_reference="REF-9")
    loan.refresh_from_db()
    assert (loan.status, loan.credit_held) == (LoanStatus.CLOSED, D("0"))
    assert balance(lending.world.org.pk, Role.OVERPAYMENT, "USD") == 0


def test_a_murabaha_is_not_rescheduled_because_its_sale_price_is_fixed(lending: Lending) -> None:
    from tandir.lending.models import LoanChange

    loan = disbursed_loan(lending, lending.murabaha, rate="12")
    with pytest.raises(Conflict) as refused:
        actions.request_change(
            lending.officer, loan, kind="reschedule", reason="harvest failed", terms={"term": 18}
        )
    assert refused.value.code == "murabaha_fixed_price"
    assert not LoanChange.objects.filter(loan=loan).exists()
