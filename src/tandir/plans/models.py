"""Business plans: a participant's plan, prepared with a business advisor, and its versions.

A plan's content (idea, market, start-up costs, twelve months of revenue and costs with their
season, the household's expenses) lives in a `PlanVersion`, as a JSON document read by
`tandir.plans.cashflow`. The draft version is edited in place; submitting it for review freezes
it, and an edit after that starts a new draft, so what a reviewer or the credit committee saw is
kept as it was. Every write is in `tandir.plans.actions`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped, change_history
from tandir.core.money import currency_field
from tandir.lending.models import LoanStatus


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    UNDER_REVIEW = "under_review", _("Under advisor review")
    READY = "ready_for_appraisal", _("Ready for appraisal")
    FINANCED = "financed", _("Financed")
    NOT_FINANCED = "not_financed", _("Not financed")


# A plan is financed when the loan it was sent with is paid out, and not financed when that
# application is rejected or withdrawn: the loan's state says so, the plan does not copy it.
FINANCED_LOAN = (
    LoanStatus.ACTIVE,
    LoanStatus.CLOSED,
    LoanStatus.WRITTEN_OFF,
    LoanStatus.OVERPAID,
)
REFUSED_LOAN = (LoanStatus.REJECTED, LoanStatus.WITHDRAWN)


class BusinessPlan(OrganizationScoped):
    beneficiary = models.ForeignKey(
        "registry.Beneficiary", on_delete=models.PROTECT, related_name="business_plans"
    )
    # The participant's branch when the plan was started: the scope of the plan.
    branch = models.ForeignKey("orgs.Branch", on_delete=models.PROTECT, related_name="+")
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="advised_plans",
        verbose_name=_("business advisor"),
    )
    title = models.CharField(_("business"), max_length=200)
    currency = currency_field()
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    current_version = models.ForeignKey(
        "PlanVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The loan application the plan was sent to appraisal with.
    loan = models.ForeignKey(
        "lending.Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_on = models.DateField(_("sent to appraisal on"), null=True, blank=True)
    closed_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = change_history()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["advisor", "status"]),
            models.Index(fields=["branch", "status"]),
        ]
        verbose_name = _("business plan")
        verbose_name_plural = _("business plans")

    def __str__(self) -> str:
        return self.title

    @property
    def shown_status(self) -> str:
        """The status with the loan's outcome: financed once it is paid out."""
        loan_status = getattr(self, "loan_status", None)
        if loan_status is None and self.loan_id is not None and self.loan is not None:
            loan_status = self.loan.status
        if loan_status in FINANCED_LOAN:
            return PlanStatus.FINANCED
        if loan_status in REFUSED_LOAN:
            return PlanStatus.NOT_FINANCED
        return str(self.status)

    def get_shown_status_display(self) -> str:
        return str(PlanStatus(self.shown_status).label)


class VersionKind(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for review")


class PlanVersion(OrganizationScoped):
    """The plan's content at one time. A frozen version is never changed again."""

    plan = models.ForeignKey(BusinessPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField(default=dict)
    frozen = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_once"),
            # One editable draft per plan at a time.
            models.UniqueConstraint(
                fields=["plan"], condition=models.Q(frozen=False), name="plan_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class PlanReview(OrganizationScoped):
    """An advisor's review of a submitted version: accepted for appraisal or sent back."""

    plan = models.ForeignKey(BusinessPlan, on_delete=models.PROTECT, related_name="reviews")
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    accepted = models.BooleanField()
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
