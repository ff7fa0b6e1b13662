"""Bank statements: the repayments a partner bank received, imported from CSV or XLSX.

Columns `value_date, loan_ref, amount, bank_ref` (contract: docs/lending-cli.md). The whole file
is checked before anything is written, with the loans and the references already imported
looked up once per chunk of lines, not once per line. If any line is bad, every bad line is
reported (line, column, reason) and nothing is written; otherwise `actions.import_bank_statement`
records every new payment in one transaction, all or nothing, and keeps the statement for its
reconciliation page.

Each line's bank reference is the idempotency key of its repayment (`bank:<bank_ref>`): a line
whose bank reference was imported before, for the same loan, amount and date, is a *duplicate*
and posts nothing, so importing a statement twice (by the page or by `tandir import
repayments`) records each payment once. A line whose loan reference is unknown (or outside the
officer's branches, which reads the same) is *unmatched*: an error of the file, which is then
refused as a whole (docs/decisions.md, "Bank files").
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.core.errors import TandirError
from tandir.engine import quantum
from tandir.lending import actions
from tandir.lending.actions import bank_repayment_reference
from tandir.lending.models import BankStatement, LoanStatus, Repayment, RepaymentSource
from tandir.lending.queries import loans_in_scope
from tandir.lending.tables import BadFile, LineError, count_lines, read_lines, stopped_after
from tandir.orgs.roles import Right, has_right

__all__ = [
    "COLUMNS",
    "Outcome",
    "StatementLine",
    "StatementResult",
    "check_statement",
    "count_statement_lines",
    "import_statement",
]

COLUMNS = ("value_date", "loan_ref", "amount", "bank_ref")
CHUNK = 1000
# The repayment's reference holds "bank:" and the bank's reference in 120 characters.
MAX_BANK_REF = 120 - len(actions.BANK_REFERENCE_PREFIX)
# Loans a payment may still be recorded for (a written-off loan's is a recovery).
PAYABLE = {LoanStatus.ACTIVE, LoanStatus.OVERPAID, LoanStatus.WRITTEN_OFF}
# ISO dates only: `date.fromisoformat` would also take 20251115 and week dates, which a bank's
# export never means; a spreadsheet's date cell is read as an ISO date already.
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Digits and a decimal point: no thousands separators, exponents or underscores, which
# `Decimal()` would read and a bank's export never means.
AMOUNT = re.compile(r"\d+(\.\d+)?")

Progress = Callable[[int], None]


class Outcome(StrEnum):
    MATCHED = "matched"  # a loan of the officer's, a payment not recorded before
    UNMATCHED = "unmatched"  # no such loan (or not one the officer may reach)
    DUPLICATE = "duplicate"  # this bank reference was imported before: nothing to post


@dataclass
class StatementLine:
    line: int
    value_date: datetime.date | None
    loan_ref: str
    amount: Decimal | None
    bank_ref: str
    outcome: str = ""  # an Outcome, or "" for a line whose loan reference is missing
    loan_id: int | None = None
    currency: str = ""
    receipt_number: str = ""  # of the repayment the bank reference posted before
    problems: list[LineError] = field(default_factory=list)


@dataclass
class StatementResult:
    lines: list[StatementLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    stopped: bool = False
    statement: BankStatement | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def posted(self) -> int:
        return self.statement.matched if self.statement else 0

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def matched(self) -> int:
        return self.count(Outcome.MATCHED)

    @property
    def unmatched(self) -> int:
        return self.count(Outcome.UNMATCHED)

    @property
    def duplicates(self) -> int:
        return self.count(Outcome.DUPLICATE)


def count_statement_lines(path: Path) -> int | None:
    """How many lines the statement has, for a progress bar; None if it cannot be read."""
    return count_lines(path, COLUMNS)


def _read(number: int, values: dict[str, str], errors: list[LineError]) -> StatementLine:
    """One line's cells as values; what cannot be read is an error of its column."""

    def bad(column: str, reason: str) -> None:
        errors.append(LineError(number, column, reason))

    reported = {error.column for error in errors}  # a formula cell, say: said already
    day = None
    raw_day = values.get("value_date", "")
    if "value_date" in reported:
        pass
    elif not raw_day:
        bad("value_date", _("required"))
    else:
        try:
            day = datetime.date.fromisoformat(raw_day) if DATE.fullmatch(raw_day) else None
        except ValueError:
            day = None
        if day is None:
            bad("value_date", _("not a date (YYYY-MM-DD): %(value)s") % {"value": raw_day})
    loan_ref = values.get("loan_ref", "")
    if not loan_ref and "loan_ref" not in reported:
        bad("loan_ref", _("required"))
    amount = None
    raw_amount = values.get("amount", "")
    if "amount" in reported:
        pass
    elif not raw_amount:
        bad("amount", _("required"))
    elif not AMOUNT.fullmatch(raw_amount):
        bad("amount", _("not an amount (write 1234.56): %(value)s") % {"value": raw_amount})
    elif (amount := Decimal(raw_amount)) <= 0:
        bad("amount", _("must be a positive amount"))
    bank_ref = values.get("bank_ref", "")
    if "bank_ref" in reported:
        pass
    elif not bank_ref:
        bad("bank_ref", _("required"))
    elif len(bank_ref) > MAX_BANK_REF:
        bad("bank_ref", _("longer than %(limit)s characters") % {"limit": MAX_BANK_REF})
        bank_ref = ""
    return StatementLine(number, day, loan_ref, amount, bank_ref, problems=errors)


def _match(officer: Any, chunk: list[StatementLine], today: datetime.date) -> None:
    """The chunk's loans and earlier imports in two queries; each line's outcome and errors."""
    refs = {line.loan_ref for line in chunk if line.loan_ref}
    loans = {
        reference: (pk, status, currency, schedule_from)
        for reference, pk, status, currency, schedule_from in loans_in_scope(officer)
        .filter(reference__in=refs)
        .values_list("reference", "pk", "status", "currency", "schedule_from")
    }
    keys = [bank_repayment_reference(line.bank_ref) for line in chunk if line.bank_ref]
    earlier = {
        reference: (loan_id, amount, value_date, receipt)
        for reference, loan_id, amount, value_date, receipt in Repayment.objects.filter(
            organization_id=officer.organization_id, reference__in=keys
        ).values_list("reference", "loan_id", "amount", "value_date", "receipt_number")
    }
    for line in chunk:
        number = line.line

        def bad(column: str, reason: str, number: int = number, line: Any = line) -> None:
            line.problems.append(LineError(number, column, reason))

        found = loans.get(line.loan_ref)
        if found is None:
            if line.loan_ref:
                line.outcome = Outcome.UNMATCHED
                bad("loan_ref", _("no loan with the reference %(ref)s") % {"ref": line.loan_ref})
            continue
        pk, status, currency, schedule_from = found
        line.loan_id, line.currency = pk, currency
        if line.amount is not None and line.amount != line.amount.quantize(quantum(currency)):
            bad(
                "amount",
                _("has more decimals than %(currency)s allows") % {"currency": currency},
            )
        before = earlier.get(bank_repayment_reference(line.bank_ref)) if line.bank_ref else None
        if before is not None:
            loan_id, amount, value_date, receipt = before
            if (loan_id, amount, value_date) == (pk, line.amount, line.value_date):
                line.outcome = Outcome.DUPLICATE
                line.receipt_number = receipt
            else:
                bad(
                    "bank_ref",
                    _(
                        "the bank reference %(ref)s was imported before for another payment; "
                        "a bank reference is one payment"
                    )
                    % {"ref": line.bank_ref},
                )
            continue
        line.outcome = Outcome.MATCHED
        if line.value_date is not None:
            if line.value_date > today:
                bad("value_date", _("a repayment cannot be dated in the future"))
            elif schedule_from and line.value_date < schedule_from:
                bad(
                    "value_date",
                    _("before the loan's current schedule began (%(day)s)")
                    % {"day": schedule_from.isoformat()},
                )
        if status == LoanStatus.CLOSED:
            bad(
                "loan_ref",
                _("the loan %(ref)s is closed: nothing is owed") % {"ref": line.loan_ref},
            )
        elif status not in PAYABLE:
            bad("loan_ref", _("the loan %(ref)s is not disbursed") % {"ref": line.loan_ref})


def _column_order(error: LineError) -> int:
    return COLUMNS.index(error.column) if error.column in COLUMNS else len(COLUMNS)


def checking(officer: Any, path: Path, result: StatementResult) -> Iterator[int]:
    """Check the statement into `result`, nothing written; yields the lines done after each
    chunk, so that a page can show its progress as it goes.

    Stops after TANDIR_IMPORT_MAX_ERRORS problems, and says so in a last entry of the errors.
    """
    if not has_right(officer, Right.COLLECT):
        result.errors.append(LineError(0, "-", _("Your role does not allow recording payments.")))
        return
    if officer.organization_id is None:
        result.errors.append(
            LineError(0, "-", _("Statements are imported by staff of an organisation."))
        )
        return
    today = timezone.localdate()
    max_errors = settings.TANDIR_IMPORT_MAX_ERRORS
    seen: dict[str, int] = {}
    chunk: list[StatementLine] = []

    def flush() -> int:
        _match(officer, chunk, today)
        for line in chunk:
            line.problems.sort(key=_column_order)
            result.lines.append(line)
            result.errors.extend(line.problems)
        done = len(chunk)
        chunk.clear()
        return done

    try:
        table = read_lines(path, COLUMNS)
        missing = [c for c in COLUMNS if c not in table.header]
        if missing:
            result.errors.append(LineError(1, ", ".join(missing), _("required column missing")))
            return
        result.ignored_columns = [c for c in table.header if c and c not in COLUMNS]
        for file_line in table.lines:
            line = _read(file_line.number, file_line.values, list(file_line.problems))
            if line.bank_ref:
                first = seen.setdefault(line.bank_ref, line.line)
                if first != line.line:
                    line.problems.append(
                        LineError(
                            line.line,
                            "bank_ref",
                            _("the bank reference %(ref)s is also on line %(line)s")
                            % {"ref": line.bank_ref, "line": first},
                        )
                    )
            chunk.append(line)
            if len(chunk) >= CHUNK:
                yield flush()
                if len(result.errors) >= max_errors:
                    result.stopped = True
                    break
        if chunk:
            yield flush()
    except BadFile as problem:
        result.lines.clear()
        result.errors = [problem.as_error()]
        return
    if not result.lines and not result.errors:
        result.errors.append(LineError(0, "-", _("The statement has no payment lines.")))
    if len(result.errors) > max_errors:
        del result.errors[max_errors:]
        result.stopped = True
    if result.stopped:
        result.errors.append(stopped_after(max_errors))


def check_statement(officer: Any, path: Path, progress: Progress | None = None) -> StatementResult:
    """Every line checked, nothing written: each line's outcome, and every problem."""
    result = StatementResult()
    for done in checking(officer, path, result):
        if progress:
            progress(done)
    return result


def file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def post_statement(
    officer: Any,
    path: Path,
    result: StatementResult,
    *,
    file_name: str = "",
    source: str = RepaymentSource.BANK_FILE,
    posting: Progress | None = None,
) -> StatementResult:
    """Record a checked statement's new payments, or none; a refusal is its line's error."""
    if result.errors:
        return result
    payments = [
        actions.StatementPayment(
            line=line.line,
            loan_id=line.loan_id,
            value_date=line.value_date,
            amount=line.amount,
            currency=line.currency,
            bank_reference=line.bank_ref,
        )
        for line in result.lines
        if line.loan_id and line.value_date and line.amount
    ]
    try:
        result.statement = actions.import_bank_statement(
            officer,
            payments,
            file_name=file_name or path.name,
            sha256=file_digest(path),
            source=source,
            progress=posting,
        )
    except actions.StatementRefused as refused:
        result.errors.append(LineError(refused.line, "-", refused.message))
    except TandirError as refused:
        result.errors.append(LineError(0, "-", refused.message))
    return result


def import_statement(
    officer: Any,
    path: Path,
    *,
    file_name: str = "",
    source: str = RepaymentSource.BANK_FILE,
    progress: Progress | None = None,
    posting: Progress | None = None,
) -> StatementResult:
    """Check the whole statement, then record every new payment, or none."""
    result = check_statement(officer, path, progress)
    return post_statement(
        officer, path, result, file_name=file_name, source=source, posting=posting
    )
