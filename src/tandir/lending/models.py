"""Loans: products and their versions, funds, partner banks, the loan cycle, repayments and
their split, solidarity groups and centres, and the loan officer's follow-up.

A loan is one row from application to closing, with Fineract's states. Its schedule is kept as
installment rows (each rescheduling adds a version; the old one stays), each repayment as a row
with its allocation to installments and components (an *application*, replaced when a
back-dated payment re-allocates it). Amounts are in the loan's currency; every write is in
`tandir.lending.actions`.
"""

from __future__ import annotations

import functools
import json
import operator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped, ThroughQuerySet, change_history
from tandir.core.money import amount_field, currency_field, money_constraint
from tandir.engine import (
    DayCount,
    EmiBasis,
    Frequency,
    InstallmentRounding,
    InterestGraceStyle,
    Method,
    RoundingMode,
)


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]  # type: ignore[attr-defined]


class Sector(models.TextChoices):
    TRADE = "trade", _("Trade")
    SERVICES = "services", _("Services")
    AGRICULTURE = "agriculture", _("Agriculture")
    LIVESTOCK = "livestock", _("Livestock")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    CRAFTS = "crafts", _("Crafts")
    OTHER = "other", _("Other")


class AccountingBasis(models.TextChoices):
    CASH = "cash", _("Cash: charges are income when paid")
    ACCRUAL = "accrual", _("Periodic accrual: charges are income when due")


class PenaltyKind(models.TextChoices):
    NONE = "none", _("No penalty")
    FIXED = "fixed", _("A fixed amount per overdue installment")
    PERCENT = "percent", _("A percentage of the overdue amount")


class ProfitRecognition(models.TextChoices):
    AS_DUE = "as_due", _("As installments fall due")
    AS_PAID = "as_paid", _("As installments are paid")


class LoanProduct(OrganizationScoped):
    """A product's identity; its terms live in versions, so a loan keeps the terms it was
    approved under when the product changes."""

    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="product_code_unique")
        ]
        verbose_name = _("loan product")
        verbose_name_plural = _("loan products")

    def __str__(self) -> str:
        return self.name


class ProductVersion(OrganizationScoped):
    """The terms of a product from one date on. Never changed once saved: an edit is a new
    version, and loans point at the version they were approved under."""

    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("method"), max_length=20, choices=_choices(Method))
    currency = currency_field()
    frequencies = models.JSONField(_("frequencies"), default=list)  # Frequency values
    # Nominal annual rate (conventional) or markup on cost (Murabaha), in percent: the range a
    # loan officer may offer within.
    rate_min = models.DecimalField(_("lowest rate %"), max_digits=7, decimal_places=3, default=0)
    rate_max = models.DecimalField(_("highest rate %"), max_digits=7, decimal_places=3, default=0)
    amount_min = amount_field(_("smallest amount"))
    amount_max = amount_field(_("largest amount"))
    term_min = models.PositiveSmallIntegerField(_("fewest installments"))
    term_max = models.PositiveSmallIntegerField(_("most installments"))
    grace_principal_max = models.PositiveSmallIntegerField(
        _("most installments of principal grace"), default=0
    )
    grace_interest_max = models.PositiveSmallIntegerField(
        _("most installments of interest grace"), default=0
    )
    grace_interest_style = models.CharField(
        max_length=10, choices=_choices(InterestGraceStyle), default=InterestGraceStyle.SPREAD
    )
    arrears_days = models.PositiveSmallIntegerField(
        _("days before a loan counts as late"), default=0
    )
    arrears_tolerance = amount_field(_("unpaid amount ignored in arrears"), default=0)
    day_count = models.CharField(
        max_length=20, choices=_choices(DayCount), default=DayCount.PERIODIC
    )
    # Fees: [{"name", "value", "is_percent", "timing", "deducted"}], the engine's `Fee`.
    fees = models.JSONField(_("fees"), default=list, blank=True)
    # Compulsory savings: {"value", "is_percent", "timing", "annual_interest_percent"} or null.
    savings = models.JSONField(_("compulsory savings"), null=True, blank=True)
    round_to = amount_field(_("round to multiples of"), null=True, blank=True)
    rounding_mode = models.CharField(
        max_length=10, choices=_choices(RoundingMode), default=RoundingMode.HALF_UP
    )
    round_installment_to = amount_field(_("round installments to"), null=True, blank=True)
    installment_rounding = models.CharField(
        max_length=10, choices=_choices(InstallmentRounding), default=InstallmentRounding.NEAREST
    )
    emi_adjust = models.BooleanField(default=False)
    emi_from = models.CharField(max_length=10, choices=_choices(EmiBasis), default=EmiBasis.NOMINAL)
    allocation = models.CharField(max_length=60, default="penalties-fees-charge-principal")
    custom_schedule = models.BooleanField(_("officer's own due dates allowed"), default=False)
    penalty_kind = models.CharField(
        max_length=10, choices=PenaltyKind.choices, default=PenaltyKind.NONE
    )
    penalty_value = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    penalty_after_days = models.PositiveSmallIntegerField(default=0)
    # Islamic products: share of a late charge that may be income (actual-cost compensation
    # where the regulator allows it); the rest goes to the charity payable.
    penalty_income_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    rebate_percent = models.DecimalField(
        _("rebate of unearned charge on early payoff %"), max_digits=5, decimal_places=2, default=0
    )
    accounting_basis = models.CharField(
        max_length=10, choices=AccountingBasis.choices, default=AccountingBasis.CASH
    )
    profit_recognition = models.CharField(
        max_length=10, choices=ProfitRecognition.choices, default=ProfitRecognition.AS_DUE
    )
    # Repayment capacity: the installment may be at most this share of the monthly net cash flow.
    capacity_percent = models.DecimalField(max_digits=5, decimal_places=2, default=50)
    sectors = models.JSONField(_("eligible sectors"), default=list, blank=True)  # empty: all
    target_groups = models.ManyToManyField(
        "core.TargetGroup",
        through="ProductTargetGroup",
        blank=True,
        verbose_name=_("eligible target groups"),
    )

    class Meta:
        ordering = ["product", "number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="product_version_once"),
            money_constraint("amount_min", "currency", name="product_amount_min_money"),
            money_constraint("amount_max", "currency", name="product_amount_max_money"),
            models.CheckConstraint(
                condition=models.Q(amount_min__lte=models.F("amount_max"))
                & models.Q(term_min__lte=models.F("term_max"))
                & models.Q(rate_min__lte=models.F("rate_max")),
                name="product_limits_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} v{self.number}"

    @property
    def is_islamic(self) -> bool:
        return Method(self.method).is_islamic


class ProductTargetGroup(OrganizationScoped):
    organization_source = "version"
    objects = ThroughQuerySet.as_manager()

    version = models.ForeignKey(ProductVersion, on_delete=models.CASCADE, related_name="+")
    targetgroup = models.ForeignKey("core.TargetGroup", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "targetgroup"], name="product_target_group_once"
            )
        ]


class FundKind(models.TextChoices):
    DONOR = "donor", _("Donor fund")
    REVOLVING = "revolving", _("Revolving fund")
    CREDIT_LINE = "credit_line", _("Partner-bank credit line")


class FundingSource(OrganizationScoped):
    """Where the money lent comes from. Its balance is its ledger account's; a disbursement
    draws on it, and principal repaid to a revolving fund returns to it."""

    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=FundKind.choices)
    currency = currency_field()
    account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT, related_name="fund")
    bank = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "bank"},
    )
    history = change_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="fund_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class BankBranch(OrganizationScoped):
    """A branch of a partner bank where the organisation's clients collect loans and pay."""

    bank = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "bank"},
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    district = models.ForeignKey(
        "orgs.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["bank", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "bank", "code"], name="bank_branch_code_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank} — {self.name}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Centre(OrganizationScoped):
    """Several solidarity groups meeting together with their loan officer."""

    branch = models.ForeignKey("orgs.Branch", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    meeting_day = models.PositiveSmallIntegerField(_("meeting day"), choices=Weekday.choices)
    meeting_place = models.CharField(_("meeting place"), max_length=200, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class SolidarityGroup(OrganizationScoped):
    """Neighbours guaranteeing each other's loans: one member's default holds the group's next."""

    branch = models.ForeignKey("orgs.Branch", on_delete=models.PROTECT, related_name="+")
    centre = models.ForeignKey(
        Centre, null=True, blank=True, on_delete=models.PROTECT, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=200)
    meeting_day = models.PositiveSmallIntegerField(
        _("meeting day"), choices=Weekday.choices, null=True, blank=True
    )
    meeting_place = models.CharField(_("meeting place"), max_length=200, blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = change_history()

    def __str__(self) -> str:
        return self.name


class GroupMembership(OrganizationScoped):
    group = models.ForeignKey(SolidarityGroup, on_delete=models.PROTECT, related_name="members")
    beneficiary = models.ForeignKey(
        "registry.Beneficiary", on_delete=models.PROTECT, related_name="group_memberships"
    )
    is_leader = models.BooleanField(_("leader"), default=False)
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            # One active group per person.
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=models.Q(left_on__isnull=True),
                name="one_active_group",
            )
        ]


# business plan: the amounts of `Loan.plan_figures` are kept as exact decimal strings and read
# back as `Decimal`, so the loan's page formats them as money like every other amount.
PLAN_AMOUNTS = frozenset(
    {
        "business_income",
        "business_expenses",
        "household_income",
        "household_expenses",
        "existing_debt_payments",
        "net_cash_flow",
        "installment",
        "capacity_ratio",
        "loan_need",
    }
)


def _plan_amounts(values: dict[str, Any]) -> dict[str, Any]:
    for key in PLAN_AMOUNTS & values.keys():
        if isinstance(values[key], str):
            values[key] = Decimal(values[key])
    return values


class PlanFiguresDecoder(json.JSONDecoder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["object_hook"] = _plan_amounts
        super().__init__(*args, **kwargs)


class LoanStatus(models.TextChoices):
    """Fineract's states, which MFIs know."""

    SUBMITTED = "submitted", _("Submitted, pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn by the client")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed, obligations met")
    WRITTEN_OFF = "written_off", _("Closed, written off")
    OVERPAID = "overpaid", _("Overpaid")


class Loan(OrganizationScoped):
    reference = models.CharField(_("loan reference"), max_length=40)
    branch = models.ForeignKey("orgs.Branch", on_delete=models.PROTECT, related_name="loans")
    beneficiary = models.ForeignKey(
        "registry.Beneficiary", on_delete=models.PROTECT, related_name="loans"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("loan officer"),
    )
    product_version = models.ForeignKey(
        ProductVersion, on_delete=models.PROTECT, related_name="loans"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=LoanStatus.choices, default=LoanStatus.SUBMITTED
    )
    currency = currency_field()
    amount = amount_field(_("amount"))
    rate = models.DecimalField(_("rate or markup %"), max_digits=7, decimal_places=3, default=0)
    term = models.PositiveSmallIntegerField(_("installments"))
    frequency = models.CharField(_("frequency"), max_length=20, choices=_choices(Frequency))
    grace_principal = models.PositiveSmallIntegerField(default=0)
    grace_interest = models.PositiveSmallIntegerField(default=0)
    first_due = models.DateField(_("first due date"), null=True, blank=True)
    # The officer's own dates for a seasonal loan: [{"due_date": ISO, "principal": str|null}].
    custom_schedule = models.JSONField(null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=300)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    group = models.ForeignKey(
        SolidarityGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="loans"
    )
    # The business plan the application rests on; the plans app links it.
    business_plan_id = models.BigIntegerField(null=True, blank=True)
    # business plan: the plan's figures the application was sent with (plan id and version,
    # monthly income, expenses and net cash flow, the installment and the capacity ratio), so the
    # appraisal and the loan's page read them without importing the plans app.
    plan_figures = models.JSONField(null=True, blank=True, decoder=PlanFiguresDecoder)
    fund = models.ForeignKey(
        FundingSource, null=True, blank=True, on_delete=models.PROTECT, related_name="loans"
    )
    bank_branch = models.ForeignKey(
        BankBranch, null=True, blank=True, on_delete=models.PROTECT, related_name="loans"
    )
    submitted_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disbursement = models.ForeignKey(
        "Disbursement", null=True, blank=True, on_delete=models.PROTECT, related_name="loans"
    )
    disbursed_on = models.DateField(_("disbursed on"), null=True, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    schedule_version = models.PositiveSmallIntegerField(default=0)
    # The date the current schedule starts from: the disbursement, or the last rescheduling.
    # Repayments before it belong to an earlier schedule version.
    schedule_from = models.DateField(null=True, blank=True)
    renegotiated = models.BooleanField(_("renegotiated"), default=False)
    closed_on = models.DateField(null=True, blank=True)
    # Kept in step by every action, so lists and reports need no replay of the schedule.
    principal_outstanding = amount_field(_("outstanding principal"), default=0)
    credit_held = amount_field(_("credit held"), default=0)
    written_off_principal = amount_field(_("principal written off"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    history = change_history(excluded_fields=["principal_outstanding", "credit_held"])

    class Meta:
        ordering = ["-submitted_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "reference"], name="loan_ref_unique"),
            money_constraint("amount", "currency", name="loan_amount_money"),
            money_constraint("principal_outstanding", "currency", name="loan_outstanding_money"),
            money_constraint("credit_held", "currency", name="loan_credit_money"),
        ]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["branch", "status"]),
            models.Index(fields=["officer", "status"]),
            # Close of business's rollup each night: the loans whose new schedule takes effect
            # on the date (a few among a million; without it, two reads of the whole table).
            models.Index(
                fields=["organization", "schedule_from"],
                name="loan_rescheduled",
                condition=models.Q(schedule_from__isnull=False),
            ),
        ]
        verbose_name = _("loan")
        verbose_name_plural = _("loans")

    def __str__(self) -> str:
        return self.reference

    @property
    def method(self) -> Method:
        return Method(self.product_version.method)


class LoanEvent(OrganizationScoped):
    """Every change of a loan's state: who, when, from what to what, and why."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=20, choices=LoanStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=LoanStatus.choices)
    action = models.CharField(max_length=30)
    on = models.DateField()
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Appraisal(OrganizationScoped):
    """Repayment capacity of the household and its business, with the appraiser's view."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="appraisals")
    currency = currency_field()
    business_income = amount_field(_("business income per month"))
    business_expenses = amount_field(_("business expenses per month"))
    household_income = amount_field(_("other household income per month"), default=0)
    household_expenses = amount_field(_("household expenses per month"))
    existing_debt_payments = amount_field(_("payments on other debts per month"), default=0)
    net_cash_flow = models.DecimalField(max_digits=20, decimal_places=3)
    installment = amount_field(_("largest installment, per month"))
    capacity_percent = models.DecimalField(max_digits=7, decimal_places=2)  # what the rule allows
    share_percent = models.DecimalField(max_digits=9, decimal_places=2, null=True)
    passes = models.BooleanField()
    override_reason = models.CharField(max_length=500, blank=True)
    site_visit_notes = models.TextField(_("site visit"), blank=True)
    recommendation = models.CharField(
        max_length=10,
        choices=[("approve", _("Approve")), ("reject", _("Reject")), ("modify", _("Modify"))],
    )
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appraised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-appraised_at", "-id"]


class ApprovalLimit(OrganizationScoped):
    """The largest loan a role may approve, per currency; a role without a row has no limit."""

    role = models.CharField(max_length=30)
    currency = currency_field()
    max_amount = amount_field(_("largest amount"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "role", "currency"], name="approval_limit_once"
            )
        ]


class Guarantor(OrganizationScoped):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="guarantors")
    beneficiary = models.ForeignKey(
        "registry.Beneficiary", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    id_number = models.CharField(_("ID number"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    relationship = models.CharField(_("relationship"), max_length=100, blank=True)


class LoanDocument(OrganizationScoped):
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=40)
    file = models.FileField(upload_to="loan-documents/%Y/%m/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)


class Disbursement(OrganizationScoped):
    """An instruction to a partner bank to pay out approved loans, then its confirmation."""

    bank = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    instructed_on = models.DateField()

    def __str__(self) -> str:
        return f"{_('Disbursement')} #{self.pk}"


# An installment's amounts, each with its `_paid` column.
INSTALLMENT_COMPONENTS = ("principal", "charge", "fees", "savings", "penalty")


class Installment(OrganizationScoped):
    """One row of a loan's schedule: what falls due, and what has been paid of it."""

    # No index of its own: `installment_once` leads with the loan, and beside it an index on
    # the loan alone would be the one PostgreSQL picks over `installment_unpaid` for a range
    # of loans (it is smaller), reading every paid installment as well.
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="installments", db_index=False
    )
    version = models.PositiveSmallIntegerField()
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    principal = models.DecimalField(max_digits=20, decimal_places=3)
    charge = models.DecimalField(max_digits=20, decimal_places=3)
    fees = models.DecimalField(max_digits=20, decimal_places=3)
    savings = models.DecimalField(max_digits=20, decimal_places=3)
    penalty = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    principal_paid = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    charge_paid = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    fees_paid = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    savings_paid = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    penalty_paid = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    # For charges recognised as they fall due (accrual basis, Murabaha profit).
    recognised = models.BooleanField(default=False)
    penalty_charged_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "version", "number"], name="installment_once"),
        ]
        indexes = [
            models.Index(fields=["organization", "due_date"]),
            # What close of business reads each night: the installments still owing something
            # (about half of a book's), by loan and due date. The condition is the one
            # `tandir.cob.sql.unpaid` writes.
            models.Index(
                fields=["loan", "due_date"],
                name="installment_unpaid",
                condition=functools.reduce(
                    operator.or_,
                    (models.Q(**{f"{c}_paid__lt": models.F(c)}) for c in INSTALLMENT_COMPONENTS),
                ),
            ),
            # What close of business recognises each night (accruals, Murabaha profit): the
            # installments not recognised yet fallen due by the date, looked up per loan,
            # without reading the installments recognised before.
            models.Index(
                fields=["loan", "due_date"],
                name="installment_unrecognised",
                condition=models.Q(recognised=False),
            ),
            # The penalties charged on a date: the loans close of business recomputes after
            # charging them.
            models.Index(
                fields=["organization", "penalty_charged_on"],
                name="installment_penalty_day",
                condition=models.Q(penalty_charged_on__isnull=False),
            ),
        ]

    @property
    def total(self) -> Decimal:
        return self.principal + self.charge + self.fees + self.savings + self.penalty

    @property
    def paid(self) -> Decimal:
        return (
            self.principal_paid
            + self.charge_paid
            + self.fees_paid
            + self.savings_paid
            + self.penalty_paid
        )

    @property
    def unpaid(self) -> Decimal:
        return self.total - self.paid


class RepaymentSource(models.TextChoices):
    COUNTER = "counter", _("Counter")
    API = "api", _("API")
    BANK_FILE = "bank_file", _("Bank statement")
    COLLECTION_SHEET = "collection_sheet", _("Collection sheet")
    IMPORT = "import", _("Portfolio import")


class Repayment(OrganizationScoped):
    """Money received for a loan. Reversing it keeps the row; its allocation is withdrawn."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    reference = models.CharField(max_length=120)  # unique per organisation: the idempotency key
    value_date = models.DateField(_("value date"))
    currency = currency_field()
    amount = amount_field(_("amount"))
    source = models.CharField(max_length=20, choices=RepaymentSource.choices)
    bank_reference = models.CharField(_("bank reference"), max_length=120, blank=True)
    receipt_number = models.CharField(max_length=40, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_reason = models.CharField(max_length=300, blank=True)
    # A payment on a written-off loan is a recovery: income, not allocated to the schedule.
    is_recovery = models.BooleanField(default=False)

    class Meta:
        ordering = ["value_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="repayment_reference_unique"
            ),
            money_constraint("amount", "currency", name="repayment_amount_money"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="repayment_positive"),
        ]
        indexes = [
            # Close of business's corrections: the payments recorded or reversed since the
            # last run, found without reading a national book's millions of repayments.
            models.Index(fields=["organization", "created_at"], name="repayment_recorded"),
            models.Index(
                fields=["organization", "reversed_at"],
                name="repayment_reversed",
                condition=models.Q(reversed_at__isnull=False),
            ),
        ]


class Component(models.TextChoices):
    PRINCIPAL = "principal", _("Principal")
    CHARGE = "charge", _("Interest / profit")
    FEES = "fees", _("Fees")
    SAVINGS = "savings", _("Savings")
    PENALTY = "penalty", _("Penalty")


class Application(OrganizationScoped):
    """One allocation of money to a loan's installments: a repayment, or held credit applied.

    A back-dated payment re-allocates the later ones: their applications are withdrawn (and
    their ledger entries reversed) and new ones written, so the split always matches the ledger.
    """

    # Found by the (loan, is_active) index below, not an index of its own.
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="applications", db_index=False
    )
    repayment = models.ForeignKey(
        Repayment, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    reference = models.CharField(max_length=120)  # the engine's payment reference
    applied_on = models.DateField()
    from_credit = models.BooleanField(default=False)
    amount = models.DecimalField(max_digits=20, decimal_places=3)
    credit = models.DecimalField(max_digits=20, decimal_places=3, default=0)  # left as credit
    entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    withdrawn_by_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["applied_on", "id"]
        indexes = [
            # With the date and id beside the key, the repayment rates find a project's
            # allocations by their loans from the index alone (PostgreSQL; SQLite ignores
            # `include`).
            models.Index(
                fields=["loan", "is_active"],
                include=["applied_on", "id"],
                name="application_by_loan",
            ),
            # Close of business rebuilds a past day by what was applied after it: one range.
            models.Index(fields=["organization", "applied_on"]),
        ]


class ApplicationLine(OrganizationScoped):
    # Found by `line_by_application`, which carries what the repayment rates sum.
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    number = models.PositiveSmallIntegerField()
    component = models.CharField(max_length=10, choices=Component.choices)
    amount = models.DecimalField(max_digits=20, decimal_places=3)
    # The due date of the installment paid, copied when the payment is allocated: whether a
    # line was paid on time (the on-time repayment rate) is read from the line alone, without
    # joining a national book's millions of lines to its schedules.
    due_on = models.DateField()

    class Meta:
        indexes = [
            models.Index(
                fields=["application"],
                include=["component", "amount", "due_on"],
                name="line_by_application",
            ),
        ]


class ChangeKind(models.TextChoices):
    RESCHEDULE = "reschedule", _("Rescheduling")
    WRITE_OFF = "write_off", _("Write-off")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class LoanChange(OrganizationScoped):
    """A rescheduling or write-off asked for by one person and decided by another."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    reason = models.CharField(_("reason"), max_length=500)
    # For a rescheduling: {"term", "rate", "first_due", "frequency"}.
    terms = models.JSONField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_on = models.DateField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_on", "-id"]


class FollowUp(OrganizationScoped):
    """A loan officer's note on a late loan, with a promise to pay if the client made one."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="follow_ups")
    note = models.CharField(_("note"), max_length=500)
    promised_on = models.DateField(_("promised payment date"), null=True, blank=True)
    promised_amount = models.DecimalField(max_digits=20, decimal_places=3, null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]


class Attendance(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    LEAVE = "leave", _("Approved leave")
    LATE = "late", _("Late")


class CollectionSheet(OrganizationScoped):
    """A meeting's collections for a centre or a group, entered and posted as one."""

    branch = models.ForeignKey("orgs.Branch", on_delete=models.PROTECT, related_name="+")
    centre = models.ForeignKey(Centre, null=True, blank=True, on_delete=models.PROTECT)
    group = models.ForeignKey(SolidarityGroup, null=True, blank=True, on_delete=models.PROTECT)
    meeting_date = models.DateField()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(auto_now_add=True)


class CollectionLine(OrganizationScoped):
    sheet = models.ForeignKey(CollectionSheet, on_delete=models.PROTECT, related_name="lines")
    beneficiary = models.ForeignKey(
        "registry.Beneficiary", on_delete=models.PROTECT, related_name="+"
    )
    loan = models.ForeignKey(Loan, null=True, blank=True, on_delete=models.PROTECT)
    due = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    paid = models.DecimalField(max_digits=20, decimal_places=3, default=0)
    attendance = models.CharField(max_length=10, choices=Attendance.choices)
    repayment = models.OneToOneField(
        Repayment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )


class StatementOutcome(models.TextChoices):
    MATCHED = "matched", _("Matched: posted")
    DUPLICATE = "duplicate", _("Duplicate: imported before, nothing posted")


class BankStatement(OrganizationScoped):
    """A partner bank's statement as imported: who, when, which file, and what it posted.

    Only a statement accepted as a whole is kept (a refused one wrote nothing); its lines say,
    for the reconciliation page, which payment each one posted or was already posted as.
    """

    file_name = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=20, choices=RepaymentSource.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    lines = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")

    def __str__(self) -> str:
        return self.file_name


class BankStatementLine(OrganizationScoped):
    """One line of an imported statement and the repayment it posted (or had posted before)."""

    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="statement_lines"
    )
    line = models.PositiveIntegerField()
    value_date = models.DateField()
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="+")
    currency = currency_field()
    amount = amount_field(_("amount"))
    bank_reference = models.CharField(_("bank reference"), max_length=120)
    outcome = models.CharField(max_length=10, choices=StatementOutcome.choices)
    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["statement", "line"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "line"], name="statement_line_once"),
            money_constraint("amount", "currency", name="statement_line_amount_money"),
        ]
