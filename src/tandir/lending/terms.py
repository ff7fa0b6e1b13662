"""From stored rows to the loan engine's values, and back: products, terms, schedules, state.

The engine (`tandir.engine`) is pure: it knows no database. A product version becomes an
engine `Product`, a loan its `LoanTerms`; the stored installments and repayments rebuild the
engine's repayment history, which a new payment extends.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from tandir.core.money import money
from tandir.engine import (
    NO_REBATE,
    CompulsorySavings,
    CustomInstallment,
    DayCount,
    EmiBasis,
    Fee,
    FeeTiming,
    Frequency,
    Grace,
    InstallmentDue,
    InstallmentRounding,
    InterestGraceStyle,
    LoanTerms,
    Method,
    Payment,
    PaymentHistory,
    Product,
    RebatePolicy,
    RepaymentState,
    RoundingMode,
    SavingsTiming,
    Schedule,
    custom_terms,
    replay,
)
from tandir.lending.models import Installment, Loan, ProductVersion, Repayment

ZERO = Decimal(0)
# A payment not saved yet comes after the saved ones of its date, as it will when saved.
UNSAVED = 2**63


def _fees(raw: list[dict[str, object]]) -> tuple[Fee, ...]:
    return tuple(
        Fee(
            name=str(fee.get("name", "fee")),
            value=Decimal(str(fee.get("value", "0"))),
            is_percent=bool(fee.get("is_percent", False)),
            timing=FeeTiming(str(fee.get("timing", FeeTiming.UPFRONT))),
            deducted_from_disbursement=bool(fee.get("deducted", True)),
        )
        for fee in raw or []
    )


def _savings(raw: dict[str, object] | None) -> CompulsorySavings | None:
    if not raw:
        return None
    return CompulsorySavings(
        value=Decimal(str(raw.get("value", "0"))),
        is_percent=bool(raw.get("is_percent", True)),
        timing=SavingsTiming(str(raw.get("timing", SavingsTiming.WITHHELD_AT_DISBURSEMENT))),
        annual_interest_percent=Decimal(str(raw.get("annual_interest_percent", "0"))),
    )


def _amount(value: Decimal | None, currency: str) -> Decimal | None:
    return None if value is None else money(value, currency).amount


def engine_product(
    version: ProductVersion,
    *,
    rate: Decimal,
    frequency: str,
    grace_principal: int = 0,
    grace_interest: int = 0,
) -> Product:
    """The engine's product for a loan of this version at the rate and frequency chosen."""
    method = Method(version.method)
    currency = version.currency
    return Product(
        method=method,
        currency=currency,
        frequency=Frequency(frequency),
        annual_rate_percent=ZERO if method.is_islamic else rate,
        markup_percent=rate if method is Method.MURABAHA else ZERO,
        day_count=DayCount(version.day_count),
        grace=Grace(
            principal=grace_principal,
            interest_payment=grace_interest,
            arrears_days=version.arrears_days,
            interest_style=InterestGraceStyle(version.grace_interest_style),
        ),
        fees=_fees(version.fees),
        savings=_savings(version.savings),
        round_to=_amount(version.round_to, currency),
        rounding_mode=RoundingMode(version.rounding_mode),
        rebate=RebatePolicy(version.rebate_percent) if version.rebate_percent else NO_REBATE,
        allocation=version.allocation,
        arrears_tolerance=money(version.arrears_tolerance, currency).amount,
        round_installment_to=_amount(version.round_installment_to, currency),
        installment_rounding=InstallmentRounding(version.installment_rounding),
        emi_adjust=version.emi_adjust,
        emi_from=EmiBasis(version.emi_from),
        custom_schedule=version.custom_schedule,
    )


def loan_terms(loan: Loan, *, disbursed: datetime.date | None = None) -> LoanTerms:
    """The engine's terms of a loan, disbursed on `disbursed` (or its own disbursement date)."""
    product = engine_product(
        loan.product_version,
        rate=loan.rate,
        frequency=loan.frequency,
        grace_principal=loan.grace_principal,
        grace_interest=loan.grace_interest,
    )
    day = disbursed or loan.disbursed_on or loan.submitted_on
    amount = money(loan.amount, loan.currency).amount
    if loan.custom_schedule:
        rows = [
            CustomInstallment(
                datetime.date.fromisoformat(row["due_date"]),
                None if row.get("principal") in (None, "") else Decimal(str(row["principal"])),
            )
            for row in loan.custom_schedule
        ]
        return custom_terms(product, amount, day, rows)
    return LoanTerms(product, amount, loan.term, day, first_due=loan.first_due)


def installment_rows(loan: Loan, schedule: Schedule, version: int) -> list[Installment]:
    """Unsaved installment rows of a schedule."""
    return [
        Installment(
            organization_id=loan.organization_id,
            loan=loan,
            version=version,
            number=row.number,
            due_date=row.due_date,
            principal=row.principal,
            charge=row.charge,
            fees=row.fees,
            savings=row.savings,
        )
        for row in schedule.installments
    ]


def initial_state(
    loan: Loan, installments: Iterable[Installment], product: Product
) -> RepaymentState:
    """Nothing paid: the stored schedule as the engine's state, penalties charged included."""
    unit = Decimal(1).scaleb(-_minor(loan.currency))
    return RepaymentState(
        tuple(
            InstallmentDue(
                row.number,
                row.due_date,
                row.principal.quantize(unit),
                row.charge.quantize(unit),
                row.fees.quantize(unit),
                row.savings.quantize(unit),
                row.penalty.quantize(unit),
                row.penalty_charged_on,
            )
            for row in sorted(installments, key=lambda r: r.number)
        ),
        ZERO.quantize(unit),
        product,
    )


def _minor(currency: str) -> int:
    from tandir.engine import minor_unit

    return minor_unit(currency)


def payment_of(repayment: Repayment) -> Payment:
    return Payment(
        reference=repayment.reference,
        paid_on=repayment.value_date,
        amount=money(repayment.amount, repayment.currency).amount,
    )


def history_of(
    loan: Loan,
    installments: Iterable[Installment],
    repayments: Iterable[Repayment],
    product: Product,
    through: datetime.date | None = None,
) -> PaymentHistory:
    """The repayment history the payments make, in value-date order (then as recorded)."""
    state = initial_state(loan, installments, product)
    payments = [
        payment_of(r)
        for r in sorted(
            repayments, key=lambda r: (r.value_date, r.pk if r.pk is not None else UNSAVED)
        )
        if r.reversed_at is None and not r.is_recovery
    ]
    return replay(state, payments, through=through)


def product_of(loan: Loan) -> Product:
    return engine_product(
        loan.product_version,
        rate=loan.rate,
        frequency=loan.frequency,
        grace_principal=loan.grace_principal,
        grace_interest=loan.grace_interest,
    )
