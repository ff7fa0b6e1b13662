"""Close of business: the run of each business date, each loan's arrears state, and the daily
portfolio snapshot reports read (past PAR cannot be rebuilt from today's state).

A run is one organisation's business date. Its `step` and `pointer` (the last loan id a step
finished) are written in the same transaction as the work of each chunk of loans, so a run
killed mid-way resumes where it stopped and ends as an uninterrupted run would.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped
from tandir.core.money import currency_field


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class Step(models.TextChoices):
    """The steps of a business date, in the order they run."""

    CORRECTIONS = "corrections", _("Snapshots of back-dated payments")
    PENALTIES = "penalties", _("Penalties on overdue installments")
    ARREARS = "arrears", _("Days past due, bucket and arrears status")
    ACCRUALS = "accruals", _("Accruals and Murabaha profit fallen due")
    SNAPSHOT = "snapshot", _("Daily portfolio snapshot")
    ROLLUP = "rollup", _("Daily portfolio figures per branch")
    DONE = "done", _("Done")


STEPS = [
    Step.CORRECTIONS,
    Step.PENALTIES,
    Step.ARREARS,
    Step.ACCRUALS,
    Step.SNAPSHOT,
    Step.ROLLUP,
    Step.DONE,
]


class CobRun(OrganizationScoped):
    business_date = models.DateField(_("business date"))
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    step = models.CharField(_("step"), max_length=20, choices=Step.choices, default=STEPS[0])
    # The last loan id the current step has finished; 0 before its first chunk.
    pointer = models.BigIntegerField(default=0)
    # Seconds each finished step took, and what it did (penalties charged, loans in arrears).
    timings = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )

    class Meta:
        ordering = ["organization", "-business_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "business_date"], name="cob_run_once_a_day"
            )
        ]
        verbose_name = _("close of business")
        verbose_name_plural = _("closes of business")

    def __str__(self) -> str:
        return f"{self.business_date} {self.status}"


class ArrearsStatus(models.TextChoices):
    CURRENT = "current", _("Active, current")
    IN_ARREARS = "in_arrears", _("Active, in arrears")


class LoanArrears(OrganizationScoped):
    """A loan's state at the last closed business date: one row per active loan (a loan paid
    off loses its row). Each close of business recomputes the loans whose state can have
    changed since the date before (`tandir.cob.sql.dirty_loans`) and moves the others' days
    past due on from `past_due_from`; `business_date` is the date the row was last written."""

    loan = models.OneToOneField(
        "lending.Loan", on_delete=models.PROTECT, related_name="arrears", primary_key=True
    )
    business_date = models.DateField()
    days_past_due = models.PositiveIntegerField(default=0)
    bucket = models.CharField(max_length=10)
    status = models.CharField(max_length=12, choices=ArrearsStatus.choices)
    # The first day past due of the current spell of arrears; null when current.
    in_arrears_since = models.DateField(null=True, blank=True)
    # The date days past due count from: the due date of the first installment left unpaid
    # beyond the tolerance, plus the product's days of grace; null when nothing is late.
    past_due_from = models.DateField(null=True, blank=True)
    outstanding_principal = models.DecimalField(max_digits=20, decimal_places=3)
    overdue_principal = models.DecimalField(max_digits=20, decimal_places=3)
    overdue_charge = models.DecimalField(max_digits=20, decimal_places=3)
    credit = models.DecimalField(max_digits=20, decimal_places=3, default=0)

    class Meta:
        indexes = [models.Index(fields=["organization", "status"])]


# The snapshot's references: no index and no database constraint of their own. A snapshot is
# derived (written only by close of business from the rows it names, and re-derivable), and at a
# million rows a day every index and deferred foreign-key check costs a million lookups per
# close: its two indexes below serve every read.
SNAPSHOT_REFERENCE: dict[str, Any] = {
    "on_delete": models.PROTECT,
    "related_name": "+",
    "db_index": False,
    "db_constraint": False,
}


class LoanSnapshot(OrganizationScoped):
    """One active loan on one business date, with what reports group by.

    `target_groups` is a bitmask of the borrower's `core.TargetGroup` ids (bit `1 << id`): one
    8-byte column instead of a many-to-many table of tens of millions of rows a year, filtered
    with `target_groups & (1 << id) <> 0`; ids stay below 63 (the groups are a short catalogue).
    """

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organisation"), **SNAPSHOT_REFERENCE
    )
    loan = models.ForeignKey("lending.Loan", **SNAPSHOT_REFERENCE)
    # The borrower, so that a day's distinct borrowers are counted without joining the loans;
    # null on the snapshots of dates closed before it was kept.
    beneficiary = models.ForeignKey("registry.Beneficiary", null=True, **SNAPSHOT_REFERENCE)
    business_date = models.DateField()
    branch = models.ForeignKey("orgs.Branch", **SNAPSHOT_REFERENCE)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, **SNAPSHOT_REFERENCE)
    product_version = models.ForeignKey("lending.ProductVersion", **SNAPSHOT_REFERENCE)
    product = models.ForeignKey("lending.LoanProduct", **SNAPSHOT_REFERENCE)
    sector = models.CharField(max_length=20)
    currency = currency_field()
    borrower_sex = models.CharField(max_length=10)
    target_groups = models.BigIntegerField(default=0)
    outstanding_principal = models.DecimalField(max_digits=20, decimal_places=3)
    overdue_principal = models.DecimalField(max_digits=20, decimal_places=3)
    overdue_charge = models.DecimalField(max_digits=20, decimal_places=3)
    days_past_due = models.PositiveIntegerField()
    bucket = models.CharField(max_length=10)
    renegotiated = models.BooleanField()
    status = models.CharField(max_length=12, choices=ArrearsStatus.choices)

    class Meta:
        # By date first: a date's snapshots are written in loan order at the end of the index,
        # where (loan, date) put each of a million rows in a page of its own loan.
        constraints = [
            models.UniqueConstraint(fields=["business_date", "loan"], name="snapshot_once_a_day")
        ]
        # PAR of an organisation on a date reads one contiguous range of this index.
        indexes = [models.Index(fields=["organization", "business_date"], name="snapshot_org_day")]


def amount_column() -> Any:
    return models.DecimalField(max_digits=22, decimal_places=3, null=True)


# The ageing bucket's columns of a `PortfolioDay`: number of loans and their balance.
BUCKET_COLUMNS = {
    "current": ("loans_current", "balance_current"),
    "1-30": ("loans_1_30", "balance_1_30"),
    "31-60": ("loans_31_60", "balance_31_60"),
    "61-90": ("loans_61_90", "balance_61_90"),
    "91-180": ("loans_91_180", "balance_91_180"),
    "181-365": ("loans_181_365", "balance_181_365"),
    ">365": ("loans_over_365", "balance_over_365"),
}


class PortfolioDay(OrganizationScoped):
    """One branch's portfolio in one currency on one closed business date: the day's snapshots
    summed by close of business (its last step). What reads many dates at once (the dashboard's
    trend, a branch's PAR over a year) reads these few rows instead of a million snapshots a
    date. PAR numerators count renegotiated loans, as `tandir.reports.definitions` says."""

    business_date = models.DateField()
    branch = models.ForeignKey("orgs.Branch", on_delete=models.PROTECT, related_name="+")
    currency = currency_field()
    loans = models.PositiveIntegerField()
    loans_in_arrears = models.PositiveIntegerField()
    gross_loan_portfolio = models.DecimalField(max_digits=22, decimal_places=3)
    overdue_principal = models.DecimalField(max_digits=22, decimal_places=3)
    par1 = models.DecimalField(max_digits=22, decimal_places=3)
    par30 = models.DecimalField(max_digits=22, decimal_places=3)
    par90 = models.DecimalField(max_digits=22, decimal_places=3)
    # Null on the rows of dates closed before these columns existed: a report reads those
    # dates from the snapshots and the records instead.
    #
    # Each borrower and officer counted once in the organisation: in the lowest-numbered
    # branch where they hold an active loan of the currency, so that the branches' rows add up
    # to the organisation's distinct counts.
    borrowers = models.PositiveIntegerField(null=True)
    officers = models.PositiveIntegerField(null=True)
    loans_current = models.PositiveIntegerField(null=True)
    balance_current = amount_column()
    loans_1_30 = models.PositiveIntegerField(null=True)
    balance_1_30 = amount_column()
    loans_31_60 = models.PositiveIntegerField(null=True)
    balance_31_60 = amount_column()
    loans_61_90 = models.PositiveIntegerField(null=True)
    balance_61_90 = amount_column()
    loans_91_180 = models.PositiveIntegerField(null=True)
    balance_91_180 = amount_column()
    loans_181_365 = models.PositiveIntegerField(null=True)
    balance_181_365 = amount_column()
    loans_over_365 = models.PositiveIntegerField(null=True)
    balance_over_365 = amount_column()
    # The repayment rates' flows (`tandir.reports.definitions`), under the schedule in force
    # on the day, of the loans' current branch: principal and charge that fell due on the day
    # and what was paid on it by then (the on-time rate of a period sums these), and the
    # cumulative rate's figures as of the day (fell due by the day, collected on it by the day).
    fell_due = amount_column()
    paid_on_time = amount_column()
    fell_due_to_date = amount_column()
    collected_to_date = amount_column()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "business_date", "branch", "currency"],
                name="portfolio_day_once",
            )
        ]
