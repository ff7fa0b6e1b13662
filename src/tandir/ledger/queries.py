"""Reads of the ledger: balances, the trial balance, and the check against the loan sub-ledger."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce

from tandir.core.money import summed
from tandir.ledger.charts import AccountType
from tandir.ledger.models import Account, JournalLine

ZERO = Decimal(0)


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    currency: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        """Debit minus credit: positive for assets and expenses in their normal state."""
        return self.debit - self.credit


def trial_balance(
    organization_id: int, as_of: datetime.date, *, branch_id: int | None = None
) -> list[TrialBalanceRow]:
    """Totals of every account and currency up to and including a date, in one query."""
    lines = JournalLine.objects.filter(organization_id=organization_id, entry_date__lte=as_of)
    if branch_id is not None:
        lines = lines.filter(branch_id=branch_id)
    totals = (
        lines.values("account_id", "currency")
        .annotate(debit=Coalesce(Sum("debit"), ZERO), credit=Coalesce(Sum("credit"), ZERO))
        .order_by()
    )
    accounts = {a.pk: a for a in Account.objects.filter(organization_id=organization_id)}
    rows = [
        TrialBalanceRow(
            accounts[t["account_id"]],
            t["currency"],
            summed(t["debit"], t["currency"]),
            summed(t["credit"], t["currency"]),
        )
        for t in totals
    ]
    return sorted(rows, key=lambda r: (r.account.code, r.currency))


def balance(
    organization_id: int, role: str, currency: str, as_of: datetime.date | None = None
) -> Decimal:
    """The balance of the account with a role, in its normal direction (assets: debit − credit)."""
    lines = JournalLine.objects.filter(
        organization_id=organization_id, account__role=role, currency=currency
    )
    if as_of is not None:
        lines = lines.filter(entry_date__lte=as_of)
    totals = lines.aggregate(
        debit=Coalesce(Sum("debit"), ZERO), credit=Coalesce(Sum("credit"), ZERO)
    )
    account = Account.objects.filter(organization_id=organization_id, role=role).first()
    net = summed(totals["debit"] - totals["credit"], currency)
    if account is not None and not AccountType(account.type).debit_normal:
        net = -net
    return net


def unbalanced_entries(organization_id: int | None = None) -> list[int]:
    """Ids of entries whose debits and credits differ in some currency (there should be none)."""
    lines = JournalLine.objects.all()
    if organization_id is not None:
        lines = lines.filter(organization_id=organization_id)
    rows = (
        lines.values("entry_id", "currency")
        .annotate(debit=Coalesce(Sum("debit"), ZERO), credit=Coalesce(Sum("credit"), ZERO))
        .order_by()
    )
    return sorted(
        {
            r["entry_id"]
            for r in rows
            if summed(r["debit"], r["currency"]) != summed(r["credit"], r["currency"])
        }
    )


@dataclass(frozen=True)
class LedgerLine:
    account_code: str
    account_name: str
    currency: str
    debit: Decimal
    credit: Decimal


@dataclass
class LedgerEntry:
    pk: int
    entry_date: datetime.date
    kind: str
    lines: list[LedgerLine]


def entries_of_loan(loan_id: int) -> list[LedgerEntry]:
    """A loan's journal entries with their lines, read as plain values in one query: a loan
    with hundreds of payments builds no model rows for its page."""
    rows = (
        JournalLine.objects.filter(entry__loan_id=loan_id)
        .values_list(
            "entry_id", "entry_date", "entry__kind", "account__code", "account__name",
            "currency", "debit", "credit",
        )
        .order_by("entry_date", "entry_id", "id")
    )  # fmt: skip
    entries: list[LedgerEntry] = []
    for entry_id, day, kind, code, name, currency, debit, credit in rows:
        if not entries or entries[-1].pk != entry_id:
            entries.append(LedgerEntry(entry_id, day, kind, []))
        entries[-1].lines.append(LedgerLine(code, name, currency, debit, credit))
    return entries


def account_balance(account: Account, currency: str, as_of: datetime.date | None = None) -> Decimal:
    """Debit minus credit of one account in one currency."""
    lines = JournalLine.objects.filter(account=account, currency=currency)
    if as_of is not None:
        lines = lines.filter(entry_date__lte=as_of)
    totals = lines.aggregate(
        debit=Coalesce(Sum("debit"), ZERO), credit=Coalesce(Sum("credit"), ZERO)
    )
    return summed(totals["debit"] - totals["credit"], currency)
