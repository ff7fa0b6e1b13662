"""Products and loan terms: what a credit officer chooses when offering a loan.

A `Product` holds the pricing rules shared by many loans (method, rate or markup, frequency, day
count, grace, fees, savings, rounding, holidays, allocation and rebate policy); `LoanTerms` adds
one client's amount, number of installments and dates. `validate_terms` returns every problem at
once as values, so a form or the command line can show them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from tandir.engine.calendar import NO_HOLIDAYS, DayCount, Frequency, HolidayCalendar
from tandir.engine.money import (
    MINOR_UNITS,
    ZERO,
    RoundingMode,
    RoundingRule,
    quantum,
)


class Method(StrEnum):
    """How the charge for the money is priced."""

    FLAT = "flat"
    DECLINING = "declining"
    EQUAL_PRINCIPAL = "equal-principal"
    QARD_HASAN = "qard-hasan"
    MURABAHA = "murabaha"

    @property
    def is_islamic(self) -> bool:
        return self in (Method.QARD_HASAN, Method.MURABAHA)

    @property
    def is_declining(self) -> bool:
        """Charge accrues on the outstanding balance (so payoff owes charge only to date)."""
        return self in (Method.DECLINING, Method.EQUAL_PRINCIPAL)


class FeeTiming(StrEnum):
    UPFRONT = "upfront"
    PER_INSTALLMENT = "per-installment"


@dataclass(frozen=True, slots=True)
class Fee:
    """A fee: a fixed amount, or a percentage of the amount financed when `is_percent`."""

    name: str
    value: Decimal
    is_percent: bool = False
    timing: FeeTiming = FeeTiming.UPFRONT
    # An upfront fee is either deducted from the disbursed cash or paid separately at
    # disbursement; both are the same cash flow for the APR.
    deducted_from_disbursement: bool = True


class SavingsTiming(StrEnum):
    WITHHELD_AT_DISBURSEMENT = "withheld"
    PER_INSTALLMENT = "per-installment"


@dataclass(frozen=True, slots=True)
class CompulsorySavings:
    """Savings the client must build, returned with the last installment.

    `value` is a percentage of the amount financed when `is_percent`, else a fixed amount (in
    total when withheld, per installment when collected with installments).
    """

    value: Decimal
    is_percent: bool = True
    timing: SavingsTiming = SavingsTiming.WITHHELD_AT_DISBURSEMENT
    # Simple annual interest paid on the savings when they are returned; zero by default.
    annual_interest_percent: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Grace:
    """Grace settings, in installments (periods) except `arrears_days`.

    principal: the first installments pay charge only;
    interest_payment: the charge of the first installments is deferred and spread evenly over the
        installments after the grace, without interest on interest;
    interest_free: no charge accrues in the first installments;
    arrears_days: days after a due date before the loan counts as past due.
    """

    principal: int = 0
    interest_payment: int = 0
    interest_free: int = 0
    arrears_days: int = 0


NO_GRACE = Grace()


@dataclass(frozen=True, slots=True)
class RebatePolicy:
    """Share of the unearned charge given back when a flat or Murabaha loan is paid off early.

    0 (the default) means no rebate; 100 gives back all charge not yet earned.
    """

    percent_of_unearned: Decimal = ZERO


NO_REBATE = RebatePolicy()


@dataclass(frozen=True, slots=True)
class Product:
    """The pricing rules of a loan product."""

    method: Method
    currency: str
    frequency: Frequency = Frequency.MONTHLY
    # Nominal annual rate in percent (flat, declining, equal principal).
    annual_rate_percent: Decimal = ZERO
    # Murabaha markup in percent of cost, for the whole contract.
    markup_percent: Decimal = ZERO
    day_count: DayCount = DayCount.PERIODIC
    grace: Grace = NO_GRACE
    fees: tuple[Fee, ...] = ()
    savings: CompulsorySavings | None = None
    round_to: Decimal | None = None
    rounding_mode: RoundingMode = RoundingMode.HALF_UP
    calendar: HolidayCalendar = NO_HOLIDAYS
    rebate: RebatePolicy = NO_REBATE
    allocation: str = "penalties-fees-charge-principal"
    arrears_tolerance: Decimal = ZERO

    @property
    def rounding(self) -> RoundingRule:
        return RoundingRule(self.currency, self.round_to, self.rounding_mode)


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """One loan: a product, the amount financed (cost for Murabaha), term and dates."""

    product: Product
    amount: Decimal
    installments: int
    disbursed: date
    first_due: date | None = None


@dataclass(frozen=True, slots=True)
class TermsError:
    """One problem with loan terms; `field` names the setting, `code` is stable for programs."""

    field: str
    code: str
    message: str


class InvalidTerms(ValueError):
    """Raised by the schedule builder when `validate_terms` finds problems."""

    code = "invalid_terms"

    def __init__(self, errors: tuple[TermsError, ...]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def validate_terms(terms: LoanTerms) -> tuple[TermsError, ...]:
    """Every problem with the terms, or an empty tuple when a schedule can be built."""
    errors: list[TermsError] = []
    product = terms.product
    method = product.method

    def add(field_name: str, code: str, message: str) -> None:
        errors.append(TermsError(field_name, code, message))

    if product.currency not in MINOR_UNITS:
        add("currency", "unknown_currency", f"unknown currency {product.currency!r}")
    if not terms.amount.is_finite() or terms.amount <= ZERO:
        add("amount", "not_positive", "must be a positive amount")
    elif product.currency in MINOR_UNITS and terms.amount != terms.amount.quantize(
        quantum(product.currency)
    ):
        add("amount", "too_precise", f"has more decimals than {product.currency} allows")
    if terms.installments <= 0:
        add("installments", "not_positive", "must be at least 1")
    if terms.first_due is not None and terms.first_due <= terms.disbursed:
        add("first_due", "before_disbursement", "must be after the disbursement date")

    if not product.annual_rate_percent.is_finite() or product.annual_rate_percent < ZERO:
        add("annual_rate_percent", "negative", "must be zero or more")
    if method.is_islamic and product.annual_rate_percent != ZERO:
        add("annual_rate_percent", "not_allowed", f"a {method} product carries no interest rate")
    if method is Method.MURABAHA:
        if not product.markup_percent.is_finite() or product.markup_percent < ZERO:
            add("markup_percent", "negative", "must be zero or more")
    elif product.markup_percent != ZERO:
        add("markup_percent", "not_allowed", "a markup applies only to murabaha")
    if product.day_count is not DayCount.PERIODIC and not method.is_declining:
        add(
            "day_count",
            "not_allowed",
            f"a day count applies only to declining methods, not {method}",
        )

    grace = product.grace
    for name in ("principal", "interest_payment", "interest_free", "arrears_days"):
        if getattr(grace, name) < 0:
            add(f"grace.{name}", "negative", "must be zero or more")
    for name in ("principal", "interest_payment", "interest_free"):
        if terms.installments > 0 and getattr(grace, name) >= terms.installments:
            add(f"grace.{name}", "too_long", "must leave at least one installment after the grace")
    if method.is_islamic and (grace.interest_payment or grace.interest_free):
        add("grace.interest_payment", "not_allowed", f"a {method} product accrues no interest")

    for fee in product.fees:
        if not fee.value.is_finite() or fee.value < ZERO:
            add(f"fees.{fee.name}", "negative", "must be zero or more")
        if method is Method.QARD_HASAN and (
            fee.is_percent or fee.timing is FeeTiming.PER_INSTALLMENT
        ):
            # A Qard Hasan service fee must not grow with the amount or the term.
            add(
                f"fees.{fee.name}",
                "not_allowed",
                "a qard-hasan service fee must be one fixed amount,"
                " not a percentage or per installment",
            )
    savings = product.savings
    if savings is not None and (not savings.value.is_finite() or savings.value < ZERO):
        add("savings", "negative", "must be zero or more")
    if savings is not None and savings.annual_interest_percent < ZERO:
        add("savings.annual_interest_percent", "negative", "must be zero or more")

    if product.round_to is not None:
        if not product.round_to.is_finite() or product.round_to <= ZERO:
            add("round_to", "not_positive", "must be a positive amount")
        elif product.currency in MINOR_UNITS:
            step = quantum(product.currency)
            if product.round_to % step != ZERO:
                add("round_to", "too_precise", f"must be a multiple of {step} {product.currency}")
    if product.rebate.percent_of_unearned < ZERO or product.rebate.percent_of_unearned > 100:
        add("rebate", "out_of_range", "must be between 0 and 100 percent")
    if product.arrears_tolerance < ZERO:
        add("arrears_tolerance", "negative", "must be zero or more")
    return tuple(errors)


__all__ = [
    "CompulsorySavings",
    "Fee",
    "FeeTiming",
    "Grace",
    "InvalidTerms",
    "LoanTerms",
    "Method",
    "Product",
    "RebatePolicy",
    "SavingsTiming",
    "TermsError",
    "validate_terms",
]
