"""Loan documents as PDF, in the client's language: the agreement, the schedule, the client's
statement, a repayment's receipt, and a meeting's collection sheet to print before it.

Each document is a template under `lending/pdf/`, rendered in the chosen language (gettext and
Babel's formats through `tandir.core.formatting`, right to left for Urdu) and laid out by
WeasyPrint with the Noto fonts that Debian's fonts-noto-core installs. The price the client is
told comes from the loan engine: `disclose()` of the schedule the loan was offered or disbursed
with. Everything here reads, except the access log of protected people that every view of a
person's record writes, as the registry does.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import DecimalField, F, Q, QuerySet, Sum, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tandir.core import formatting
from tandir.core.audit import Channel
from tandir.core.errors import TandirError
from tandir.engine import (
    Disclosure,
    InstallmentDue,
    Method,
    NoRateOfReturn,
    RepaymentState,
    Schedule,
    build_schedule,
    days_past_due,
    disclose,
    loan_cash,
    overdue_amount,
)
from tandir.lending.models import (
    Application,
    Attendance,
    CollectionLine,
    CollectionSheet,
    Component,
    GroupMembership,
    Installment,
    Loan,
    LoanEvent,
    PenaltyKind,
    Repayment,
)
from tandir.lending.queries import LIVE, loans_in_scope
from tandir.lending.terms import loan_terms, product_of
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right
from tandir.registry.models import Beneficiary, IdDocument
from tandir.registry.queries import beneficiaries_in_scope, log_protected_views

ZERO = Decimal(0)
HUNDRED = Decimal(100)
LANGUAGES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)
# What a member owes at a meeting is the sum of these, in the order a repayment pays them.
COMPONENTS = (
    Component.PRINCIPAL,
    Component.CHARGE,
    Component.FEES,
    Component.SAVINGS,
    Component.PENALTY,
)


class UnknownLanguage(TandirError):
    """A document was asked for in a language Tandir does not print."""

    code = "unknown_language"


def document_language(
    requested: str | None, fallback: str | None, beneficiary: Beneficiary | None = None
) -> str:
    """The language to print in: `?lang=` if given, else the client's preferred language if the
    registry keeps one, else the request's, else the site's default.

    An unknown `?lang=` is refused rather than ignored, so nobody prints a client's agreement in
    a language they did not choose without noticing.
    """
    if requested:
        code = requested.strip().lower()
        if code not in LANGUAGES:
            raise UnknownLanguage(
                _("Documents are printed in %(languages)s; “%(code)s” is not one of them.")
                % {"languages": ", ".join(LANGUAGES), "code": requested[:10]}
            )
        return code
    # The registry keeps no preferred language of a person yet; the day it does, it is used.
    preferred = str(getattr(beneficiary, "preferred_language", "") or "")
    if preferred in LANGUAGES:
        return preferred
    base = (fallback or "").split("-")[0].lower()
    return base if base in LANGUAGES else settings.LANGUAGE_CODE


# --- Formatting -------------------------------------------------------------------------------


def _money(amount: Decimal | None, currency: str) -> str:
    # Documents show every minor unit: a schedule's figures must add up on paper.
    return formatting.money(amount, currency, exact=True)


def _percent(value: Decimal) -> str:
    """A percentage with two decimals, the way the reader's language writes it (41.70%,
    %41,70, 41,70 %)."""
    locale = formatting.current_locale()
    pattern = copy(locale.percent_formats[None])
    pattern.frac_prec = (2, 2)
    return str(pattern.apply(value / HUNDRED, locale))


def _date(value: datetime.date | None) -> str:
    return formatting.date(value, "long")


def _person_id(user: Any, person: Beneficiary) -> str:
    """The identity document as printed: a refugee document's kind would disclose a protected
    category, so it is named only to roles that may see protected categories."""
    if not person.national_id:
        return ""
    if person.id_document == IdDocument.REFUGEE_ID and not has_right(user, Right.SEE_PROTECTED):
        return person.national_id
    return f"{person.get_id_document_display()} {person.national_id}"


def _place(person: Beneficiary) -> str:
    district = person.district
    parts = [person.locality.name if person.locality else "", district.name]
    return ", ".join(p for p in parts if p)


# --- Rendering --------------------------------------------------------------------------------


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # A document embeds nothing from outside: whatever a name or a note contains, WeasyPrint
    # fetches no URL (no file of the server, no request to another machine).
    raise ValueError(f"documents load no external resources ({url[:40]})")


def write_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported on first use: it loads Pango, which takes a while

    pdf: bytes = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    return pdf


def _render(template: str, context: dict[str, Any]) -> str:
    """The HTML of a document in the active language, with its direction."""
    return render_to_string(
        f"lending/pdf/{template}",
        {
            **context,
            "language": translation.get_language(),
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
            "printed_on": _date(timezone.localdate()),
        },
    )


# --- Price and schedule -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleLine:
    number: int
    due_date: str
    principal: str
    charge: str
    fees: str
    savings: str
    total: str
    balance: str
    paid: str = ""


@dataclass(frozen=True)
class ScheduleTable:
    lines: list[ScheduleLine]
    totals: ScheduleLine
    has_charge: bool
    has_fees: bool
    has_savings: bool
    has_paid: bool
    charge_label: str


def charge_label(method: Method) -> str:
    if method is Method.MURABAHA:
        return _("Profit (markup)")
    return _("Interest")


def offered_schedule(loan: Loan) -> Schedule:
    """The schedule the client was offered (before disbursement) or disbursed with; after a
    rescheduling, the one the outstanding principal was rescheduled into (without the overdue
    charges carried into its first installment, which are arrears, not price)."""
    if loan.renegotiated and loan.schedule_from:
        rescheduled = copy(loan)
        rescheduled.amount = (
            Installment.objects.filter(loan=loan, version=loan.schedule_version).aggregate(
                total=Sum("principal")
            )["total"]
            or loan.amount
        )
        return build_schedule(loan_terms(rescheduled, disbursed=loan.schedule_from))
    return build_schedule(loan_terms(loan))


def _table_from_schedule(schedule: Schedule, method: Method) -> ScheduleTable:
    currency = schedule.currency
    lines = [
        ScheduleLine(
            number=row.number,
            due_date=_date(row.due_date),
            principal=_money(row.principal, currency),
            charge=_money(row.charge, currency),
            fees=_money(row.fees, currency),
            savings=_money(row.savings, currency),
            total=_money(row.total, currency),
            balance=_money(row.balance, currency),
        )
        for row in schedule.installments
    ]
    totals = schedule.totals()
    return ScheduleTable(
        lines=lines,
        totals=ScheduleLine(
            number=0,
            due_date="",
            principal=_money(totals.principal, currency),
            charge=_money(totals.charge, currency),
            fees=_money(totals.fees, currency),
            savings=_money(totals.savings, currency),
            total=_money(totals.total, currency),
            balance="",
        ),
        has_charge=method is not Method.QARD_HASAN,
        has_fees=totals.fees != ZERO,
        has_savings=totals.savings != ZERO,
        has_paid=False,
        charge_label=charge_label(method),
    )


def _table_from_rows(loan: Loan, rows: Sequence[Installment]) -> ScheduleTable:
    """The stored schedule with what has been paid of each installment."""
    currency = loan.currency
    balance = sum((row.principal for row in rows), ZERO)
    lines = []
    sums = dict.fromkeys(("principal", "charge", "fees", "savings", "total", "paid"), ZERO)
    for row in rows:
        balance -= row.principal
        lines.append(
            ScheduleLine(
                number=row.number,
                due_date=_date(row.due_date),
                principal=_money(row.principal, currency),
                charge=_money(row.charge, currency),
                fees=_money(row.fees, currency),
                savings=_money(row.savings, currency),
                total=_money(row.total, currency),
                balance=_money(balance, currency),
                paid=_money(row.paid, currency),
            )
        )
        for name in ("principal", "charge", "fees", "savings", "total", "paid"):
            sums[name] += getattr(row, name)
    return ScheduleTable(
        lines=lines,
        totals=ScheduleLine(
            number=0,
            due_date="",
            balance="",
            **{name: _money(value, currency) for name, value in sums.items()},
        ),
        has_charge=loan.method is not Method.QARD_HASAN,
        has_fees=sums["fees"] != ZERO,
        has_savings=sums["savings"] != ZERO,
        has_paid=True,
        charge_label=charge_label(loan.method),
    )


@dataclass(frozen=True)
class FeeLine:
    name: str
    amount: str
    when: str


@dataclass(frozen=True)
class Price:
    """What the client is told the loan costs, formatted for the document's language."""

    method: str
    amount: str
    received: str
    installments: int
    regular_installment: str
    first_due: str
    last_due: str
    total_repaid: str
    total_cost: str
    apr: str
    eir: str
    rate: str
    # Murabaha: the cost of the goods, the markup on it and the sale price (cost + markup).
    markup: str
    markup_rate: str
    sale_price: str
    fees: list[FeeLine]
    savings_withheld: str
    savings_each: str
    savings_returned: str
    penalty: str
    rebate: str


def _penalty_text(loan: Loan) -> str:
    version = loan.product_version
    if version.penalty_kind == PenaltyKind.NONE:
        return _("No charge is made for late payment.")
    if version.penalty_kind == PenaltyKind.FIXED:
        charge = _("%(amount)s for each installment overdue") % {
            "amount": _money(version.penalty_value, loan.currency)
        }
    else:
        charge = _("%(percent)s of the amount overdue") % {
            "percent": _percent(version.penalty_value)
        }
    if version.penalty_after_days:
        charge = _("%(charge)s, once it is more than %(days)s days late") % {
            "charge": charge,
            "days": formatting.number(version.penalty_after_days),
        }
    if version.is_islamic:
        return _(
            "A late charge of %(charge)s applies. It is never income of the lender: it is given "
            "to charity."
        ) % {"charge": charge}
    return _("A late charge of %(charge)s applies.") % {"charge": charge}


def price_of(loan: Loan, schedule: Schedule) -> Price:
    """The price of a loan by the engine's disclosure (MFTransparency's APR and EIR)."""
    currency = loan.currency
    method = loan.method
    try:
        disclosure: Disclosure | None = disclose(schedule)
    except NoRateOfReturn:
        disclosure = None
    cash = loan_cash(schedule.terms)
    totals = schedule.totals()
    rows = schedule.installments
    version = loan.product_version
    fee_timings = {
        "upfront": _("at disbursement"),
        "per-installment": _("with each installment"),
    }
    fees = [
        FeeLine(
            name=str(fee.get("name") or _("Fee")),
            amount=(
                _percent(Decimal(str(fee.get("value", "0"))))
                if fee.get("is_percent")
                else _money(Decimal(str(fee.get("value", "0"))), currency)
            ),
            when=fee_timings.get(str(fee.get("timing", "upfront")), ""),
        )
        for fee in version.fees or []
    ]
    rebate = (
        _("Paying early, %(percent)s of the charge not yet earned is waived.")
        % {"percent": _percent(version.rebate_percent)}
        if version.rebate_percent
        else ""
    )
    return Price(
        method=method.value,
        amount=_money(schedule.amount_financed, currency),
        received=_money(schedule.amount_received, currency),
        installments=len(rows),
        # The installment most rows have: a grace period's first rows are not the rule.
        regular_installment=_money(
            Counter(row.total for row in rows).most_common(1)[0][0] if rows else ZERO, currency
        ),
        first_due=_date(rows[0].due_date) if rows else "",
        last_due=_date(rows[-1].due_date) if rows else "",
        total_repaid=_money(totals.total, currency),
        total_cost=_money(schedule.total_cost_of_credit(), currency),
        apr=_percent(disclosure.apr_percent) if disclosure else "—",
        eir=_percent(disclosure.eir_percent) if disclosure else "—",
        rate=_percent(loan.rate),
        markup=_money(totals.charge, currency),
        markup_rate=_percent(loan.rate),
        sale_price=_money(schedule.amount_financed + totals.charge, currency),
        fees=fees,
        savings_withheld=_money(cash.savings_withheld, currency) if cash.savings_withheld else "",
        savings_each=_money(cash.savings_each, currency) if cash.savings_each else "",
        savings_returned=_money(cash.savings_returned, currency) if cash.savings_returned else "",
        penalty=_penalty_text(loan),
        rebate=rebate,
    )


def _current_rows(loan: Loan) -> list[Installment]:
    if not loan.schedule_version:
        return []
    return list(
        Installment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number")
    )


def _loan_facts(user: Any, loan: Loan) -> dict[str, Any]:
    """What every document of a loan says about the lender, the client and the loan."""
    person = loan.beneficiary
    return {
        "loan": loan,
        "organization": loan.organization.name,
        "branch": loan.branch.name,
        "client": person.full_name,
        "client_id": _person_id(user, person),
        "client_phone": person.phone,
        "client_place": _place(person),
        "product": loan.product_version.product.name,
        "status": loan.get_status_display(),
        "officer": (loan.officer.get_full_name() or loan.officer.username) if loan.officer else "",
        "method": loan.method.value,
        "is_murabaha": loan.method is Method.MURABAHA,
        "is_qard": loan.method is Method.QARD_HASAN,
        "is_islamic": loan.method.is_islamic,
        "disbursed_on": _date(loan.disbursed_on),
        "submitted_on": _date(loan.submitted_on),
        "frequency": _frequency(loan.frequency),
    }


def _frequency(value: str) -> str:
    names = {
        "weekly": _("every week"),
        "biweekly": _("every two weeks"),
        "fourweekly": _("every four weeks"),
        "monthly": _("every month"),
        "quarterly": _("every three months"),
    }
    return names.get(value, value)


def _loan_for_document(loan: Loan) -> Loan:
    """The loan with what its documents read beside it, in one query."""
    return Loan.objects.select_related(
        "organization",
        "branch",
        "officer",
        "product_version__product",
        "beneficiary__district",
        "beneficiary__locality",
        "bank_branch__bank",
        "group",
    ).get(pk=loan.pk)


def _log_view(user: Any, people: Iterable[Beneficiary], channel: Channel) -> None:
    people = list(people)
    if people and has_right(user, Right.SEE_PROTECTED):
        prefetch_related_objects(people, "target_groups")
        log_protected_views(user, people, channel)


# --- The documents ----------------------------------------------------------------------------


def agreement_html(user: Any, loan: Loan, language: str, *, channel: Channel = "web") -> str:
    """The loan agreement: parties, terms, the disclosed price, fees, late charges, the
    schedule as its annex and the signatures."""
    loan = _loan_for_document(loan)
    _log_view(user, [loan.beneficiary], channel)
    with translation.override(language):
        schedule = offered_schedule(loan)
        context = _loan_facts(user, loan)
        guarantors = list(loan.guarantors.order_by("pk").values_list("name", flat=True))
        context.update(
            price=price_of(loan, schedule),
            table=_table_from_schedule(schedule, loan.method),
            purpose=loan.purpose,
            sector=loan.get_sector_display(),
            bank_branch=str(loan.bank_branch) if loan.bank_branch else "",
            group=loan.group.name if loan.group else "",
            guarantors=guarantors,
            rescheduled_on=_date(loan.schedule_from) if loan.renegotiated else "",
        )
        return _render("agreement.html", context)


def schedule_html(user: Any, loan: Loan, language: str, *, channel: Channel = "web") -> str:
    """The repayment schedule: the stored one with what is paid once disbursed, else the one
    offered."""
    loan = _loan_for_document(loan)
    _log_view(user, [loan.beneficiary], channel)
    with translation.override(language):
        rows = _current_rows(loan)
        context = _loan_facts(user, loan)
        if rows:
            table = _table_from_rows(loan, rows)
        else:
            table = _table_from_schedule(offered_schedule(loan), loan.method)
        context.update(table=table, amount=_money(loan.amount, loan.currency))
        return _render("schedule.html", context)


@dataclass(frozen=True)
class StatementLine:
    date: str
    text: str
    reference: str
    amount: str
    parts: list[str]
    balance: str
    reversed: bool = False


def _split(applications: Iterable[Application]) -> dict[str, Decimal]:
    """What an allocation paid of each component, and what it left as credit."""
    split: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for application in applications:
        for line in application.lines.all():
            split[line.component] += line.amount
        split["credit"] += application.credit
    return split


def _state(loan: Loan, rows: Sequence[Installment]) -> RepaymentState:
    """What is left unpaid of each installment, as the engine's state (for days past due)."""
    return RepaymentState(
        tuple(
            InstallmentDue(
                row.number,
                row.due_date,
                row.principal - row.principal_paid,
                row.charge - row.charge_paid,
                row.fees - row.fees_paid,
                row.savings - row.savings_paid,
                row.penalty - row.penalty_paid,
                row.penalty_charged_on,
            )
            for row in rows
        ),
        loan.credit_held,
        product_of(loan),
    )


def _split_labels(method: Method) -> dict[str, str]:
    return {
        Component.PRINCIPAL.value: _("Principal"),
        Component.CHARGE.value: charge_label(method),
        Component.FEES.value: _("Fees"),
        Component.SAVINGS.value: _("Savings"),
        Component.PENALTY.value: _("Late charge"),
        "credit": _("Credit held"),
    }


@dataclass(frozen=True)
class _Movement:
    day: datetime.date
    order: int  # the disbursement before a payment of the same day
    text: str
    reference: str
    amount: Decimal | None
    split: dict[str, Decimal]
    principal_change: Decimal
    reversed: bool = False


def _movements(loan: Loan) -> list[_Movement]:
    """The loan's money movements in date order: disbursement, repayments (reversed ones too,
    with no split), credit applied, rescheduling, write-off and refund. Four queries."""
    applications = list(
        Application.objects.filter(loan=loan, is_active=True)
        .prefetch_related("lines")
        .order_by("applied_on", "pk")
    )
    by_repayment: dict[int | None, list[Application]] = defaultdict(list)
    for application in applications:
        by_repayment[application.repayment_id].append(application)
    texts = {
        "disburse": _("Disbursement"),
        "reschedule": _("Rescheduled"),
        "write_off": _("Written off"),
        "refund": _("Credit refunded"),
        "undo_disbursal": _("Disbursement undone"),
    }
    moves = []
    # What each event does to the principal balance the statement carries.
    principal_moves = {
        "disburse": loan.amount,
        "undo_disbursal": -loan.amount,
        "write_off": -loan.written_off_principal,
    }
    for event in LoanEvent.objects.filter(loan=loan, action__in=list(texts)).order_by("at", "pk"):
        moves.append(
            _Movement(
                day=event.on,
                order=0,
                text=texts[event.action],
                reference=event.reason if event.action in ("disburse", "refund") else "",
                amount=loan.amount if event.action == "disburse" else None,
                split={},
                principal_change=principal_moves.get(event.action, ZERO),
            )
        )
    for repayment in loan.repayments.order_by("value_date", "pk"):
        split = _split(by_repayment.get(repayment.pk, []))
        text = _("Repayment")
        if repayment.reversed_at is not None:
            text = _("Repayment, reversed: %(reason)s") % {"reason": repayment.reversal_reason}
        elif repayment.is_recovery:
            text = _("Recovery after write-off")
        moves.append(
            _Movement(
                day=repayment.value_date,
                order=1,
                text=text,
                reference=repayment.receipt_number or repayment.reference,
                amount=repayment.amount,
                split=split,
                principal_change=-split.get(Component.PRINCIPAL.value, ZERO),
                reversed=repayment.reversed_at is not None,
            )
        )
    for application in by_repayment.get(None, []):
        split = _split([application])
        moves.append(
            _Movement(
                day=application.applied_on,
                order=2,
                text=_("Credit held applied"),
                reference="",
                amount=application.amount,
                split=split,
                principal_change=-split.get(Component.PRINCIPAL.value, ZERO),
            )
        )
    return sorted(moves, key=lambda move: (move.day, move.order))


def statement_html(
    user: Any,
    loan: Loan,
    language: str,
    *,
    as_of: datetime.date | None = None,
    channel: Channel = "web",
) -> str:
    """The client's statement: every money movement of the loan with the split of each
    repayment and the principal balance after it, then the balance today (outstanding,
    overdue, days past due, credit held).

    A fixed number of queries whatever the number of repayments.
    """
    loan = _loan_for_document(loan)
    _log_view(user, [loan.beneficiary], channel)
    day = as_of or timezone.localdate()
    currency = loan.currency
    with translation.override(language):
        rows = _current_rows(loan)
        moves = _movements(loan)
        labels = _split_labels(loan.method)
        # A column for each component some movement paid; principal always.
        columns = [
            name
            for name in labels
            if name == Component.PRINCIPAL.value or any(move.split.get(name) for move in moves)
        ]
        balance = ZERO
        lines = []
        for move in moves:
            balance += move.principal_change
            lines.append(
                StatementLine(
                    date=_date(move.day),
                    text=move.text,
                    reference=move.reference,
                    amount=_money(move.amount, currency) if move.amount is not None else "",
                    parts=[
                        _money(move.split[name], currency) if move.split.get(name) else ""
                        for name in columns
                    ],
                    balance=_money(balance, currency),
                    reversed=move.reversed,
                )
            )
        unpaid = dict.fromkeys(("principal", "charge", "fees", "penalty"), ZERO)
        for row in rows:
            for name in unpaid:
                unpaid[name] += getattr(row, name) - getattr(row, f"{name}_paid")
        state = _state(loan, rows) if loan.status in LIVE and rows else None
        context = _loan_facts(user, loan)
        context.update(
            as_of=_date(day),
            lines=lines,
            columns=[labels[name] for name in columns],
            principal_outstanding=_money(loan.principal_outstanding, currency),
            charge_label=charge_label(loan.method),
            charge_unpaid=_money(unpaid["charge"], currency),
            fees_unpaid=_money(unpaid["fees"], currency),
            penalty_unpaid=_money(unpaid["penalty"], currency),
            total_unpaid=_money(sum(unpaid.values(), ZERO), currency),
            overdue=_money(overdue_amount(state, day) if state else ZERO, currency),
            days_past_due=formatting.number(days_past_due(state, day) if state else 0),
            credit_held=_money(loan.credit_held, currency),
            show_charge=loan.method is not Method.QARD_HASAN,
        )
        return _render("statement.html", context)


def repayments_in_scope(user: Any) -> QuerySet[Repayment]:
    return Repayment.objects.filter(loan__in=loans_in_scope(user))


def access_repayment(user: Any, repayment_id: Any) -> Repayment:
    """A repayment of a loan the user may open; 404 otherwise, like every lookup."""
    try:
        return (
            repayments_in_scope(user)
            .select_related("loan__beneficiary", "received_by")
            .get(pk=int(repayment_id))
        )
    except (Repayment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No repayment found.") from exc


def receipt_html(
    user: Any, repayment: Repayment, language: str, *, channel: Channel = "web"
) -> str:
    """A repayment's receipt: who paid what, when, for which loan, and how it was split."""
    loan = _loan_for_document(repayment.loan)
    _log_view(user, [loan.beneficiary], channel)
    currency = repayment.currency
    with translation.override(language):
        split = _split(
            Application.objects.filter(repayment=repayment, is_active=True).prefetch_related(
                "lines"
            )
        )
        labels = _split_labels(loan.method)
        labels["credit"] = _("Kept as credit for the next installments")
        received_by = repayment.received_by
        context = _loan_facts(user, loan)
        context.update(
            repayment=repayment,
            number=repayment.receipt_number or repayment.reference,
            value_date=_date(repayment.value_date),
            amount=_money(repayment.amount, currency),
            source=repayment.get_source_display(),
            bank_reference=repayment.bank_reference,
            received_by=received_by.get_full_name() or received_by.username,
            parts=[
                (label, _money(split[name], currency))
                for name, label in labels.items()
                if split.get(name)
            ],
            is_reversed=repayment.reversed_at is not None,
            reversal_reason=repayment.reversal_reason,
            is_recovery=repayment.is_recovery,
            principal_outstanding=_money(loan.principal_outstanding, currency),
        )
        return _render("receipt.html", context)


def sheets_in_scope(user: Any) -> QuerySet[CollectionSheet]:
    if not has_right(user, Right.SEE_RECORDS):
        return CollectionSheet.objects.none()
    return scope(user, CollectionSheet.objects.all())


def access_sheet(user: Any, sheet_id: Any) -> CollectionSheet:
    """A collection sheet of a branch the user works in; 404 otherwise."""
    try:
        return (
            sheets_in_scope(user)
            .select_related("organization", "branch", "centre", "group", "posted_by")
            .get(pk=int(sheet_id))
        )
    except (CollectionSheet.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No collection sheet found.") from exc


@dataclass(frozen=True)
class SheetRow:
    member: str
    is_leader: bool
    loan: str
    principal: str
    charge: str
    fees: str
    savings: str
    overdue: str
    total: str
    paid: str
    attendance: str


@dataclass
class SheetGroup:
    name: str
    rows: list[SheetRow]
    sums: dict[str, Decimal]  # currency → due
    totals: list[str]


_DECIMAL = DecimalField(max_digits=20, decimal_places=3)


def _unpaid(*fields: str) -> Any:
    """SUM of what is unpaid of these components (0 for no row)."""
    expression: Any = None
    for field in fields:
        part = F(field) - F(f"{field}_paid")
        expression = part if expression is None else expression + part
    return Coalesce(Sum(expression), ZERO, output_field=_DECIMAL)


def _due_by_loan(loan_ids: list[int], day: datetime.date) -> dict[int, dict[str, Decimal]]:
    """Per loan, what its current schedule leaves unpaid of installments due by `day`, per
    component, and the part of it that was due before (overdue): one grouped query."""
    every = ("principal", "charge", "fees", "savings", "penalty")
    rows: Any = (
        Installment.objects.filter(
            loan__in=loan_ids, version=F("loan__schedule_version"), due_date__lte=day
        )
        .values("loan_id")
        .annotate(
            **{f"unpaid_{name}": _unpaid(name) for name in every},
            overdue=Coalesce(
                Sum(
                    F("principal") + F("charge") + F("fees") + F("savings") + F("penalty")
                    - F("principal_paid") - F("charge_paid") - F("fees_paid")
                    - F("savings_paid") - F("penalty_paid"),
                    filter=Q(due_date__lt=day),
                ),
                ZERO,
                output_field=_DECIMAL,
            ),
        )
    )  # fmt: skip
    return {
        row["loan_id"]: {name: row[f"unpaid_{name}"] for name in every}
        | {"overdue": row["overdue"]}
        for row in rows
    }


def sheet_html(
    user: Any, sheet: CollectionSheet, language: str, *, channel: Channel = "web"
) -> str:
    """The collection sheet of a meeting, to print before it: each group's members with what
    falls due from them by the meeting day (principal, charge, fees and late charges, savings;
    the overdue part shown apart), and empty boxes for what is paid, attendance and signature.

    A sheet prepared ahead has a line per member and loan: those are its rows. Once posted, the
    rows show what was due, paid and who came, as entered. Members and loans are those the
    user may see. Four queries for any number of members.
    """
    day = sheet.meeting_date
    members = (
        GroupMembership.objects.filter(
            beneficiary__in=beneficiaries_in_scope(user), joined_on__lte=day
        )
        .exclude(left_on__lt=day)
        .select_related("group", "beneficiary")
        .order_by("group__name", "group_id", "-is_leader", "beneficiary__last_name", "pk")
    )
    if sheet.group_id is not None:
        members = members.filter(group_id=sheet.group_id)
    else:
        members = members.filter(group__centre=sheet.centre)
    memberships = list(members)
    _log_view(user, [m.beneficiary for m in memberships], channel)
    lines = list(CollectionLine.objects.filter(sheet=sheet).order_by("pk"))
    posted = any(entry.attendance for entry in lines)
    people = [m.beneficiary_id for m in memberships]
    loans = loans_in_scope(user).filter(beneficiary__in=people)
    if lines:
        loans = loans.filter(pk__in=[entry.loan_id for entry in lines if entry.loan_id])
    else:
        loans = loans.filter(status__in=LIVE)
    by_id = {loan.pk: loan for loan in loans.order_by("disbursed_on", "pk")}
    on_sheet: dict[int, list[Loan | None]] = defaultdict(list)
    if lines:
        for entry in lines:
            if entry.loan_id is None or entry.loan_id in by_id:
                on_sheet[entry.beneficiary_id].append(by_id.get(entry.loan_id or 0))
    else:
        for found in by_id.values():
            on_sheet[found.beneficiary_id].append(found)
    due = {} if posted else _due_by_loan(list(by_id), day)
    entered = {(entry.beneficiary_id, entry.loan_id): entry for entry in lines}
    with translation.override(language):
        attendance = dict(Attendance.choices)
        groups: dict[int, SheetGroup] = {}
        totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for membership in memberships:
            group = groups.setdefault(
                membership.group_id, SheetGroup(membership.group.name, [], defaultdict(Decimal), [])
            )
            person = membership.beneficiary
            for loan in on_sheet.get(person.pk) or [None]:
                line = entered.get((person.pk, loan.pk if loan else None))
                currency = loan.currency if loan else ""
                amounts = due.get(loan.pk, {}) if loan else {}
                if posted:
                    total = line.due if line else ZERO
                else:
                    total = sum((amounts.get(n, ZERO) for n in COMPONENTS), ZERO)
                if loan:
                    group.sums[currency] += total
                    totals[currency] += total

                def shown(value: Decimal | None, currency: str = currency) -> str:
                    return _money(value, currency) if currency and value else ""

                group.rows.append(
                    SheetRow(
                        member=person.full_name,
                        is_leader=membership.is_leader,
                        loan=loan.reference if loan else "",
                        principal=shown(amounts.get("principal")),
                        charge=shown(amounts.get("charge")),
                        fees=shown(amounts.get("fees", ZERO) + amounts.get("penalty", ZERO)),
                        savings=shown(amounts.get("savings")),
                        overdue=shown(amounts.get("overdue")),
                        total=_money(total, currency) if loan else "",
                        paid=shown(line.paid) if line and posted else "",
                        attendance=(
                            str(attendance.get(line.attendance, "")) if line and posted else ""
                        ),
                    )
                )
        for group in groups.values():
            group.totals = [_money(v, c) for c, v in sorted(group.sums.items())]
        place = sheet.group or sheet.centre
        context = {
            "organization": sheet.organization.name,
            "branch": sheet.branch.name,
            "place": place.name if place else "",
            "meeting_place": place.meeting_place if place else "",
            "is_centre": sheet.group_id is None,
            "meeting_date": _date(day),
            "groups": list(groups.values()),
            "totals": [_money(v, c) for c, v in sorted(totals.items())],
            "is_posted": posted,
        }
        return _render("sheet.html", context)


__all__ = [
    "LANGUAGES",
    "UnknownLanguage",
    "access_repayment",
    "access_sheet",
    "agreement_html",
    "document_language",
    "offered_schedule",
    "price_of",
    "receipt_html",
    "schedule_html",
    "sheet_html",
    "statement_html",
    "write_pdf",
]
