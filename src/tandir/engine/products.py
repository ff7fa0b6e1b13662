"""Products and loan terms: what a credit officer chooses when offering a loan.

A `Product` holds the pricing rules shared by many loans (method, rate or markup, frequency, day
count, grace, fees, savings, rounding, holidays, allocation and rebate policy); `LoanTerms` adds
one client's amount, number of installments and dates. `validate_terms` returns every problem at
once as values, so a form or the command line can show them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from tandir.engine.calendar import (
    NO_HOLIDAYS,
    DayCount,
    Frequency,
    HolidayCalendar,
    fits_calendar,
    scheduled_dates,
)
from tandir.engine.money import (
    MINOR_UNITS,
    ZERO,
    RoundingMode,
    RoundingRule,
    quantum,
    rounding_function,
)
from tandir.engine.strategies import STRATEGIES, Excess, Strategy, strategy_named

HUNDRED_PERCENT = Decimal(100)
# Rates, markups and amounts beyond these are typing mistakes, and they would overflow the
# engine's 28 significant digits.
MAX_PERCENT = Decimal(1000)
MAX_AMOUNT = Decimal(10) ** 15


class Method(StrEnum):
    """How the charge for the money is priced."""

    FLAT = "flat"
    DECLINING = "declining"
    EQUAL_PRINCIPAL = "equal-principal"
    QARD_HASAN = "qard-hasan"
    MURABAHA = "murabaha"

    @property
    def is_islamic(self) -> bool:
        return self is _QARD_HASAN or self is _MURABAHA

    @property
    def is_declining(self) -> bool:
        """Charge accrues on the outstanding balance (so payoff owes charge only to date)."""
        return self is _DECLINING or self is _EQUAL_PRINCIPAL


# Enum members used on every loan, read once: an Enum class attribute is a Python-level lookup
# in Python 3.11, and validate_terms runs for every schedule.
_DECLINING = Method.DECLINING
_EQUAL_PRINCIPAL = Method.EQUAL_PRINCIPAL
_QARD_HASAN = Method.QARD_HASAN
_MURABAHA = Method.MURABAHA
_PERIODIC = DayCount.PERIODIC


class FeeTiming(StrEnum):
    UPFRONT = "upfront"
    PER_INSTALLMENT = "per-installment"


_UPFRONT = FeeTiming.UPFRONT
_PER_INSTALLMENT = FeeTiming.PER_INSTALLMENT


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


class InterestGraceStyle(StrEnum):
    """When the charge deferred by an interest-payment grace is paid."""

    # Spread evenly over the installments after the grace (Tandir's rule).
    SPREAD = "spread"
    # All of it with the first installment after the grace (Fineract's cumulative loans).
    NEXT = "next"
    # The ungraced loan's EMI from the first period: all principal during the grace, then the
    # deferred charge first, the period's charge, principal (Fineract's progressive loans).
    EMI = "emi"


@dataclass(frozen=True, slots=True)
class Grace:
    """Grace settings, in installments (periods) except `arrears_days`.

    principal: the first installments pay charge only;
    interest_payment: the charge of the first installments is deferred, without interest on
        interest, and paid as `interest_style` says;
    interest_free: no charge accrues in the first installments;
    arrears_days: days after a due date before the loan counts as past due.
    """

    principal: int = 0
    interest_payment: int = 0
    interest_free: int = 0
    arrears_days: int = 0
    interest_style: InterestGraceStyle = InterestGraceStyle.SPREAD


NO_GRACE = Grace()


@dataclass(frozen=True, slots=True)
class RebatePolicy:
    """Share of the unearned charge given back when a flat or Murabaha loan is paid off early.

    0 (the default) means no rebate; 100 gives back all charge not yet earned.
    """

    percent_of_unearned: Decimal = ZERO


NO_REBATE = RebatePolicy()


class InstallmentRounding(StrEnum):
    """How the installment itself is rounded, when installments are rounded as a whole."""

    NEAREST = "nearest"  # by the product's rounding mode
    UP = "up"  # a ceiling (Frappe Lending rounds the monthly repayment up)


class EmiBasis(StrEnum):
    """What the equal installment of a declining loan with a day count is computed from."""

    NOMINAL = "nominal"  # the annual rate ÷ periods per year
    DAY_COUNT = "day-count"  # each period's day-count rate (Fineract's progressive loans)


@dataclass(frozen=True, slots=True)
class Product:
    """The pricing rules of a loan product.

    Rounding: `round_to` and `rounding_mode` round every component (principal, charge, fees).
    `round_installment_to` (Fineract's "installment amount in multiples of") and
    `installment_rounding` round the whole installment instead: the charge keeps the component
    rule and principal is the installment less the charge. `emi_adjust` then tries the EMI one
    step up and down and keeps the one whose last installment is closest to the others.
    """

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
    # The allocation strategy by name (`STRATEGIES`), and what to do with money left after its
    # rules when it should differ from the strategy's own (e.g. hold as credit).
    allocation: str = "penalties-fees-charge-principal"
    excess: Excess | None = None
    # Unpaid amounts up to this are ignored in arrears (Fineract's arrears tolerance).
    arrears_tolerance: Decimal = ZERO
    round_installment_to: Decimal | None = None
    installment_rounding: InstallmentRounding = InstallmentRounding.NEAREST
    emi_adjust: bool = False
    emi_from: EmiBasis = EmiBasis.NOMINAL
    # Loans may carry the officer's own due dates and principal (`LoanTerms.custom`).
    custom_schedule: bool = False

    @property
    def rounding(self) -> RoundingRule:
        return RoundingRule(self.currency, self.round_to, self.rounding_mode)

    @property
    def strategy(self) -> Strategy:
        """The allocation strategy; an unknown name raises `UnknownStrategy`."""
        strategy = strategy_named(self.allocation)
        if self.excess is None or self.excess is strategy.excess:
            return strategy
        return Strategy(strategy.name, strategy.rules, self.excess)

    @property
    def installment_rule(self) -> RoundingRule | None:
        """How whole installments are rounded, or None when each component is rounded."""
        if self.round_installment_to is None and self.installment_rounding is _NEAREST:
            return None
        mode = _ROUND_UP if self.installment_rounding is _UP else self.rounding_mode
        return RoundingRule(self.currency, self.round_installment_to, mode)


_NEAREST = InstallmentRounding.NEAREST
_ROUND_UP = RoundingMode.UP
_UP = InstallmentRounding.UP
_SPREAD = InterestGraceStyle.SPREAD
_EMI_FROM_DAY_COUNT = EmiBasis.DAY_COUNT


@dataclass(frozen=True, slots=True)
class CustomInstallment:
    """One row of a custom schedule: a due date and the principal due on it.

    `principal=None` makes the row interest only (the charge of the period, no principal).
    """

    due_date: date
    principal: Decimal | None = None

    @property
    def interest_only(self) -> bool:
        return self.principal is None or self.principal == ZERO


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """One loan: a product, the amount financed (cost for Murabaha), term and dates.

    `custom` holds the officer's own due dates and principal (seasonal and balloon loans); the
    product must allow it, `installments` is its length and `first_due` stays None.
    """

    product: Product
    amount: Decimal
    installments: int
    disbursed: date
    first_due: date | None = None
    custom: tuple[CustomInstallment, ...] | None = None


def custom_terms(
    product: Product, amount: Decimal, disbursed: date, rows: Sequence[CustomInstallment]
) -> LoanTerms:
    """Terms of a loan repaid on the officer's own dates."""
    return LoanTerms(product, amount, len(rows), disbursed, custom=tuple(rows))


def balloon(amount: Decimal, due_dates: Sequence[date]) -> tuple[CustomInstallment, ...]:
    """Interest only on every date, and the whole principal with the last one."""
    *interest_only, last = due_dates
    return (*(CustomInstallment(day) for day in interest_only), CustomInstallment(last, amount))


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
    return terms_problems(terms, check_cash=True)


def terms_problems(terms: LoanTerms, check_cash: bool) -> tuple[TermsError, ...]:
    """`validate_terms`, optionally without the check that the client leaves with something.

    The schedule builder calls it for every loan, so the common case (nothing wrong) is a run of
    plain comparisons; the builder checks the disbursement itself with the fees and savings it
    computes anyway (`leaves_nothing`).
    """
    errors: list[TermsError] = []
    add = errors.append
    product = terms.product
    method = product.method
    currency = product.currency
    known_currency = currency in MINOR_UNITS
    declining = method is _DECLINING
    count = terms.installments
    step = quantum(currency) if known_currency else None

    if not known_currency:
        add(TermsError("currency", "unknown_currency", f"unknown currency {currency!r}"))
    amount = terms.amount
    if not amount.is_finite() or amount <= ZERO:
        add(TermsError("amount", "not_positive", "must be a positive amount"))
    elif amount > MAX_AMOUNT:
        add(TermsError("amount", "too_large", f"must be at most {MAX_AMOUNT:,}"))
    elif step is not None and amount != amount.quantize(step):
        add(TermsError("amount", "too_precise", f"has more decimals than {currency} allows"))
    if count <= 0:
        add(TermsError("installments", "not_positive", "must be at least 1"))
    if terms.first_due is not None and terms.first_due <= terms.disbursed:
        add(TermsError("first_due", "before_disbursement", "must be after the disbursement date"))
    if terms.custom is not None:
        _check_custom(add, terms, known_currency)
    elif count > 0 and not (
        fits_calendar(terms.disbursed, terms.first_due, product.frequency, count)
        and _last_date_stays_in_calendar(terms)
    ):
        add(
            TermsError(
                "installments",
                "beyond_calendar",
                f"the last due date would fall after {date.max.isoformat()}",
            )
        )

    _check_percent(add, "annual_rate_percent", product.annual_rate_percent)
    if method.is_islamic and product.annual_rate_percent != ZERO:
        add(
            TermsError(
                "annual_rate_percent", "not_allowed", f"a {method} product carries no interest rate"
            )
        )
    if method is _MURABAHA:
        _check_percent(add, "markup_percent", product.markup_percent)
    elif product.markup_percent != ZERO:
        add(TermsError("markup_percent", "not_allowed", "a markup applies only to murabaha"))
    if product.day_count is not _PERIODIC and not method.is_declining:
        add(
            TermsError(
                "day_count",
                "not_allowed",
                f"a day count applies only to declining methods, not {method}",
            )
        )

    grace = product.grace
    if (
        grace.principal
        or grace.interest_payment
        or grace.interest_free
        or grace.arrears_days
        or grace.interest_style is not _SPREAD
    ):
        # A custom schedule states its own interest-only rows: the grace does not apply to it.
        _check_grace(add, grace, method, count if terms.custom is None else 0)
    if product.fees:
        _check_fees(add, product)
    savings = product.savings
    if savings is not None:
        if not savings.value.is_finite() or savings.value < ZERO:
            add(TermsError("savings", "negative", "must be zero or more"))
        elif savings.is_percent and savings.value >= HUNDRED_PERCENT:
            add(TermsError("savings", "too_large", "must be less than 100% of the amount"))
        if savings.annual_interest_percent < ZERO:
            add(TermsError("savings.annual_interest_percent", "negative", "must be zero or more"))

    if product.round_to is not None:
        _check_multiple(add, "round_to", product.round_to, step, currency)
    multiple = product.round_installment_to
    if multiple is not None:
        fits = _check_multiple(add, "round_installment_to", multiple, step, currency)
        if fits and product.round_to is not None and multiple % product.round_to != ZERO:
            add(
                TermsError(
                    "round_installment_to",
                    "not_a_multiple",
                    f"must be a multiple of round_to ({product.round_to})",
                )
            )
    if product.emi_adjust and not declining:
        add(TermsError("emi_adjust", "not_allowed", "applies only to declining (EMI) loans"))
    if product.emi_from is _EMI_FROM_DAY_COUNT:
        if not declining:
            add(TermsError("emi_from", "not_allowed", "applies only to declining (EMI) loans"))
        elif product.day_count is _PERIODIC:
            add(TermsError("emi_from", "needs_day_count", "needs a day count other than periodic"))
    rebate = product.rebate.percent_of_unearned
    if rebate < ZERO or rebate > HUNDRED_PERCENT:
        add(TermsError("rebate", "out_of_range", "must be between 0 and 100 percent"))
    if product.arrears_tolerance < ZERO:
        add(TermsError("arrears_tolerance", "negative", "must be zero or more"))
    if product.allocation not in STRATEGIES:
        known = ", ".join(sorted(STRATEGIES))
        add(
            TermsError(
                "allocation",
                "unknown_strategy",
                f"unknown allocation strategy {product.allocation!r} (known: {known})",
            )
        )
    if check_cash and not errors and (product.fees or savings is not None):
        _check_disbursement(add, terms, loan_cash(terms))
    return tuple(errors)


def _last_date_stays_in_calendar(terms: LoanTerms) -> bool:
    # A holiday may still move the last date past the end of the calendar.
    product = terms.product
    calendar = product.calendar
    if not calendar.holidays and not calendar.weekend:
        return True
    last = scheduled_dates(terms.disbursed, terms.first_due, product.frequency, terms.installments)
    try:
        calendar.next_working_day(last[-1])
    except (OverflowError, ValueError):
        return False
    return True


class LoanCash(NamedTuple):
    """The fees and savings of one loan in money: the rules of `Fee` and `CompulsorySavings`."""

    # Upfront fees deducted from the disbursement, and paid separately at disbursement.
    upfront_deducted: Decimal
    upfront_separate: Decimal
    savings_withheld: Decimal
    # Fees and savings collected with each installment.
    fee_each: Decimal
    savings_each: Decimal
    # Savings (withheld and collected) plus their interest, returned with the last installment.
    savings_returned: Decimal


def loan_cash(terms: LoanTerms) -> LoanCash:
    """The fees and savings of a loan; percentages of the amount are rounded by the product."""
    product = terms.product
    amount = terms.amount
    rnd = rounding_function(product.currency, product.round_to, product.rounding_mode)
    # A zero with the currency's decimals, so that a fixed 5 prints as 5.00.
    zero = rounding_function(product.currency, None, product.rounding_mode)(ZERO)
    deducted = separate = fee_each = zero
    for fee in product.fees:
        value = rnd(amount * fee.value / HUNDRED_PERCENT) if fee.is_percent else fee.value + zero
        if fee.timing is _PER_INSTALLMENT:
            fee_each += value
        elif fee.deducted_from_disbursement:
            deducted += value
        else:
            separate += value
    savings = product.savings
    withheld = each = returned = zero
    if savings is not None:
        value = (
            rnd(amount * savings.value / HUNDRED_PERCENT)
            if savings.is_percent
            else savings.value + zero
        )
        if savings.timing is SavingsTiming.PER_INSTALLMENT:
            each = value
        else:
            withheld = value
        count = terms.installments
        returned = withheld + each * count
        rate = savings.annual_interest_percent / HUNDRED_PERCENT
        if rate != ZERO:
            # Simple interest for the periods each deposit stays with the MFI.
            deposit_periods = withheld * count + each * (count * (count - 1) // 2)
            returned += rnd(deposit_periods * rate / product.frequency.periods_per_year)
    return LoanCash(deducted, separate, withheld, fee_each, each, returned)


def leaves_nothing(amount: Decimal, cash: LoanCash) -> bool:
    """Whether upfront fees and withheld savings take the whole amount.

    The client must leave with something, or the APR turns negative or has no meaning.
    """
    return cash.upfront_deducted + cash.upfront_separate + cash.savings_withheld >= amount


def _check_disbursement(add: Add, terms: LoanTerms, cash: LoanCash) -> None:
    if not leaves_nothing(terms.amount, cash):
        return
    deducted, separate, withheld, *_ = cash
    amount = terms.amount
    if deducted + separate >= amount:
        upfront = [fee for fee in terms.product.fees if fee.timing is FeeTiming.UPFRONT]
        largest = max(upfront, key=lambda fee: fee.value)
        add(
            TermsError(
                f"fees.{largest.name}",
                "leaves_nothing",
                f"upfront fees of {deducted + separate} leave nothing of the amount {amount}",
            )
        )
    elif deducted + separate + withheld >= amount:
        add(
            TermsError(
                "savings",
                "leaves_nothing",
                f"savings of {withheld} withheld with upfront fees of {deducted + separate}"
                f" leave the client nothing of the amount {amount}",
            )
        )


Add = Callable[[TermsError], None]


def _check_percent(add: Add, name: str, value: Decimal) -> None:
    if not value.is_finite() or value < ZERO:
        add(TermsError(name, "negative", "must be zero or more"))
    elif value > MAX_PERCENT:
        add(TermsError(name, "too_large", f"must be at most {MAX_PERCENT}%"))


def _check_multiple(
    add: Add, name: str, value: Decimal, step: Decimal | None, currency: str
) -> bool:
    if not value.is_finite() or value <= ZERO:
        add(TermsError(name, "not_positive", "must be a positive amount"))
        return False
    if value > MAX_AMOUNT:
        add(TermsError(name, "too_large", f"must be at most {MAX_AMOUNT:,}"))
        return False
    if step is not None and value % step != ZERO:
        add(TermsError(name, "too_precise", f"must be a multiple of {step} {currency}"))
        return False
    return True


def _check_grace(add: Add, grace: Grace, method: Method, count: int) -> None:
    for name, value in (
        ("principal", grace.principal),
        ("interest_payment", grace.interest_payment),
        ("interest_free", grace.interest_free),
        ("arrears_days", grace.arrears_days),
    ):
        if value < 0:
            add(TermsError(f"grace.{name}", "negative", "must be zero or more"))
        elif name != "arrears_days" and count > 0 and value >= count:
            add(
                TermsError(
                    f"grace.{name}",
                    "too_long",
                    "must leave at least one installment after the grace",
                )
            )
    if method.is_islamic and (grace.interest_payment or grace.interest_free):
        add(
            TermsError(
                "grace.interest_payment", "not_allowed", f"a {method} product accrues no interest"
            )
        )
    if grace.interest_style is InterestGraceStyle.EMI:
        if method is not Method.DECLINING:
            add(
                TermsError(
                    "grace.interest_style",
                    "not_allowed",
                    "the emi style applies only to declining (EMI) loans",
                )
            )
        if grace.principal:
            add(
                TermsError(
                    "grace.interest_style",
                    "not_allowed",
                    "the emi style repays principal from the first installment:"
                    " it cannot be combined with a principal grace",
                )
            )


def _check_custom(add: Add, terms: LoanTerms, known_currency: bool) -> None:
    product = terms.product
    rows = terms.custom or ()
    if not product.custom_schedule:
        add(TermsError("custom", "not_allowed", "the product does not allow a custom schedule"))
    if len(rows) != terms.installments:
        add(
            TermsError(
                "installments",
                "not_the_custom_rows",
                f"must be the number of custom rows ({len(rows)})",
            )
        )
    if terms.first_due is not None:
        add(TermsError("first_due", "not_allowed", "a custom schedule gives its own due dates"))
    step = quantum(product.currency) if known_currency else None
    charges_interest = not product.method.is_islamic
    previous = terms.disbursed
    total = ZERO
    for number, row in enumerate(rows, start=1):
        field = f"custom.{number}"
        if row.due_date <= previous:
            after = "the disbursement date" if number == 1 else "the previous due date"
            add(TermsError(field, "not_in_order", f"due date must be after {after}"))
        previous = max(previous, row.due_date)
        principal = row.principal
        if principal is None or principal == ZERO:
            if not charges_interest:
                add(
                    TermsError(
                        field,
                        "interest_only_not_allowed",
                        f"a {product.method} row must repay principal: it has no interest",
                    )
                )
            continue
        if not principal.is_finite() or principal < ZERO:
            add(TermsError(field, "negative", "principal must be a positive amount"))
        elif principal > MAX_AMOUNT:
            add(TermsError(field, "too_large", f"principal must be at most {MAX_AMOUNT:,}"))
        else:
            if step is not None and principal != principal.quantize(step):
                add(TermsError(field, "too_precise", f"has more decimals than {product.currency}"))
            total += principal
    if rows and rows[-1].interest_only:
        add(TermsError(f"custom.{len(rows)}", "interest_only", "the last row must repay principal"))
    if rows and total != terms.amount and terms.amount.is_finite():
        add(
            TermsError(
                "custom",
                "principal_not_the_amount",
                f"principal sums to {total}, not the amount {terms.amount}",
            )
        )


def _check_fees(add: Add, product: Product) -> None:
    qard_hasan = product.method is _QARD_HASAN
    for fee in product.fees:
        value = fee.value
        upfront = fee.timing is _UPFRONT
        if not value.is_finite() or value < ZERO:
            add(TermsError(f"fees.{fee.name}", "negative", "must be zero or more"))
        elif value > MAX_AMOUNT:
            add(TermsError(f"fees.{fee.name}", "too_large", f"must be at most {MAX_AMOUNT:,}"))
        elif fee.is_percent and upfront and value >= HUNDRED_PERCENT:
            add(TermsError(f"fees.{fee.name}", "too_large", "must be less than 100% of the amount"))
        if qard_hasan and (fee.is_percent or not upfront):
            # A Qard Hasan service fee must not grow with the amount or the term.
            add(
                TermsError(
                    f"fees.{fee.name}",
                    "not_allowed",
                    "a qard-hasan service fee must be one fixed amount,"
                    " not a percentage or per installment",
                )
            )


__all__ = [
    "CompulsorySavings",
    "CustomInstallment",
    "EmiBasis",
    "Fee",
    "FeeTiming",
    "Grace",
    "InstallmentRounding",
    "InterestGraceStyle",
    "InvalidTerms",
    "LoanCash",
    "LoanTerms",
    "Method",
    "Product",
    "RebatePolicy",
    "SavingsTiming",
    "TermsError",
    "balloon",
    "custom_terms",
    "leaves_nothing",
    "loan_cash",
    "terms_problems",
    "validate_terms",
]
