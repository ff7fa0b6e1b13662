"""Checking a loan portfolio brought from spreadsheets or another system (`tandir import loans`).

Reads only: the whole file is read and every line checked — its own cells, against the file
(a loan reference twice) and against the database (the reference taken, the person, the branch,
the officer), in a few queries for the whole file — before anything is written. The result is
either every bad line (line, column, reason) or the loans ready to write, each with the schedule
`tandir schedule` prints for the same values. `tandir.lending.actions.import_portfolio` writes
them, set-based, in one transaction.

An imported loan keeps its conventions (method, currency, day count, rounding, fees, savings,
allocation) in a product of its own that is not offered for new loans: one per set of
conventions, shared by the imports that use it (docs/decisions.md, "Portfolio import").
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.engine import (
    MINOR_UNITS,
    DayCount,
    Frequency,
    LoanTerms,
    Method,
    RoundingMode,
    Schedule,
    build_schedule,
    loan_cash,
    validate_terms,
)
from tandir.engine.products import LoanCash
from tandir.ledger.actions import Line, credit, debit
from tandir.ledger.charts import Role
from tandir.ledger.models import Account
from tandir.lending.models import Loan, ProductVersion, Sector
from tandir.lending.tables import BadFile, LineError, read_lines, stopped_after
from tandir.lending.terms import engine_product
from tandir.orgs.access import scope
from tandir.orgs.models import Branch, StaffUser
from tandir.orgs.roles import Right, has_right
from tandir.registry.identity import NotAPhone, normalise_id_number, parse_phone
from tandir.registry.models import Consent

COLUMNS = [
    "loan_ref",
    "beneficiary",
    "branch",
    "officer",
    "method",
    "amount",
    "currency",
    "rate",
    "markup",
    "service_fee",
    "term",
    "frequency",
    "disbursed_on",
    "first_due",
    "grace_principal",
    "grace_interest",
    "day_count",
    "round_to",
    "rounding",
    "upfront_fee",
    "savings",
    "allocation",
    "sector",
    "purpose",
]
REQUIRED_COLUMNS = {
    "loan_ref",
    "beneficiary",
    "branch",
    "method",
    "amount",
    "currency",
    "term",
    "disbursed_on",
}
# The file's names for the engine's allocation strategies.
ALLOCATIONS = {
    "default": "penalties-fees-charge-principal",
    "rbi": "overdue-charges-then-principal",
    "principal-first": "principal-first",
}
# Where the engine's name of a setting is the file's column.
COLUMN_OF_FIELD = {
    "amount": "amount",
    "currency": "currency",
    "installments": "term",
    "first_due": "first_due",
    "annual_rate_percent": "rate",
    "markup_percent": "markup",
    "day_count": "day_count",
    "grace.principal": "grace_principal",
    "grace.interest_payment": "grace_interest",
    "fees.upfront": "upfront_fee",
    "fees.service": "service_fee",
    "savings": "savings",
    "round_to": "round_to",
}
CHUNK = 2000
SECTORS = tuple(Sector.values)
# The cells' choices, listed once: building them from the enums for every line cost a tenth of
# the check.
METHODS = tuple(m.value for m in Method)
FREQUENCIES = tuple(f.value for f in Frequency)
DAY_COUNTS = tuple(d.value for d in DayCount)
ROUNDINGS = tuple(r.value for r in RoundingMode)
REQUIRED_IN_ORDER = tuple(sorted(REQUIRED_COLUMNS))
MAX_REFERENCE = Loan._meta.get_field("reference").max_length or 40
MAX_PURPOSE = Loan._meta.get_field("purpose").max_length or 300
# Rates are stored with three decimals, as products keep them.
RATE_STEP = Decimal("0.001")
MAX_RATE = Decimal(1000)
MAX_TERM = 32767  # a schedule's installment numbers are small integers in the database

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Conventions:
    """What an imported loan's product version holds: the schedule rules the line chose."""

    method: str
    currency: str
    day_count: str
    round_to: Decimal | None
    rounding: str
    upfront_fee: tuple[Decimal, bool] | None  # value, is a percentage
    savings: tuple[Decimal, bool] | None
    service_fee: Decimal | None
    allocation: str

    @property
    def code(self) -> str:
        """A stable product code for these conventions, so later imports share the product."""
        digest = hashlib.sha256(repr(self).encode()).hexdigest()[:12]
        return f"import-{digest}"

    def fees(self) -> list[dict[str, object]]:
        # Fee names and shapes as `tandir schedule` builds them (upfront, then service).
        fees: list[dict[str, object]] = []
        if self.upfront_fee is not None:
            value, is_percent = self.upfront_fee
            fees.append({"name": "upfront", "value": str(value), "is_percent": is_percent})
        if self.service_fee is not None:
            fees.append({"name": "service", "value": str(self.service_fee), "is_percent": False})
        return fees

    def savings_rule(self) -> dict[str, object] | None:
        if self.savings is None:
            return None
        value, is_percent = self.savings
        return {"value": str(value), "is_percent": is_percent, "timing": "withheld"}

    def version(self) -> ProductVersion:
        """An unsaved product version with these conventions and limits no imported loan
        exceeds: the loans were approved elsewhere, under their own rules."""
        return ProductVersion(
            method=self.method,
            currency=self.currency,
            frequencies=[f.value for f in Frequency],
            rate_min=Decimal(0),
            rate_max=MAX_RATE,
            amount_min=Decimal(0),
            amount_max=Decimal(10) ** 15,
            term_min=1,
            term_max=MAX_TERM,
            grace_principal_max=MAX_TERM,
            grace_interest_max=MAX_TERM,
            day_count=self.day_count,
            fees=self.fees(),
            savings=self.savings_rule(),
            round_to=self.round_to,
            rounding_mode=self.rounding,
            allocation=self.allocation,
        )


@dataclass
class CheckedLoan:
    """One good line, ready to write."""

    line: int
    reference: str
    beneficiary_id: int
    branch_id: int
    officer_id: int | None
    conventions: Conventions
    amount: Decimal
    currency: str
    rate: Decimal  # the nominal rate, or the Murabaha markup; zero for Qard Hasan
    term: int
    frequency: str
    disbursed_on: datetime.date
    first_due: datetime.date | None
    grace_principal: int
    grace_interest: int
    sector: str
    purpose: str
    schedule: Schedule
    cash: LoanCash


@dataclass
class PortfolioCheck:
    lines: int = 0
    errors: list[LineError] = field(default_factory=list)
    loans: list[CheckedLoan] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    stopped: bool = False  # more than TANDIR_IMPORT_MAX_ERRORS problems: the list was cut
    imported: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Line:
    """A line's cells parsed; the database checks fill in the rest."""

    number: int
    values: dict[str, str]
    reference: str = ""
    beneficiary_keys: tuple[str, ...] = ()  # phone (E.164) and ID forms the cell may be
    loan: CheckedLoan | None = None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(" ", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


class _Cells:
    """A line's cells read one by one, every problem kept with its column."""

    def __init__(self, number: int, values: dict[str, str], errors: list[LineError]) -> None:
        self.number = number
        self.values = values
        self.errors = errors

    def bad(self, column: str, reason: str) -> None:
        self.errors.append(LineError(self.number, column, reason))

    def text(self, column: str) -> str:
        return self.values.get(column, "")

    def number_of(self, column: str) -> Decimal | None:
        text = self.text(column)
        if not text:
            return None
        value = _decimal(text)
        if value is None:
            self.bad(column, _("not a number: %(value)s") % {"value": text})
        return value

    def whole(self, column: str, default: int) -> int | None:
        text = self.text(column)
        if not text:
            return default
        value = _decimal(text)
        if value is None or value != value.to_integral_value():
            self.bad(column, _("not a whole number: %(value)s") % {"value": text})
            return None
        if value < 0 or value > MAX_TERM:
            self.bad(column, _("must be between 0 and %(max)s") % {"max": MAX_TERM})
            return None
        return int(value)

    def day(self, column: str) -> datetime.date | None:
        text = self.text(column)
        if not text:
            return None
        value = _date(text)
        if value is None:
            self.bad(column, _("not a date (YYYY-MM-DD): %(value)s") % {"value": text})
        return value

    def choice(self, column: str, known: Collection[str], default: str) -> str | None:
        text = self.text(column).lower()
        if not text:
            return default
        if text not in known:
            self.bad(
                column,
                _("%(value)s is not one of: %(choices)s")
                % {"value": self.text(column), "choices": ", ".join(known)},
            )
            return None
        return text

    def amount_or_percent(self, column: str) -> tuple[Decimal, bool] | None:
        """'2%' of the amount or a fixed '20', as `tandir schedule` reads them."""
        text = self.text(column)
        if not text:
            return None
        is_percent = text.endswith("%")
        value = _decimal(text[:-1] if is_percent else text)
        if value is None or value < 0:
            self.bad(
                column,
                _("must be a percentage such as 2%% or an amount such as 20, not %(value)s")
                % {"value": text},
            )
            return None
        return value, is_percent


def _method_rate(cells: _Cells, method: Method) -> Decimal | None:
    """The loan's rate column: the nominal rate, the Murabaha markup, or zero (Qard Hasan);
    the same combinations `tandir schedule` refuses are refused here."""
    before = len(cells.errors)
    rate = cells.number_of("rate")
    markup = cells.number_of("markup")
    if method.is_islamic and cells.text("rate"):
        cells.bad(
            "rate",
            _("not with the method %(method)s: it carries no interest") % {"method": method.value},
        )
    if not method.is_islamic and not cells.text("rate"):
        cells.bad("rate", _("required with the method %(method)s") % {"method": method.value})
    if method is Method.MURABAHA and not cells.text("markup"):
        cells.bad("markup", _("required with the method murabaha"))
    if method is not Method.MURABAHA and cells.text("markup"):
        cells.bad("markup", _("only with the method murabaha"))
    if method is Method.QARD_HASAN and cells.text("upfront_fee"):
        cells.bad("upfront_fee", _("not with the method qard-hasan; use service_fee"))
    if method is not Method.QARD_HASAN and cells.text("service_fee"):
        cells.bad("service_fee", _("only with the method qard-hasan; use upfront_fee"))
    if len(cells.errors) > before:
        return None
    if method is Method.QARD_HASAN:
        return Decimal(0)
    value = markup if method is Method.MURABAHA else rate
    assert value is not None
    if value.quantize(RATE_STEP) != value:
        cells.bad("markup" if method is Method.MURABAHA else "rate", _("at most three decimals"))
        return None
    return value


def _parse(line: _Line, errors: list[LineError], today: datetime.date) -> None:
    """Every cell of the line on its own; the schedule if they make one."""
    cells = _Cells(line.number, line.values, errors)
    before = len(errors)
    for column in REQUIRED_IN_ORDER:
        if not cells.text(column):
            cells.bad(column, _("required"))
    line.reference = cells.text("loan_ref")
    if len(line.reference) > MAX_REFERENCE:
        cells.bad("loan_ref", _("longer than %(max)s characters") % {"max": MAX_REFERENCE})
    method_text = cells.choice("method", METHODS, "")
    currency = cells.text("currency").upper()
    if currency and currency not in MINOR_UNITS:
        cells.bad("currency", _("unknown currency %(code)s") % {"code": cells.text("currency")})
    amount = cells.number_of("amount")
    if amount is not None and amount <= 0:
        cells.bad("amount", _("must be a positive amount"))
    elif (
        amount is not None
        and currency in MINOR_UNITS
        and amount != amount.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency]))
    ):
        cells.bad(
            "amount", _("has more decimals than %(currency)s allows") % {"currency": currency}
        )
    term = cells.whole("term", 0)
    if term == 0 and cells.text("term"):
        cells.bad("term", _("must be at least 1"))
    frequency = cells.choice("frequency", FREQUENCIES, Frequency.MONTHLY.value)
    disbursed = cells.day("disbursed_on")
    if disbursed and disbursed > today:
        cells.bad("disbursed_on", _("in the future"))
    first_due = cells.day("first_due")
    grace_principal = cells.whole("grace_principal", 0)
    grace_interest = cells.whole("grace_interest", 0)
    day_count = cells.choice("day_count", DAY_COUNTS, DayCount.PERIODIC.value)
    round_to = cells.number_of("round_to")
    rounding = cells.choice("rounding", ROUNDINGS, RoundingMode.HALF_UP.value)
    upfront = cells.amount_or_percent("upfront_fee")
    savings = cells.amount_or_percent("savings")
    service_fee = cells.number_of("service_fee")
    if service_fee is not None and service_fee < 0:
        cells.bad("service_fee", _("must be zero or more"))
    allocation = cells.choice("allocation", ALLOCATIONS, "default")
    sector = cells.choice("sector", SECTORS, Sector.OTHER.value)
    purpose = cells.text("purpose")
    if len(purpose) > MAX_PURPOSE:
        cells.bad("purpose", _("longer than %(max)s characters") % {"max": MAX_PURPOSE})
    rate = _method_rate(cells, Method(method_text)) if method_text else None
    if len(errors) > before:
        return
    assert method_text and amount is not None and term is not None and disbursed is not None
    assert frequency and day_count and rounding and allocation and sector and rate is not None
    assert grace_principal is not None and grace_interest is not None
    conventions = Conventions(
        method=method_text,
        currency=currency,
        day_count=day_count,
        round_to=round_to,
        rounding=rounding,
        upfront_fee=upfront,
        savings=savings,
        service_fee=service_fee,
        allocation=ALLOCATIONS[allocation],
    )
    terms = loan_terms_of(
        conventions,
        amount=amount,
        rate=rate,
        term=term,
        frequency=frequency,
        disbursed_on=disbursed,
        first_due=first_due,
        grace_principal=grace_principal,
        grace_interest=grace_interest,
    )
    problems = validate_terms(terms)
    if problems:
        for problem in problems:
            column = COLUMN_OF_FIELD.get(problem.field, problem.field.split(".")[0])
            cells.bad(column if column in COLUMNS else "-", problem.message)
        return
    try:
        schedule = build_schedule(terms)
    except ValueError as error:  # the engine's InvalidTerms, or a date beyond the calendar
        cells.bad("term", str(error))
        return
    line.loan = CheckedLoan(
        line=line.number,
        reference=line.reference,
        beneficiary_id=0,
        branch_id=0,
        officer_id=None,
        conventions=conventions,
        amount=amount,
        currency=currency,
        rate=rate,
        term=term,
        frequency=frequency,
        disbursed_on=disbursed,
        first_due=first_due,
        grace_principal=grace_principal,
        grace_interest=grace_interest,
        sector=sector,
        purpose=purpose,
        schedule=schedule,
        cash=loan_cash(terms),
    )


# Unsaved product versions and the engine's products made of them, by value: a portfolio
# has few distinct sets of terms, and the engine's values are immutable.
_VERSIONS: dict[Conventions, ProductVersion] = {}
_PRODUCTS: dict[tuple[Any, ...], Any] = {}


def loan_terms_of(
    conventions: Conventions,
    *,
    amount: Decimal,
    rate: Decimal,
    term: int,
    frequency: str,
    disbursed_on: datetime.date,
    first_due: datetime.date | None,
    grace_principal: int,
    grace_interest: int,
) -> LoanTerms:
    """The engine's terms of an imported loan, through the product version it will have, so
    that the schedule written is the one the stored loan rebuilds (`terms.loan_terms`)."""
    key = (conventions, rate, frequency, grace_principal, grace_interest)
    product = _PRODUCTS.get(key)
    if product is None:
        version = _VERSIONS.get(conventions)
        if version is None:
            version = _VERSIONS.setdefault(conventions, conventions.version())
        product = engine_product(
            version,
            rate=rate,
            frequency=frequency,
            grace_principal=grace_principal,
            grace_interest=grace_interest,
        )
        if len(_PRODUCTS) > 10_000:  # a bound on what a long-running process keeps
            _PRODUCTS.clear()
        _PRODUCTS[key] = product
    return LoanTerms(product, amount, term, disbursed_on, first_due=first_due)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _beneficiary_keys(text: str, region: str | None) -> tuple[str, ...]:
    """The forms a cell may take in the registry: a phone in E.164, an ID number as each kind
    of document normalises it."""
    keys: list[str] = []
    try:
        phone = parse_phone(text, region)
    except NotAPhone:
        phone = ""
    if phone:
        keys.append(phone)
    for document in ("national_id", "other"):
        number = normalise_id_number(text, document)
        if number and number not in keys:
            keys.append(number)
    return tuple(keys)


def _match_people(officer: StaffUser, lines: list[_Line], errors: list[LineError]) -> None:
    """Each line's person, by phone or ID number as registered, within the officer's scope;
    a cell that fits two people is refused rather than guessed."""
    from tandir.registry.queries import beneficiaries_in_scope

    keys = sorted({key for line in lines for key in line.beneficiary_keys})
    by_key: dict[str, set[int]] = {}
    consenting: set[int] = set()
    for chunk in _chunks(keys):
        found = (
            beneficiaries_in_scope(officer)
            .filter(Q(phone__in=chunk) | Q(national_id__in=chunk), merged_into=None)
            .values_list("pk", "phone", "national_id", "id_document")
        )
        for pk, phone, national_id, document in found:
            if phone in chunk:
                by_key.setdefault(phone, set()).add(pk)
            if national_id in chunk:
                by_key.setdefault(f"{document}:{national_id}", set()).add(pk)
    people = sorted({pk for ids in by_key.values() for pk in ids})
    for chunk in _chunks(people):
        consenting.update(
            Consent.objects.filter(
                beneficiary_id__in=chunk, withdrawn_on=None, programme_use=True
            ).values_list("beneficiary_id", flat=True)
        )
    for line in lines:
        text = line.values.get("beneficiary", "")
        if not text:
            continue
        matches: set[int] = set()
        if line.beneficiary_keys and line.beneficiary_keys[0].startswith("+"):
            matches |= by_key.get(line.beneficiary_keys[0], set())
        # National ID cards, passports and refugee documents ignore the same noise.
        card, other = normalise_id_number(text), normalise_id_number(text, "other")
        for document, number in (
            ("national_id", card),
            ("passport", card),
            ("refugee_id", card),
            ("other", other),
        ):
            if number:
                matches |= by_key.get(f"{document}:{number}", set())
        if not matches:
            errors.append(
                LineError(
                    line.number,
                    "beneficiary",
                    _("no participant with this national ID or phone in your branches"),
                )
            )
        elif len(matches) > 1:
            errors.append(
                LineError(
                    line.number,
                    "beneficiary",
                    _("fits several participants (records %(ids)s); give the other number")
                    % {"ids": ", ".join(str(pk) for pk in sorted(matches))},
                )
            )
        else:
            (person,) = matches
            if person not in consenting:
                errors.append(
                    LineError(
                        line.number,
                        "beneficiary",
                        _("the person's consent to use in the programme is not in force"),
                    )
                )
            if line.loan is not None:
                line.loan.beneficiary_id = person


def _check_references(organization_id: int, lines: list[_Line], errors: list[LineError]) -> None:
    seen: dict[str, int] = {}
    for line in lines:
        if not line.reference:
            continue
        if line.reference in seen:
            errors.append(
                LineError(
                    line.number,
                    "loan_ref",
                    _("same as line %(line)s") % {"line": seen[line.reference]},
                )
            )
        else:
            seen[line.reference] = line.number
    taken: set[str] = set()
    for chunk in _chunks(sorted(seen)):
        taken.update(
            Loan.objects.filter(organization_id=organization_id, reference__in=chunk).values_list(
                "reference", flat=True
            )
        )
    for line in lines:
        if line.reference in taken and seen.get(line.reference) == line.number:
            errors.append(
                LineError(
                    line.number,
                    "loan_ref",
                    _("the organisation already has a loan %(ref)s") % {"ref": line.reference},
                )
            )


def _check_staff(officer: StaffUser, lines: list[_Line], errors: list[LineError]) -> None:
    """Branches in the officer's scope, loan officers of the organisation, by code and name."""
    org = officer.organization_id
    assert org is not None  # check_portfolio refuses staff of no organisation
    branches = {
        b.code.lower(): b
        for b in scope(officer, Branch.objects.filter(organization_id=org), branch_field="pk")
    }
    names = sorted({line.values["officer"] for line in lines if line.values.get("officer")})
    staff: dict[str, int] = {}
    for chunk in _chunks(names):
        staff.update(
            StaffUser.objects.filter(
                organization_id=org, is_active=True, username__in=chunk
            ).values_list("username", "pk")
        )
    for line in lines:
        code = line.values.get("branch", "")
        branch = branches.get(code.lower())
        if code and branch is None:
            errors.append(
                LineError(
                    line.number,
                    "branch",
                    _("no branch %(code)s among your branches") % {"code": code},
                )
            )
        name = line.values.get("officer", "")
        if name and name not in staff:
            errors.append(
                LineError(
                    line.number,
                    "officer",
                    _("no active staff member %(name)s in the organisation") % {"name": name},
                )
            )
        if line.loan is not None and branch is not None:
            line.loan.branch_id = branch.pk
            line.loan.officer_id = staff.get(name) if name else None


def receivable_role(method: str) -> Role:
    if method == Method.MURABAHA:
        return Role.MURABAHA_RECEIVABLE
    if method == Method.QARD_HASAN:
        return Role.QARD_RECEIVABLE
    return Role.LOAN_PORTFOLIO


def opening_lines(loan: CheckedLoan) -> list[Line]:
    """The opening entry of an imported loan: the receivable (for Murabaha the sale price, its
    markup deferred profit) and the savings the client has withheld, against suspense.

    The money went out through the old books, and the fees of the disbursement were income
    there; suspense holds the difference until the accountant brings the old trial balance.
    """
    currency = loan.currency
    schedule = loan.schedule
    method = loan.conventions.method
    markup = schedule.totals().charge if method == Method.MURABAHA else Decimal(0)
    savings = loan.cash.savings_withheld
    lines = [
        debit(receivable_role(method), schedule.amount_financed + markup, currency),
        credit(Role.DEFERRED_PROFIT, markup, currency),
        credit(Role.CLIENT_SAVINGS, savings, currency),
        credit(Role.SUSPENSE, schedule.amount_financed - savings, currency),
    ]
    return [line for line in lines if line.debit or line.credit]


def _check_accounts(
    organization_id: int, loans: list[CheckedLoan], errors: list[LineError]
) -> None:
    needed: set[str] = set()
    for loan in loans:
        needed.add(receivable_role(loan.conventions.method))
        if loan.conventions.method == Method.MURABAHA:
            needed.add(Role.DEFERRED_PROFIT)
        if loan.cash.savings_withheld:
            needed.add(Role.CLIENT_SAVINGS)
    if loans:
        needed.add(Role.SUSPENSE)
    have = set(
        Account.objects.filter(organization_id=organization_id, role__in=needed).values_list(
            "role", flat=True
        )
    )
    missing = sorted(needed - have)
    if missing:
        errors.append(
            LineError(
                0,
                "-",
                _("The chart of accounts has no account for: %(roles)s.")
                % {"roles": ", ".join(missing)},
            )
        )


def check_portfolio(
    officer: StaffUser,
    path: Path,
    *,
    today: datetime.date | None = None,
    progress: Progress | None = None,
) -> PortfolioCheck:
    """Read and check the whole file; every problem, or the loans ready to write."""
    result = PortfolioCheck()
    if not has_right(officer, Right.IMPORT_LOANS) or officer.organization_id is None:
        result.errors.append(LineError(0, "-", _("Your role does not allow importing loans.")))
        return result
    today = today or timezone.localdate()
    max_errors = settings.TANDIR_IMPORT_MAX_ERRORS
    country = getattr(officer.organization, "country", None)
    region = country.code if country else None
    lines: list[_Line] = []
    try:
        table = read_lines(path, COLUMNS)
        missing = sorted(REQUIRED_COLUMNS - set(table.header))
        if missing:
            result.errors.append(LineError(1, ", ".join(missing), _("required column missing")))
            return result
        result.ignored_columns = [c for c in table.header if c and c not in COLUMNS]
        for file_line in table.lines:
            result.lines += 1
            result.errors.extend(file_line.problems)
            line = _Line(file_line.number, file_line.values)
            if not file_line.problems:
                _parse(line, result.errors, today)
            line.beneficiary_keys = _beneficiary_keys(line.values.get("beneficiary", ""), region)
            lines.append(line)
            if progress:
                progress(1)
            if len(result.errors) >= max_errors:
                result.stopped = True
                break
    except BadFile as problem:
        result.errors.append(problem.as_error())
        return result
    if not result.stopped:
        _check_references(officer.organization_id, lines, result.errors)
        _check_staff(officer, lines, result.errors)
        _match_people(officer, lines, result.errors)
        loans = [line.loan for line in lines if line.loan is not None]
        _check_accounts(officer.organization_id, loans, result.errors)
    if not result.errors and not lines:
        result.errors.append(LineError(0, "-", _("The file has no loans.")))
    result.errors.sort(
        key=lambda e: (e.line, COLUMNS.index(e.column) if e.column in COLUMNS else 99)
    )
    if len(result.errors) > max_errors:
        del result.errors[max_errors:]
        result.stopped = True
    if result.stopped:
        result.errors.append(stopped_after(max_errors))
    if not result.errors:
        result.loans = [line.loan for line in lines if line.loan is not None]
    return result
