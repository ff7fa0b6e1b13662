"""Charts of accounts an organisation starts from: conventional and Islamic.

Each account has a role that posting rules name (`loan_portfolio`, `interest_income`, ...), so
an organisation may renumber or rename its accounts without touching a rule. Islamic accounts
carry no interest: profit, markup and service-fee income have accounts of their own, and late
charges go to a charity payable, never to income.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_noop


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        """Assets and expenses grow with debits; the others with credits."""
        return self in (AccountType.ASSET, AccountType.EXPENSE)


class Role(StrEnum):
    """What an account is for, as the posting rules name it."""

    CASH_AT_BANK = "cash_at_bank"
    FUND_SOURCE = "fund_source"
    DONOR_FUNDS = "donor_funds"
    CREDIT_LINE = "credit_line"
    SUSPENSE = "suspense"
    LOAN_PORTFOLIO = "loan_portfolio"
    INTEREST_RECEIVABLE = "interest_receivable"
    FEE_RECEIVABLE = "fee_receivable"
    PENALTY_RECEIVABLE = "penalty_receivable"
    INTEREST_INCOME = "interest_income"
    FEE_INCOME = "fee_income"
    PENALTY_INCOME = "penalty_income"
    LOSSES_WRITTEN_OFF = "losses_written_off"
    RECOVERY_INCOME = "recovery_income"
    OVERPAYMENT = "overpayment"
    CLIENT_SAVINGS = "client_savings"
    QARD_RECEIVABLE = "qard_receivable"
    MURABAHA_RECEIVABLE = "murabaha_receivable"
    DEFERRED_PROFIT = "deferred_profit"
    PROFIT_INCOME = "profit_income"
    CHARITY_PAYABLE = "charity_payable"
    COMPENSATION_INCOME = "compensation_income"


@dataclass(frozen=True)
class AccountTemplate:
    code: str
    name: str
    type: AccountType
    role: Role


_A, _L, _E, _I, _X = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.INCOME,
    AccountType.EXPENSE,
)

# Accounts both kinds of lending use.
COMMON = (
    AccountTemplate("1010", gettext_noop("Cash at bank"), _A, Role.CASH_AT_BANK),
    AccountTemplate("1020", gettext_noop("Loan fund"), _A, Role.FUND_SOURCE),
    AccountTemplate("1090", gettext_noop("Suspense"), _A, Role.SUSPENSE),
    AccountTemplate("1200", gettext_noop("Fee receivable"), _A, Role.FEE_RECEIVABLE),
    AccountTemplate("1220", gettext_noop("Late charges receivable"), _A, Role.PENALTY_RECEIVABLE),
    AccountTemplate("2010", gettext_noop("Overpayments held for clients"), _L, Role.OVERPAYMENT),
    AccountTemplate("2020", gettext_noop("Clients' compulsory savings"), _L, Role.CLIENT_SAVINGS),
    AccountTemplate("2100", gettext_noop("Credit lines from partner banks"), _L, Role.CREDIT_LINE),
    AccountTemplate("3010", gettext_noop("Donor funds"), _E, Role.DONOR_FUNDS),
    AccountTemplate("4200", gettext_noop("Fee income"), _I, Role.FEE_INCOME),
    AccountTemplate(
        "4900", gettext_noop("Recoveries of loans written off"), _I, Role.RECOVERY_INCOME
    ),
    AccountTemplate("5100", gettext_noop("Loans written off"), _X, Role.LOSSES_WRITTEN_OFF),
)

CONVENTIONAL = (
    AccountTemplate("1100", gettext_noop("Loan portfolio"), _A, Role.LOAN_PORTFOLIO),
    AccountTemplate("1210", gettext_noop("Interest receivable"), _A, Role.INTEREST_RECEIVABLE),
    AccountTemplate("4100", gettext_noop("Interest income"), _I, Role.INTEREST_INCOME),
    AccountTemplate("4300", gettext_noop("Penalty income"), _I, Role.PENALTY_INCOME),
)

ISLAMIC = (
    AccountTemplate("1150", gettext_noop("Qard Hasan receivable"), _A, Role.QARD_RECEIVABLE),
    AccountTemplate("1160", gettext_noop("Murabaha receivable"), _A, Role.MURABAHA_RECEIVABLE),
    AccountTemplate("2160", gettext_noop("Deferred Murabaha profit"), _L, Role.DEFERRED_PROFIT),
    AccountTemplate(
        "2300", gettext_noop("Charity payable (late charges)"), _L, Role.CHARITY_PAYABLE
    ),
    AccountTemplate("4150", gettext_noop("Murabaha profit income"), _I, Role.PROFIT_INCOME),
    AccountTemplate(
        "4350",
        gettext_noop("Compensation of actual cost of late payment"),
        _I,
        Role.COMPENSATION_INCOME,
    ),
)

TEMPLATES: dict[str, tuple[AccountTemplate, ...]] = {
    "conventional": COMMON + CONVENTIONAL,
    "islamic": COMMON + ISLAMIC,
    "both": COMMON + CONVENTIONAL + ISLAMIC,
}
