"""Organisations, geography, branches, donor projects and the staff who use Tandir."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped, ThroughQuerySet, change_history
from tandir.core.money import amount_field, currency_field, money_constraint


class OrganizationKind(models.TextChoices):
    MFI = "mfi", _("Microfinance institution")
    AGENCY = "agency", _("Development agency")
    NETWORK = "network", _("Network / association")
    BANK = "bank", _("Partner bank")
    DONOR = "donor", _("Donor")


# The many-to-many tables, each carrying its organisation like every other business table, so
# scoping and a later distribution by organisation cover them too. They come first because the
# change history of the models that use them needs them defined.


class NetworkMembership(models.Model):
    """An organisation's membership of a network; `organization` is the member."""

    organization = models.ForeignKey("Organization", on_delete=models.CASCADE, related_name="+")
    network = models.ForeignKey("Organization", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "network"], name="network_member_once")
        ]


class BranchDistrict(OrganizationScoped):
    organization_source = "branch"
    objects = ThroughQuerySet.as_manager()

    branch = models.ForeignKey("Branch", on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey("District", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "district"], name="branch_district_once")
        ]


class ProjectDonor(OrganizationScoped):
    organization_source = "project"
    objects = ThroughQuerySet.as_manager()

    project = models.ForeignKey("Project", on_delete=models.CASCADE, related_name="+")
    donor = models.ForeignKey("Organization", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "donor"], name="project_donor_once")
        ]


class ProjectTargetGroup(OrganizationScoped):
    organization_source = "project"
    objects = ThroughQuerySet.as_manager()

    project = models.ForeignKey("Project", on_delete=models.CASCADE, related_name="+")
    targetgroup = models.ForeignKey("core.TargetGroup", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "targetgroup"], name="project_target_group_once"
            )
        ]


class ProjectDistrict(OrganizationScoped):
    organization_source = "project"
    objects = ThroughQuerySet.as_manager()

    project = models.ForeignKey("Project", on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey("District", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "district"], name="project_district_once")
        ]


class StaffBranch(OrganizationScoped):
    organization_source = "branch"
    objects = ThroughQuerySet.as_manager()

    staffuser = models.ForeignKey("StaffUser", on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("Branch", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staffuser", "branch"], name="staff_branch_once")
        ]


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    country = models.ForeignKey(
        "Country", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("country")
    )
    currency = currency_field(default="USD")
    networks = models.ManyToManyField(
        "self",
        through=NetworkMembership,
        through_fields=("organization", "network"),
        symmetrical=False,
        blank=True,
        related_name="members",
        limit_choices_to={"kind": OrganizationKind.NETWORK},
        verbose_name=_("member of networks"),
    )
    history = change_history(m2m_fields=[networks])

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Country(models.Model):
    code = models.CharField(max_length=2, unique=True)  # ISO 3166-1 alpha-2
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    """A region, province or economic zone of a country."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="regions")
    name = models.CharField(_("name"), max_length=100)
    name_local = models.CharField(_("local name"), max_length=100, blank=True)

    class Meta:
        ordering = ["country", "name"]
        constraints = [models.UniqueConstraint(fields=["country", "name"], name="region_unique")]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="districts")
    name = models.CharField(_("name"), max_length=100)
    name_local = models.CharField(_("local name"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="district_unique")]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Locality(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="localities")
    name = models.CharField(_("name"), max_length=100)
    name_local = models.CharField(_("local name"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="locality_unique")]
        verbose_name = _("locality")
        verbose_name_plural = _("localities")

    def __str__(self) -> str:
        return self.name


class Branch(OrganizationScoped):
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=20)
    districts = models.ManyToManyField(
        District, through=BranchDistrict, blank=True, verbose_name=_("districts served")
    )
    history = change_history(m2m_fields=[districts])

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="branch_code_unique")
        ]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")

    def __str__(self) -> str:
        return self.name


class Project(OrganizationScoped):
    """A donor-funded programme run by an organisation."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=30)
    donors = models.ManyToManyField(
        Organization,
        through=ProjectDonor,
        through_fields=("project", "donor"),
        blank=True,
        related_name="funded_projects",
        limit_choices_to={"kind": OrganizationKind.DONOR},
        verbose_name=_("donors"),
    )
    budget_amount = amount_field(_("budget"))
    budget_currency = currency_field()
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"))
    target_groups = models.ManyToManyField(
        "core.TargetGroup",
        through=ProjectTargetGroup,
        blank=True,
        verbose_name=_("target groups"),
    )
    districts = models.ManyToManyField(
        District, through=ProjectDistrict, blank=True, verbose_name=_("districts")
    )
    history = change_history(m2m_fields=[donors, target_groups, districts])

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="project_code_unique"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="project_dates_ordered"
            ),
            money_constraint("budget_amount", "budget_currency", name="project_budget_money"),
        ]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    INTAKE_OFFICER = "intake_officer", _("Intake officer")
    TRAINER = "trainer", _("Trainer")
    BUSINESS_ADVISOR = "business_advisor", _("Business advisor")
    LOAN_APPRAISER = "loan_appraiser", _("Loan appraiser")
    LOAN_OFFICER = "loan_officer", _("Loan officer")
    CREDIT_COMMITTEE = "credit_committee", _("Credit committee member")
    ACCOUNTANT = "accountant", _("Accountant")
    ME_OFFICER = "me_officer", _("M&E officer")
    NETWORK_ANALYST = "network_analyst", _("Network analyst")


class StaffUser(AbstractUser):
    """A person who uses Tandir: works in one organisation and one or more of its branches."""

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("organisation"),
    )
    role = models.CharField(
        _("role"), max_length=30, choices=Role.choices, default=Role.INTAKE_OFFICER
    )
    branches = models.ManyToManyField(
        Branch,
        through=StaffBranch,
        blank=True,
        related_name="staff",
        verbose_name=_("branches"),
    )
    preferred_language = models.CharField(_("language"), max_length=8, blank=True)
    # The password hash and the last login are not history a reviewer needs.
    history = change_history(excluded_fields=["password", "last_login"], m2m_fields=[branches])

    class Meta:
        verbose_name = _("staff user")
        verbose_name_plural = _("staff users")
