"""Posting rules: the journal lines each lending event makes, by product.

A product's method chooses the receivable (loan portfolio, Qard Hasan or Murabaha receivable)
and the income (interest, Murabaha profit; none for Qard Hasan); its accounting basis decides
whether a charge is income when paid (cash) or when due (periodic accrual, with a receivable);
an Islamic product's late charge goes to the charity payable, save the share the product may
take as compensation of actual cost. Functions here only build lines; `tandir.lending.actions`
posts them through `tandir.ledger.actions.post`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tandir.engine import Component, Method, quantum
from tandir.ledger.actions import Line, credit, debit
from tandir.ledger.charts import Role
from tandir.ledger.models import Account
from tandir.lending.models import AccountingBasis, FundKind, Loan, ProductVersion, ProfitRecognition

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Rules:
    """The accounts one loan's events post to."""

    method: Method
    accrual: bool
    profit_as_due: bool
    penalty_income_percent: Decimal
    fund_account: Account | None
    revolving: bool

    @classmethod
    def of(cls, loan: Loan) -> Rules:
        version: ProductVersion = loan.product_version
        fund = loan.fund
        return cls(
            method=Method(version.method),
            accrual=version.accounting_basis == AccountingBasis.ACCRUAL,
            profit_as_due=version.profit_recognition == ProfitRecognition.AS_DUE,
            penalty_income_percent=version.penalty_income_percent,
            fund_account=fund.account if fund else None,
            revolving=bool(fund and fund.kind == FundKind.REVOLVING),
        )

    @property
    def receivable(self) -> Role:
        if self.method is Method.MURABAHA:
            return Role.MURABAHA_RECEIVABLE
        if self.method is Method.QARD_HASAN:
            return Role.QARD_RECEIVABLE
        return Role.LOAN_PORTFOLIO

    @property
    def islamic(self) -> bool:
        return self.method.is_islamic

    def cash_for_principal(self) -> Role | Account:
        """Principal repaid returns to a revolving fund; other money goes to the bank."""
        if self.revolving and self.fund_account is not None:
            return self.fund_account
        return Role.CASH_AT_BANK

    def penalty_split(self, amount: Decimal, currency: str) -> list[Line]:
        """Credit lines of a late charge: income for a conventional loan; for an Islamic one the
        charity payable, less the share the product may take as compensation."""
        if not self.islamic:
            return [credit(Role.PENALTY_INCOME, amount, currency)]
        share = (amount * self.penalty_income_percent / HUNDRED).quantize(
            quantum(currency), ROUND_HALF_UP
        )
        lines = [credit(Role.CHARITY_PAYABLE, amount - share, currency)]
        if share:
            lines.append(credit(Role.COMPENSATION_INCOME, share, currency))
        return lines


def disbursement_lines(
    rules: Rules,
    currency: str,
    *,
    amount: Decimal,
    charge_total: Decimal,
    received: Decimal,
    fees_deducted: Decimal,
    fees_paid_separately: Decimal,
    savings_withheld: Decimal,
) -> list[Line]:
    """The loan paid out: the receivable against the fund, fees and savings kept back.

    Murabaha: the receivable is the sale price (cost + markup) and the markup is deferred profit.
    """
    lines = [debit(rules.receivable, amount, currency)]
    if rules.method is Method.MURABAHA and charge_total:
        lines += [
            debit(Role.MURABAHA_RECEIVABLE, charge_total, currency),
            credit(Role.DEFERRED_PROFIT, charge_total, currency),
        ]
    source = rules.fund_account or Role.FUND_SOURCE
    lines.append(credit(source, received, currency))
    if fees_deducted:
        lines.append(credit(Role.FEE_INCOME, fees_deducted, currency))
    if fees_paid_separately:
        lines += [
            debit(Role.CASH_AT_BANK, fees_paid_separately, currency),
            credit(Role.FEE_INCOME, fees_paid_separately, currency),
        ]
    if savings_withheld:
        lines.append(credit(Role.CLIENT_SAVINGS, savings_withheld, currency))
    return lines


@dataclass(frozen=True)
class Paid:
    """What one application put on one installment's component."""

    number: int
    component: Component
    amount: Decimal
    recognised: bool  # the installment's charges were already recognised as due


def application_lines(
    rules: Rules,
    currency: str,
    paid: Iterable[Paid],
    *,
    cash: Decimal,
    from_credit: bool,
    credit_left: Decimal,
) -> list[Line]:
    """Money applied to a loan: the cash (or the held credit) against what it paid."""
    lines: list[Line] = []
    principal = ZERO
    for part in paid:
        if part.component is Component.PRINCIPAL:
            principal += part.amount
            lines.append(credit(rules.receivable, part.amount, currency))
        elif part.component is Component.CHARGE:
            lines += _charge_paid(rules, part, currency)
        elif part.component is Component.FEES:
            role = Role.FEE_RECEIVABLE if rules.accrual and part.recognised else Role.FEE_INCOME
            lines.append(credit(role, part.amount, currency))
        elif part.component is Component.SAVINGS:
            lines.append(credit(Role.CLIENT_SAVINGS, part.amount, currency))
        elif part.component is Component.PENALTY:
            if rules.accrual:
                lines.append(credit(Role.PENALTY_RECEIVABLE, part.amount, currency))
            else:
                lines += rules.penalty_split(part.amount, currency)
    if credit_left:
        lines.append(credit(Role.OVERPAYMENT, credit_left, currency))
    if from_credit:
        lines.append(debit(Role.OVERPAYMENT, cash, currency))
    else:
        to_fund = min(principal, cash)
        lines.append(debit(rules.cash_for_principal(), to_fund, currency))
        lines.append(debit(Role.CASH_AT_BANK, cash - to_fund, currency))
    return lines


def _charge_paid(rules: Rules, part: Paid, currency: str) -> list[Line]:
    if rules.method is Method.MURABAHA:
        # The sale price is the receivable; profit is released as paid or as due.
        lines = [credit(Role.MURABAHA_RECEIVABLE, part.amount, currency)]
        if not rules.profit_as_due:
            lines += [
                debit(Role.DEFERRED_PROFIT, part.amount, currency),
                credit(Role.PROFIT_INCOME, part.amount, currency),
            ]
        return lines
    if rules.accrual and part.recognised:
        return [credit(Role.INTEREST_RECEIVABLE, part.amount, currency)]
    return [credit(Role.INTEREST_INCOME, part.amount, currency)]


def recognition_lines(rules: Rules, currency: str, *, charge: Decimal, fees: Decimal) -> list[Line]:
    """Charges fallen due and not yet paid, recognised: accrual basis, or Murabaha profit."""
    lines: list[Line] = []
    if rules.method is Method.MURABAHA:
        if rules.profit_as_due and charge:
            lines += [
                debit(Role.DEFERRED_PROFIT, charge, currency),
                credit(Role.PROFIT_INCOME, charge, currency),
            ]
    elif rules.accrual and charge:
        lines += [
            debit(Role.INTEREST_RECEIVABLE, charge, currency),
            credit(Role.INTEREST_INCOME, charge, currency),
        ]
    if rules.accrual and fees:
        lines += [
            debit(Role.FEE_RECEIVABLE, fees, currency),
            credit(Role.FEE_INCOME, fees, currency),
        ]
    return lines


def penalty_lines(rules: Rules, currency: str, amount: Decimal) -> list[Line]:
    """A late charge: on the accrual basis a receivable now; on the cash basis nothing yet."""
    if not rules.accrual:
        return []
    return [
        debit(Role.PENALTY_RECEIVABLE, amount, currency),
        *rules.penalty_split(amount, currency),
    ]


def write_off_lines(
    rules: Rules,
    currency: str,
    *,
    principal: Decimal,
    charge_unpaid: Decimal,
    charge_recognised_unpaid: Decimal,
    fees_recognised_unpaid: Decimal,
    penalty_recognised_unpaid: Decimal,
) -> list[Line]:
    """The receivable written off; charges recognised but unpaid are taken back from income."""
    lines = [
        debit(Role.LOSSES_WRITTEN_OFF, principal, currency),
        credit(rules.receivable, principal, currency),
    ]
    if rules.method is Method.MURABAHA and charge_unpaid:
        # The unpaid markup leaves the receivable: what was not yet profit leaves the deferred
        # profit, what was released as profit is a loss.
        unreleased = charge_unpaid - charge_recognised_unpaid
        if unreleased:
            lines += [
                debit(Role.DEFERRED_PROFIT, unreleased, currency),
                credit(Role.MURABAHA_RECEIVABLE, unreleased, currency),
            ]
        if charge_recognised_unpaid:
            lines += [
                debit(Role.LOSSES_WRITTEN_OFF, charge_recognised_unpaid, currency),
                credit(Role.MURABAHA_RECEIVABLE, charge_recognised_unpaid, currency),
            ]
    elif rules.accrual and charge_recognised_unpaid:
        lines += [
            debit(Role.INTEREST_INCOME, charge_recognised_unpaid, currency),
            credit(Role.INTEREST_RECEIVABLE, charge_recognised_unpaid, currency),
        ]
    if rules.accrual and fees_recognised_unpaid:
        lines += [
            debit(Role.FEE_INCOME, fees_recognised_unpaid, currency),
            credit(Role.FEE_RECEIVABLE, fees_recognised_unpaid, currency),
        ]
    if rules.accrual and penalty_recognised_unpaid:
        reversed_split = [
            Line(line.role, line.currency, debit=line.credit)
            for line in rules.penalty_split(penalty_recognised_unpaid, currency)
        ]
        lines += [
            *reversed_split,
            credit(Role.PENALTY_RECEIVABLE, penalty_recognised_unpaid, currency),
        ]
    return lines


def recovery_lines(currency: str, amount: Decimal) -> list[Line]:
    return [
        debit(Role.CASH_AT_BANK, amount, currency),
        credit(Role.RECOVERY_INCOME, amount, currency),
    ]


def funding_lines(fund_account: Account, kind: str, currency: str, amount: Decimal) -> list[Line]:
    """Money received into a fund: from a donor (equity) or drawn on a bank's credit line."""
    source = Role.CREDIT_LINE if kind == FundKind.CREDIT_LINE else Role.DONOR_FUNDS
    return [debit(fund_account, amount, currency), credit(source, amount, currency)]
