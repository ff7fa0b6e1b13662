"""The printed definition of every indicator the reports show, by indicator code.

A figure is only as good as its definition, so every page, export and report prints the text
from here beside the figure (portfolio quality, the donor report, the network view). The
wording follows the SEEP/CGAP definitions (docs/decisions.md, "Portfolio indicators").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Definition:
    code: str
    label: str | Promise
    text: str | Promise


def _d(code: str, label: str | Promise, text: str | Promise) -> Definition:
    return Definition(code, label, text)


DEFINITIONS: dict[str, Definition] = {
    d.code: d
    for d in (
        _d(
            "gross_loan_portfolio",
            _("Gross loan portfolio"),
            _(
                "Outstanding principal of every active loan on the date, accrued interest and "
                "written-off loans excluded."
            ),
        ),
        _d(
            "active_loans",
            _("Active loans"),
            _("Loans disbursed and not yet repaid, closed or written off on the date."),
        ),
        _d(
            "active_borrowers",
            _("Active borrowers"),
            _("People with at least one active loan on the date, each counted once."),
        ),
        _d(
            "par_1",
            _("Portfolio at risk, 1 day"),
            _(
                "Whole outstanding principal of loans with an installment more than 1 day past "
                "due, plus all renegotiated loans, divided by the gross loan portfolio."
            ),
        ),
        _d(
            "par_30",
            _("Portfolio at risk, 30 days"),
            _(
                "Whole outstanding principal of loans with an installment more than 30 days "
                "past due, plus all renegotiated loans, divided by the gross loan portfolio."
            ),
        ),
        _d(
            "par_90",
            _("Portfolio at risk, 90 days"),
            _(
                "Whole outstanding principal of loans with an installment more than 90 days "
                "past due, plus all renegotiated loans, divided by the gross loan portfolio."
            ),
        ),
        _d(
            "buckets",
            _("Ageing of the portfolio"),
            _(
                "Active loans by the days past due of their oldest unpaid installment: number "
                "of loans, their outstanding principal and its share of the gross loan "
                "portfolio."
            ),
        ),
        _d(
            "written_off_in_period",
            _("Written off in the period"),
            _(
                "Principal of the loans written off between the first and the last day of the "
                "period."
            ),
        ),
        _d(
            "write_off_ratio",
            _("Write-off ratio"),
            _(
                "Principal written off in the period divided by the average gross loan "
                "portfolio (the mean of the portfolio on the day before the period and on its "
                "last day); not annualised."
            ),
        ),
        _d(
            "on_time_repayment_rate",
            _("On-time repayment rate"),
            _(
                "Principal and interest paid on or before the due date, of the installments "
                "that fell due in the period, divided by the principal and interest that fell "
                "due in the period. Written-off loans stay in; the amount written off is shown "
                "beside."
            ),
        ),
        _d(
            "cumulative_repayment_rate",
            _("Cumulative repayment rate"),
            _(
                "Principal and interest collected by the date, late payments included, on the "
                "installments due by the date, divided by all principal and interest due by "
                "the date. Payments ahead of the schedule are not counted until they fall due."
            ),
        ),
        _d(
            "average_balance_per_borrower",
            _("Average outstanding balance per borrower"),
            _("Gross loan portfolio divided by the number of active borrowers."),
        ),
        _d(
            "average_balance_per_loan",
            _("Average outstanding balance per loan"),
            _("Gross loan portfolio divided by the number of active loans."),
        ),
        _d(
            "borrowers_per_officer",
            _("Borrowers per loan officer"),
            _(
                "Active borrowers divided by the loan officers who hold at least one active "
                "loan on the date."
            ),
        ),
        _d(
            "source",
            _("Source"),
            _(
                "Daily snapshots when the date was closed by close of business; otherwise every "
                "loan is recomputed from its schedule and payments."
            ),
        ),
    )
}


def definition(code: str) -> Definition:
    """The definition of an indicator (KeyError for an unknown code: a figure without one is a
    bug)."""
    return DEFINITIONS[code]
