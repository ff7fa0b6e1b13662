"""Micro-business associations and SME clusters: members, elected officers, meetings with
attendance and minutes, membership dues and the support activities the programme runs with them.

An SME cluster (an agency's term: businesses of one sector and area grouped for joint support)
has the same shape as an association (members, meetings, activities), so it is the same model
with `kind = cluster`, which must name its sector and district; members of a cluster may name
the business they bring.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped, ThroughQuerySet, change_history
from tandir.core.money import amount_field, currency_field, money_constraint
from tandir.lending.models import Sector


class AssociationKind(models.TextChoices):
    ASSOCIATION = "association", _("Micro-business association")
    CLUSTER = "cluster", _("SME cluster")


class DuesPeriod(models.TextChoices):
    """Dues fall due at the start of each calendar period (paid in advance, as most do)."""

    MONTHLY = "monthly", _("Every month")
    QUARTERLY = "quarterly", _("Every quarter")
    YEARLY = "yearly", _("Every year")


class Office(models.TextChoices):
    CHAIR = "chair", _("Chair")
    DEPUTY_CHAIR = "deputy_chair", _("Deputy chair")
    SECRETARY = "secretary", _("Secretary")
    TREASURER = "treasurer", _("Treasurer")
    AUDITOR = "auditor", _("Auditor")


class ActivityKind(models.TextChoices):
    JOINT_PURCHASING = "joint_purchasing", _("Joint purchasing")
    MARKET_DAY = "market_day", _("Market day")
    TRAINING = "training", _("Training")
    TRADE_FAIR = "trade_fair", _("Trade fair")
    ADVICE = "advice", _("Advice and coaching")
    OTHER = "other", _("Other")


class Association(OrganizationScoped):
    """An association of a locality and/or a sector, or an SME cluster of a sector and area."""

    branch = models.ForeignKey(
        "orgs.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=AssociationKind.choices,
        default=AssociationKind.ASSOCIATION,
    )
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(
        _("sector"), max_length=20, choices=Sector.choices, blank=True, default=""
    )
    district = models.ForeignKey(
        "orgs.District",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("district"),
    )
    locality = models.ForeignKey(
        "orgs.Locality",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("locality"),
    )
    founded_on = models.DateField(_("founded on"))
    formed_with_programme = models.BooleanField(
        _("the programme helped form it"),
        default=False,
        help_text=_("Tick if the programme's staff helped the members set it up."),
    )
    purpose = models.TextField(_("purpose"), blank=True)
    # Dues: an amount per period in the organisation's currency; no amount means no dues.
    dues_amount = amount_field(_("dues per period"), null=True, blank=True)
    dues_currency = currency_field(blank=True)
    dues_period = models.CharField(
        _("dues period"), max_length=20, choices=DuesPeriod.choices, blank=True, default=""
    )
    dues_since = models.DateField(_("dues payable from"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = change_history()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        constraints = [
            money_constraint(
                "dues_amount", "dues_currency", name="association_dues_money", optional=True
            ),
            # Dues are an amount, a period and a first day together, or none of them.
            models.CheckConstraint(
                condition=(
                    models.Q(dues_amount__isnull=True, dues_period="", dues_since__isnull=True)
                    | (
                        models.Q(dues_amount__gt=0, dues_since__isnull=False)
                        & ~models.Q(dues_period="")
                    )
                ),
                name="association_dues_complete",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="cluster")
                | (~models.Q(sector="") & models.Q(district__isnull=False)),
                name="cluster_has_sector_and_area",
            ),
            models.CheckConstraint(
                condition=~models.Q(sector="") | models.Q(locality__isnull=False),
                name="association_has_locality_or_sector",
            ),
        ]
        indexes = [models.Index(fields=["organization", "branch", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def has_dues(self) -> bool:
        return self.dues_amount is not None


class Membership(OrganizationScoped):
    """A participant's membership of an association, from the day they joined to the day they
    left; a person who leaves and comes back has a second membership."""

    association = models.ForeignKey(
        Association, on_delete=models.PROTECT, related_name="memberships"
    )
    beneficiary = models.ForeignKey(
        "registry.Beneficiary",
        on_delete=models.PROTECT,
        related_name="association_memberships",
        verbose_name=_("participant"),
    )
    business_name = models.CharField(_("business"), max_length=200, blank=True)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    history = change_history()

    class Meta:
        ordering = ["association", "joined_on", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["association", "beneficiary"],
                condition=models.Q(left_on__isnull=True),
                name="association_member_once",
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("joined_on")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary_id} in {self.association_id}"

    def is_member_on(self, day: datetime.date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day <= self.left_on)


class OfficeTerm(OrganizationScoped):
    """A member elected to an office for a term; one holder of an office at a time."""

    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="terms")
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="terms", verbose_name=_("member")
    )
    office = models.CharField(_("office"), max_length=20, choices=Office.choices)
    starts_on = models.DateField(_("term starts on"))
    ends_on = models.DateField(_("term ends on"), null=True, blank=True)
    elected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = change_history()

    class Meta:
        ordering = ["association", "office", "-starts_on", "id"]
        verbose_name = _("term of office")
        verbose_name_plural = _("terms of office")
        constraints = [
            # The database's own guard for the commonest overlap; the action checks every date.
            models.UniqueConstraint(
                fields=["association", "office"],
                condition=models.Q(ends_on__isnull=True),
                name="one_open_term_per_office",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="office_term_dates_ordered",
            ),
        ]


class MeetingAttendance(OrganizationScoped):
    """A member present at a meeting (the many-to-many table, with its organisation)."""

    organization_source = "meeting"
    objects = ThroughQuerySet.as_manager()

    meeting = models.ForeignKey("Meeting", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "membership"], name="attended_once")
        ]


class Meeting(OrganizationScoped):
    association = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    attendees = models.ManyToManyField(
        Membership, through=MeetingAttendance, related_name="meetings", verbose_name=_("present")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = change_history(m2m_fields=[attendees])

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["association", "held_on"])]


class DuesPayment(OrganizationScoped):
    """Dues a member paid; what they still owe follows from the association's dues."""

    association = models.ForeignKey(
        Association, on_delete=models.PROTECT, related_name="dues_payments"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="payments", verbose_name=_("member")
    )
    paid_on = models.DateField(_("paid on"))
    amount = amount_field(_("amount"))
    currency = currency_field()
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = change_history()

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("dues payment")
        verbose_name_plural = _("dues payments")
        constraints = [
            money_constraint("amount", "currency", name="dues_payment_money"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="dues_payment_positive"),
        ]


class ActivityParticipant(OrganizationScoped):
    """A member who took part in a support activity (the many-to-many table)."""

    organization_source = "activity"
    objects = ThroughQuerySet.as_manager()

    activity = models.ForeignKey("SupportActivity", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "membership"], name="took_part_once")
        ]


class SupportActivity(OrganizationScoped):
    """Joint purchasing, a market day, a training: something the association did with support.

    `participants` counts everyone who took part, outsiders included; `members` are the
    association's own members among them.
    """

    association = models.ForeignKey(
        Association, on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    held_on = models.DateField(_("date"))
    description = models.TextField(_("description"))
    participants = models.PositiveIntegerField(_("participants"))
    members = models.ManyToManyField(
        Membership,
        through=ActivityParticipant,
        related_name="activities",
        blank=True,
        verbose_name=_("members who took part"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = change_history(m2m_fields=[members])

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("support activity")
        verbose_name_plural = _("support activities")
