"""Every write to the ledger: installing a chart of accounts, posting and reversing entries.

Entries are posted by the actions of the apps whose events they record (a disbursement, a
repayment), which have checked the officer's right; `post` checks what the ledger itself owns:
the accounts belong to the organisation and the entry balances in every currency.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from tandir.core.bulk import insert_records, reserve_ids
from tandir.core.errors import NotAllowed, TandirError
from tandir.core.money import money
from tandir.ledger.charts import TEMPLATES, Role
from tandir.ledger.models import Account, EntryKind, JournalEntry, JournalLine
from tandir.orgs.models import Organization, StaffUser
from tandir.orgs.roles import Right, has_right, is_platform_operator

ZERO = Decimal(0)


class Unbalanced(TandirError):
    code = "unbalanced_entry"


Target = Role | str | Account  # an account by its role, or the account itself


@dataclass(frozen=True)
class Line:
    """One side of an entry: an account debited or credited in a currency."""

    role: Target
    currency: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    @property
    def key(self) -> str:
        return f"#{self.role.pk}" if isinstance(self.role, Account) else str(self.role)


def debit(role: Target, amount: Decimal, currency: str) -> Line:
    return Line(role, currency, debit=amount)


def credit(role: Target, amount: Decimal, currency: str) -> Line:
    return Line(role, currency, credit=amount)


@transaction.atomic
def install_chart(
    administrator: StaffUser, organization: Organization, template: str = "both"
) -> list[Account]:
    """Create the template's accounts the organisation does not have yet (by code or role)."""
    if not has_right(administrator, Right.MANAGE_ORGANIZATION):
        raise NotAllowed(_("Your role does not allow this."))
    if not is_platform_operator(administrator) and administrator.organization_id != organization.pk:
        raise NotAllowed(_("This belongs to another organisation."))
    have = Account.objects.filter(organization=organization)
    codes = set(have.values_list("code", flat=True))
    roles = set(have.values_list("role", flat=True))
    new = [
        Account(organization=organization, code=t.code, name=t.name, type=t.type, role=t.role)
        for t in TEMPLATES[template]
        if t.code not in codes and t.role not in roles
    ]
    return Account.objects.bulk_create(new)


def _net(lines: Iterable[Line]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        totals[line.currency] += line.debit - line.credit
    return totals


def _merged(lines: Sequence[Line]) -> list[Line]:
    """Lines of one account and currency summed into one debit or credit; zero lines dropped."""
    net: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    targets: dict[str, Target] = {}
    order: list[tuple[str, str]] = []
    for line in lines:
        pair = (line.key, line.currency)
        if pair not in net:
            order.append(pair)
        targets[line.key] = line.role
        net[pair] += line.debit - line.credit
    merged = []
    for account_key, currency in order:
        amount = net[account_key, currency]
        if amount > ZERO:
            merged.append(Line(targets[account_key], currency, debit=amount))
        elif amount < ZERO:
            merged.append(Line(targets[account_key], currency, credit=-amount))
    return merged


def accounts_by_role(organization_id: int) -> dict[str, Account]:
    return {
        a.role: a for a in Account.objects.filter(organization_id=organization_id).exclude(role="")
    }


@dataclass(frozen=True)
class Entry:
    """An entry to post: its date, kind, lines and what it belongs to."""

    organization_id: int
    entry_date: datetime.date
    kind: EntryKind | str
    lines: Sequence[Line]
    branch_id: int | None = None
    loan_id: int | None = None
    memo: str = ""


def _checked(entry: Entry, accounts: dict[str, Account]) -> list[JournalLine]:
    """The entry's journal lines, once it is shown to balance in every currency with amounts in
    each currency's unit and accounts of its organisation; none when every line nets to zero."""
    for line in entry.lines:
        if line.debit < ZERO or line.credit < ZERO:
            raise Unbalanced(_("A journal line cannot be negative."))
        money(line.debit, line.currency)  # refuses amounts finer than the currency's unit
        money(line.credit, line.currency)
    unbalanced = {c: v for c, v in _net(entry.lines).items() if v != ZERO}
    if unbalanced:
        raise Unbalanced(
            _("Debits and credits differ: %(amounts)s.")
            % {"amounts": ", ".join(f"{v} {c}" for c, v in sorted(unbalanced.items()))}
        )
    merged = _merged(entry.lines)
    for line in merged:
        if isinstance(line.role, Account) and line.role.organization_id != entry.organization_id:
            raise NotAllowed(_("This account belongs to another organisation."))
    missing = sorted(
        {str(line.role) for line in merged if not isinstance(line.role, Account)} - set(accounts)
    )
    if missing:
        raise TandirError(
            _("The chart of accounts has no account for: %(roles)s.")
            % {"roles": ", ".join(missing)},
            code="account_missing",
        )
    return [
        JournalLine(
            organization_id=entry.organization_id,
            account=line.role if isinstance(line.role, Account) else accounts[str(line.role)],
            currency=line.currency,
            debit=line.debit,
            credit=line.credit,
            entry_date=entry.entry_date,
            branch_id=entry.branch_id,
        )
        for line in merged
    ]


def post(
    officer: StaffUser,
    *,
    organization_id: int,
    entry_date: datetime.date,
    kind: EntryKind | str,
    lines: Sequence[Line],
    branch_id: int | None = None,
    loan_id: int | None = None,
    memo: str = "",
    accounts: dict[str, Account] | None = None,
) -> JournalEntry | None:
    """Post one balanced entry; None when every line nets to zero (nothing happened).

    Lines of the same account are summed, so a rule may name an account twice.
    """
    entry = Entry(organization_id, entry_date, kind, lines, branch_id, loan_id, memo)
    return post_many(officer, [entry], accounts=accounts)[0]


def post_many(
    officer: StaffUser,
    entries: Sequence[Entry],
    *,
    accounts: dict[str, Account] | None = None,
) -> list[JournalEntry | None]:
    """Post many entries with two INSERTs, each checked as `post` checks one; the result has
    one item per entry given, None for an entry whose lines all net to zero.

    `accounts` (by role) serve entries of one organisation; without them each organisation's
    chart is read once.
    """
    charts: dict[int, dict[str, Account]] = {}
    checked: list[tuple[JournalEntry, list[JournalLine]] | None] = []
    for entry in entries:
        chart = accounts
        if chart is None:
            if entry.organization_id not in charts:
                charts[entry.organization_id] = accounts_by_role(entry.organization_id)
            chart = charts[entry.organization_id]
        lines = _checked(entry, chart)
        if not lines:
            checked.append(None)
            continue
        record = JournalEntry(
            organization_id=entry.organization_id,
            branch_id=entry.branch_id,
            entry_date=entry.entry_date,
            kind=entry.kind,
            memo=entry.memo[:300],
            loan_id=entry.loan_id,
            created_by=officer,
        )
        checked.append((record, lines))
    records = [pair[0] for pair in checked if pair is not None]
    journal_lines = []
    # Every check is done: the two INSERTs need no savepoint of their own.
    with transaction.atomic(savepoint=False):
        for record, pk in zip(records, reserve_ids(JournalEntry, len(records)), strict=False):
            record.pk = pk
        insert_records(JournalEntry, records)
        for pair in checked:
            if pair is not None:
                for line in pair[1]:
                    line.entry = pair[0]
                    journal_lines.append(line)
        insert_records(JournalLine, journal_lines)
    return [pair[0] if pair is not None else None for pair in checked]


@transaction.atomic
def reverse_entry(
    officer: StaffUser, entry: JournalEntry, *, entry_date: datetime.date, memo: str = ""
) -> JournalEntry:
    """A new entry with every line on the other side, pointing at the entry it reverses."""
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise TandirError(_("This entry is already reversed."), code="already_reversed")
    reversal = JournalEntry.objects.create(
        organization_id=entry.organization_id,
        branch_id=entry.branch_id,
        entry_date=entry_date,
        kind=EntryKind.REVERSAL,
        memo=(memo or _("Reverses entry %(id)s") % {"id": entry.pk})[:300],
        loan_id=entry.loan_id,
        reverses=entry,
        created_by=officer,
    )
    JournalLine.objects.bulk_create(
        JournalLine(
            organization_id=line.organization_id,
            entry=reversal,
            account_id=line.account_id,
            currency=line.currency,
            debit=line.credit,
            credit=line.debit,
            entry_date=entry_date,
            branch_id=line.branch_id,
        )
        for line in entry.lines.all()
    )
    return reversal
