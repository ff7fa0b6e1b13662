"""`tandir schedule`: print a repayment schedule with APR and EIR (contract: docs/schedule-cli.md).

Pure loan math: starts no Django. Bad arguments exit with status 2 and one line naming the
argument, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NoReturn, TextIO

from tandir.engine.calendar import DayCount, Frequency
from tandir.engine.disclosure import Disclosure, NoRateOfReturn, disclose
from tandir.engine.money import MINOR_UNITS, RoundingMode, minor_unit
from tandir.engine.products import (
    CompulsorySavings,
    CustomInstallment,
    EmiBasis,
    Fee,
    Grace,
    InstallmentRounding,
    InterestGraceStyle,
    InvalidTerms,
    LoanTerms,
    Method,
    Product,
    SavingsTiming,
    TermsError,
    custom_terms,
    validate_terms,
)
from tandir.engine.schedule import Schedule, build_schedule

PROG = "tandir schedule"
USAGE_STATUS = 2

# Which command-line argument each engine setting comes from, to name it in error messages.
ARGUMENT_OF_FIELD = {
    "amount": "--amount",
    "currency": "--currency",
    "installments": "--term",
    "first_due": "--first-due",
    "annual_rate_percent": "--rate",
    "markup_percent": "--markup",
    "day_count": "--day-count",
    "grace.principal": "--grace-principal",
    "grace.interest_payment": "--grace-interest",
    "grace.interest_free": "--grace-interest-free",
    "fees.upfront": "--upfront-fee",
    "fees.service": "--service-fee",
    "savings": "--savings",
    "round_to": "--round-to",
    "round_installment_to": "--round-installment-to",
    "installment_rounding": "--installment-rounding",
    "emi_adjust": "--emi-adjust",
    "emi_from": "--emi-from",
    "grace.interest_style": "--grace-interest-style",
    "custom": "--custom",
}


class UsageError(Exception):
    """A bad argument; the message already names it."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; the contract is one line.
        raise UsageError(message)


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _non_negative_whole(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, not {value}")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _amount_or_percent(text: str) -> tuple[Decimal, bool]:
    """'2%' → (2, True); '20' → (20, False)."""
    is_percent = text.endswith("%")
    value = _decimal(text[:-1] if is_percent else text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, not {text!r}")
    return value, is_percent


def _currency(text: str) -> str:
    code = text.upper()
    if code not in MINOR_UNITS:
        raise argparse.ArgumentTypeError(
            f"unknown currency {text!r} (known: {', '.join(sorted(MINOR_UNITS))})"
        )
    return code


def build_parser(term_required: bool = True) -> argparse.ArgumentParser:
    """The argument parser; `--term` is required unless a `--custom` file gives the rows."""
    parser = _Parser(
        prog=PROG,
        description="Print a repayment schedule with APR and EIR (MFTransparency method).",
    )
    add = parser.add_argument
    add("--amount", type=_decimal, required=True, help="amount financed (cost for murabaha)")
    add("--currency", type=_currency, required=True, help="ISO 4217 code, e.g. USD")
    add("--method", choices=[m.value for m in Method], required=True)
    add("--rate", type=_decimal, help="nominal annual interest rate in percent")
    add("--term", type=_whole, required=term_required, help="number of installments")
    add("--frequency", choices=[f.value for f in Frequency], default=Frequency.MONTHLY.value)
    add("--disbursed", type=_iso_date, required=True, help="disbursement date YYYY-MM-DD")
    add("--first-due", type=_iso_date, help="first due date (default: one period later)")
    add("--upfront-fee", type=_amount_or_percent, help="'2%%' of the amount or a fixed '20'")
    add("--savings", type=_amount_or_percent, help="compulsory savings withheld: '10%%' or '100'")
    add("--grace-principal", type=_non_negative_whole, default=0, help="interest-only installments")
    add(
        "--grace-interest",
        type=_non_negative_whole,
        default=0,
        help="installments with deferred interest",
    )
    add(
        "--grace-interest-free",
        type=_non_negative_whole,
        default=0,
        help="installments with no interest",
    )
    add(
        "--grace-interest-style",
        choices=[s.value for s in InterestGraceStyle],
        default=InterestGraceStyle.SPREAD.value,
        help="when deferred interest is paid: spread over the rest, next installment, or the"
        " ungraced EMI from the first period",
    )
    add("--day-count", choices=[d.value for d in DayCount], default=DayCount.PERIODIC.value)
    add(
        "--emi-from",
        choices=[e.value for e in EmiBasis],
        default=EmiBasis.NOMINAL.value,
        help="with --day-count: EMI from the nominal rate or from each period's day-count rate",
    )
    add("--round-to", type=_decimal, help="round each component to multiples of this, e.g. 10")
    add(
        "--round-installment-to",
        type=_decimal,
        help="round the whole installment to multiples of this (interest stays in the minor unit)",
    )
    add(
        "--installment-rounding",
        choices=[r.value for r in InstallmentRounding],
        default=InstallmentRounding.NEAREST.value,
        help="round the installment to the nearest step, or up (a ceiling)",
    )
    add(
        "--emi-adjust",
        action="store_true",
        help="try the EMI one step up and down; keep the one with the closest last installment",
    )
    add("--rounding", choices=[m.value for m in RoundingMode], default=RoundingMode.HALF_UP.value)
    add("--markup", type=_decimal, help="murabaha markup in percent of cost, whole contract")
    add("--service-fee", type=_decimal, help="qard-hasan one-time service fee (fixed amount)")
    add(
        "--custom",
        metavar="FILE.csv",
        help="the officer's own schedule: columns due_date,principal (or interest-only)",
    )
    add("--json", action="store_true", help="print JSON instead of a table")
    return parser


@dataclass(frozen=True)
class CustomFile:
    """The rows of a --custom file and the line each came from, to name it in errors."""

    rows: tuple[CustomInstallment, ...]
    lines: tuple[int, ...]


INTEREST_ONLY = "interest-only"


def read_custom(path: str) -> CustomFile:
    """Rows `due_date,principal` after a header line; every bad line is reported at once."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
    except OSError as error:
        raise UsageError(f"argument --custom: cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, csv.Error):
        raise UsageError(f"argument --custom: {path} is not a UTF-8 CSV file") from None
    numbered = [(n, [cell.strip() for cell in line]) for n, line in enumerate(lines, start=1)]
    numbered = [(n, cells) for n, cells in numbered if any(cells)]
    if not numbered or [cell.lower() for cell in numbered[0][1]] != ["due_date", "principal"]:
        raise UsageError(f"argument --custom: the first line of {path} must be due_date,principal")
    rows: list[CustomInstallment] = []
    row_lines: list[int] = []
    problems: list[str] = []
    for number, cells in numbered[1:]:
        if len(cells) != 2:
            problems.append(f"line {number}: expected 2 columns (due_date,principal)")
            continue
        try:
            due = date.fromisoformat(cells[0])
        except ValueError:
            problems.append(f"line {number}: not a date (YYYY-MM-DD): {cells[0]!r}")
            continue
        principal: Decimal | None = None
        if cells[1].lower() != INTEREST_ONLY:
            try:
                principal = _decimal(cells[1])
            except argparse.ArgumentTypeError:
                problems.append(
                    f"line {number}: principal must be an amount or {INTEREST_ONLY},"
                    f" not {cells[1]!r}"
                )
                continue
        rows.append(CustomInstallment(due, principal))
        row_lines.append(number)
    if problems:
        raise UsageError("argument --custom: " + "; ".join(problems))
    if not rows:
        raise UsageError(f"argument --custom: {path} has no installments")
    return CustomFile(tuple(rows), tuple(row_lines))


def _custom_conflicts(args: argparse.Namespace) -> list[str]:
    """Options that a custom schedule replaces: the file gives the dates and the principal."""
    given = {
        "--term": args.term is not None,
        "--first-due": args.first_due is not None,
        "--grace-principal": args.grace_principal != 0,
        "--grace-interest": args.grace_interest != 0,
        "--grace-interest-free": args.grace_interest_free != 0,
        "--round-installment-to": args.round_installment_to is not None,
        "--installment-rounding": args.installment_rounding != InstallmentRounding.NEAREST,
        "--emi-adjust": args.emi_adjust,
        "--emi-from": args.emi_from != EmiBasis.NOMINAL,
    }
    return [
        f"argument {option}: not with --custom: the file gives the installments"
        for option, present in given.items()
        if present
    ]


def _method_errors(args: argparse.Namespace) -> list[str]:
    """Argument combinations the engine cannot express, checked before building terms."""
    method = Method(args.method)
    errors = []
    if method.is_islamic and args.rate is not None:
        errors.append(
            f"argument --rate: not allowed with --method {method}: it carries no interest"
        )
    if not method.is_islamic and args.rate is None:
        errors.append(f"argument --rate: required with --method {method}")
    if method is Method.MURABAHA and args.markup is None:
        errors.append("argument --markup: required with --method murabaha")
    if method is not Method.MURABAHA and args.markup is not None:
        errors.append("argument --markup: only with --method murabaha")
    if method is Method.QARD_HASAN and args.upfront_fee is not None:
        errors.append("argument --upfront-fee: not with --method qard-hasan; use --service-fee")
    if method is not Method.QARD_HASAN and args.service_fee is not None:
        errors.append("argument --service-fee: only with --method qard-hasan; use --upfront-fee")
    if args.service_fee is not None and args.service_fee < 0:
        errors.append("argument --service-fee: must be zero or more")
    return errors


def terms_from_arguments(args: argparse.Namespace, custom: CustomFile | None = None) -> LoanTerms:
    method = Method(args.method)
    fees: list[Fee] = []
    if args.upfront_fee is not None:
        value, is_percent = args.upfront_fee
        fees.append(Fee("upfront", value, is_percent=is_percent))
    if args.service_fee is not None:
        fees.append(Fee("service", args.service_fee))
    savings = None
    if args.savings is not None:
        value, is_percent = args.savings
        savings = CompulsorySavings(value, is_percent, SavingsTiming.WITHHELD_AT_DISBURSEMENT)
    product = Product(
        method=method,
        currency=args.currency,
        frequency=Frequency(args.frequency),
        annual_rate_percent=args.rate if args.rate is not None else Decimal(0),
        markup_percent=args.markup if args.markup is not None else Decimal(0),
        day_count=DayCount(args.day_count),
        grace=Grace(
            principal=args.grace_principal,
            interest_payment=args.grace_interest,
            interest_free=args.grace_interest_free,
            interest_style=InterestGraceStyle(args.grace_interest_style),
        ),
        fees=tuple(fees),
        savings=savings,
        round_to=args.round_to,
        rounding_mode=RoundingMode(args.rounding),
        round_installment_to=args.round_installment_to,
        installment_rounding=InstallmentRounding(args.installment_rounding),
        emi_adjust=args.emi_adjust,
        emi_from=EmiBasis(args.emi_from),
        custom_schedule=custom is not None,
    )
    if custom is not None:
        return custom_terms(product, args.amount, args.disbursed, custom.rows)
    return LoanTerms(product, args.amount, args.term, args.disbursed, args.first_due)


def _describe(error: TermsError, custom: CustomFile | None = None) -> str:
    if error.field.startswith("custom.") and custom is not None:
        row = int(error.field.split(".", 1)[1])
        return f"argument --custom: line {custom.lines[row - 1]}: {error.message}"
    argument = ARGUMENT_OF_FIELD.get(error.field, error.field)
    return f"argument {argument}: {error.message}"


def main(argv: Sequence[str]) -> int:
    """Run `tandir schedule`; returns the exit status."""
    custom: CustomFile | None = None
    try:
        arguments = list(argv)
        with_custom = any(a == "--custom" or a.startswith("--custom=") for a in arguments)
        args = build_parser(term_required=not with_custom).parse_args(arguments)
        if args.custom is not None:
            conflicts = _custom_conflicts(args)
            if conflicts:
                raise UsageError("; ".join(conflicts))
            custom = read_custom(args.custom)
        terms = terms_from_arguments(args, custom)
        problems = _method_errors(args)
        named = {problem.split(":", 1)[0] for problem in problems}
        # One message per argument: the engine repeats what the method check already said.
        problems += [
            message
            for message in (_describe(error, custom) for error in validate_terms(terms))
            if message.split(":", 1)[0] not in named
        ]
        if problems:
            raise UsageError("; ".join(problems))
        schedule = build_schedule(terms)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return USAGE_STATUS
    except InvalidTerms as error:
        described = "; ".join(_describe(e, custom) for e in error.errors)
        print(f"{PROG}: error: {described}", file=sys.stderr)
        return USAGE_STATUS
    except SystemExit as exit_:
        # --help exits through argparse; keep its status instead of leaving the caller.
        return exit_.code if isinstance(exit_.code, int) else 0
    try:
        disclosure: Disclosure | None = disclose(schedule)
    except NoRateOfReturn:
        disclosure = None
    if args.json:
        json.dump(schedule_as_json(schedule, disclosure), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_table(schedule, disclosure, sys.stdout)
    return 0


def _text(value: Decimal, places: int) -> str:
    return str(value.quantize(Decimal(1).scaleb(-places)))


def schedule_as_json(schedule: Schedule, disclosure: Disclosure | None) -> dict[str, object]:
    """The --json document: amounts as decimal strings, dates as ISO dates."""
    places = minor_unit(schedule.currency)
    totals = schedule.totals()
    return {
        "currency": schedule.currency,
        "method": str(schedule.product.method),
        "frequency": str(schedule.product.frequency),
        "custom_schedule": schedule.terms.custom is not None,
        "amount_financed": _text(schedule.amount_financed, places),
        "amount_received": _text(schedule.amount_received, places),
        "upfront_fees": _text(schedule.upfront_fees, places),
        "savings_withheld": _text(schedule.savings_withheld, places),
        "savings_returned": _text(schedule.savings_returned, places),
        "installments": [
            {
                "number": row.number,
                "due_date": row.due_date.isoformat(),
                "principal": _text(row.principal, places),
                "charge": _text(row.charge, places),
                "fees": _text(row.fees, places),
                "total": _text(row.total, places),
                "balance": _text(row.balance, places),
            }
            for row in schedule.installments
        ],
        "totals": {
            "principal": _text(totals.principal, places),
            "charge": _text(totals.charge, places),
            "fees": _text(totals.fees, places),
            "total": _text(totals.total, places),
        },
        "total_cost_of_credit": _text(schedule.total_cost_of_credit(), places),
        "apr_percent": str(disclosure.apr_percent) if disclosure else None,
        "eir_percent": str(disclosure.eir_percent) if disclosure else None,
    }


_CHARGE_HEADING = {
    Method.FLAT: "Interest",
    Method.DECLINING: "Interest",
    Method.EQUAL_PRINCIPAL: "Interest",
    Method.QARD_HASAN: "Charge",
    Method.MURABAHA: "Profit",
}


def _installments_kind(schedule: Schedule) -> str:
    return "custom" if schedule.terms.custom is not None else str(schedule.product.frequency)


def print_table(schedule: Schedule, disclosure: Disclosure | None, out: TextIO) -> None:
    """The schedule as a table a credit officer can read, with totals, APR and EIR."""
    places = minor_unit(schedule.currency)

    def money(value: Decimal) -> str:
        return f"{value:,.{places}f}"

    product = schedule.product
    terms = schedule.terms
    if product.method is Method.MURABAHA:
        price = f"markup {product.markup_percent}% of cost"
    elif product.method is Method.QARD_HASAN:
        price = "no interest"
    else:
        price = f"{product.annual_rate_percent}% a year"
    out.write(
        f"{product.method} loan of {money(terms.amount)} {schedule.currency}, {price}, "
        f"{terms.installments} {_installments_kind(schedule)} installments, "
        f"disbursed {terms.disbursed.isoformat()}\n\n"
    )
    headings = (
        "No",
        "Due date",
        "Principal",
        _CHARGE_HEADING[product.method],
        "Fees",
        "Total",
        "Balance",
    )
    body = [
        (
            str(row.number),
            row.due_date.isoformat(),
            money(row.principal),
            money(row.charge),
            money(row.fees),
            money(row.total),
            money(row.balance),
        )
        for row in schedule.installments
    ]
    totals = schedule.totals()
    footer = (
        "",
        "Total",
        money(totals.principal),
        money(totals.charge),
        money(totals.fees),
        money(totals.total),
        "",
    )
    widths = [max(len(r[i]) for r in (headings, *body, footer)) for i in range(len(headings))]

    def line(cells: Sequence[str]) -> str:
        left = [cells[0].rjust(widths[0]), cells[1].ljust(widths[1])]
        right = [cell.rjust(width) for cell, width in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(left + right).rstrip() + "\n"

    out.write(line(headings))
    out.write(line(["-" * w for w in widths]))
    for row in body:
        out.write(line(row))
    out.write(line(["-" * w for w in widths]))
    out.write(line(footer))
    out.write("\n")
    out.write(f"Amount financed   {money(schedule.amount_financed)} {schedule.currency}\n")
    out.write(f"Amount received   {money(schedule.amount_received)} {schedule.currency}\n")
    if schedule.upfront_fees:
        out.write(f"Upfront fees      {money(schedule.upfront_fees)} {schedule.currency}\n")
    if schedule.savings_withheld:
        out.write(
            f"Savings withheld  {money(schedule.savings_withheld)} {schedule.currency}"
            f" (returned: {money(schedule.savings_returned)})\n"
        )
    out.write(f"Cost of credit    {money(schedule.total_cost_of_credit())} {schedule.currency}\n")
    if disclosure is None:
        out.write("APR n/a   EIR n/a\n")
    else:
        out.write(f"APR {disclosure.apr_percent}%   EIR {disclosure.eir_percent}%\n")
