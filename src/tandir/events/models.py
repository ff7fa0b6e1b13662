"""Events (conferences, forums, trade fairs, investor roadshows, trainings of trainers) with
their registrations and attendance; the investor pipeline of a roadshow; cooperation agreements
(memoranda of understanding) with partner institutions and their action plans.

An event belongs to the organisation that holds it. A network's event (the network conference)
is open to its member organisations: each registration belongs to the organisation whose person
it is, so a member's staff see and manage their own people and only counts of the others'.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped, ThroughQuerySet, change_history
from tandir.core.money import amount_field, currency_field, money_constraint


class EventKind(models.TextChoices):
    CONFERENCE = "conference", _("Conference")
    FORUM = "forum", _("Forum")
    TRADE_FAIR = "trade_fair", _("Trade fair")
    ROADSHOW = "roadshow", _("Investor roadshow")
    TRAINING_OF_TRAINERS = "training_of_trainers", _("Training of trainers")


class EventPartner(OrganizationScoped):
    """A partner institution that organises an event with the organisation."""

    organization_source = "event"
    objects = ThroughQuerySet.as_manager()

    event = models.ForeignKey("Event", on_delete=models.CASCADE, related_name="+")
    partnerinstitution = models.ForeignKey(
        "training.PartnerInstitution", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "partnerinstitution"], name="event_partner_once"
            )
        ]


class Event(OrganizationScoped):
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    description = models.TextField(_("description"), blank=True)
    partners = models.ManyToManyField(
        "training.PartnerInstitution",
        through=EventPartner,
        blank=True,
        related_name="+",
        verbose_name=_("partner institutions organising it"),
    )
    created_by = models.ForeignKey(
        "orgs.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = change_history(m2m_fields=[partners])

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="event_dates_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(place="") | ~Q(online_link=""), name="event_has_a_place"
            ),
        ]
        indexes = [models.Index(fields=["organization", "starts_on"])]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.title

    @property
    def is_roadshow(self) -> bool:
        return self.kind == EventKind.ROADSHOW

    def has_started(self, today: datetime.date) -> bool:
        return self.starts_on <= today


class ParticipantKind(models.TextChoices):
    BENEFICIARY = "beneficiary", _("Participant of the programme")
    STAFF = "staff", _("Staff")
    OUTSIDE = "outside", _("Outside participant")


class Registration(OrganizationScoped):
    """A person registered for an event. `organization` is the organisation whose person it is
    (the beneficiary's, the staff member's, or the one that registered an outside participant),
    which may differ from the event's for a network's event."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    kind = models.CharField(_("kind"), max_length=20, choices=ParticipantKind.choices)
    beneficiary = models.ForeignKey(
        "registry.Beneficiary",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("participant"),
    )
    staff = models.ForeignKey(
        "orgs.StaffUser",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff member"),
    )
    # An outside participant's details: personal data, shown only to staff with the right.
    name = models.CharField(_("name"), max_length=200, blank=True)
    affiliation = models.CharField(_("organisation"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    registered_on = models.DateField(_("registered on"))
    registered_by = models.ForeignKey("orgs.StaffUser", on_delete=models.PROTECT, related_name="+")
    attended = models.BooleanField(_("attended"), default=False)
    attendance_by = models.ForeignKey(
        "orgs.StaffUser", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = change_history()

    class Meta:
        ordering = ["event", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "beneficiary"],
                condition=Q(beneficiary__isnull=False),
                name="event_beneficiary_once",
            ),
            models.UniqueConstraint(
                fields=["event", "staff"],
                condition=Q(staff__isnull=False),
                name="event_staff_once",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="beneficiary", beneficiary__isnull=False, staff__isnull=True)
                    | Q(kind="staff", staff__isnull=False, beneficiary__isnull=True)
                    | (
                        Q(kind="outside", beneficiary__isnull=True, staff__isnull=True)
                        & ~Q(name="")
                    )
                ),
                name="registration_names_one_person",
            ),
        ]
        indexes = [models.Index(fields=["event", "organization"])]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.beneficiary is not None:
            return self.beneficiary.full_name
        if self.staff is not None:
            return self.staff.get_full_name() or self.staff.username
        return self.name


# --- Investor pipeline -------------------------------------------------------------------------


class InvestorKind(models.TextChoices):
    ANGEL = "angel", _("Business angel")
    FUND = "fund", _("Investment fund")
    BANK = "bank", _("Bank")
    COMPANY = "company", _("Company")
    DIASPORA = "diaspora", _("Diaspora investor")
    IMPACT = "impact", _("Impact investor or donor")


class Investor(OrganizationScoped):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=InvestorKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    history = change_history()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="investor_name_unique")
        ]
        verbose_name = _("investor")
        verbose_name_plural = _("investors")

    def __str__(self) -> str:
        return self.name


class PitchedProject(OrganizationScoped):
    """An entrepreneur's project presented to investors at a roadshow."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="projects")
    beneficiary = models.ForeignKey(
        "registry.Beneficiary",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entrepreneur"),
    )
    title = models.CharField(_("project title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    amount_sought = amount_field(_("amount sought"))
    currency = currency_field()
    created_by = models.ForeignKey("orgs.StaffUser", on_delete=models.PROTECT, related_name="+")
    history = change_history()

    class Meta:
        ordering = ["event", "title", "pk"]
        constraints = [
            money_constraint("amount_sought", "currency", name="pitched_project_amount_money"),
            models.CheckConstraint(
                condition=Q(amount_sought__gt=0), name="pitched_project_amount_positive"
            ),
        ]
        verbose_name = _("project presented")
        verbose_name_plural = _("projects presented")

    def __str__(self) -> str:
        return self.title


class Outcome(models.TextChoices):
    MET = "met", _("Met")
    INTERESTED = "interested", _("Interested")
    TERM_SHEET = "term_sheet", _("Term sheet")
    INVESTED = "invested", _("Invested")
    DECLINED = "declined", _("Declined")


class InvestorInterest(OrganizationScoped):
    """One investor and one project: where their conversation stands."""

    project = models.ForeignKey(PitchedProject, on_delete=models.PROTECT, related_name="interests")
    investor = models.ForeignKey(Investor, on_delete=models.PROTECT, related_name="interests")
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.MET
    )
    invested_amount = amount_field(_("amount invested"), null=True, blank=True)
    invested_currency = currency_field(blank=True, default="")
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    history = change_history()

    class Meta:
        ordering = ["project", "investor__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "investor"], name="investor_interest_once"),
            money_constraint(
                "invested_amount",
                "invested_currency",
                name="investor_interest_invested_money",
                optional=True,
            ),
            models.CheckConstraint(
                condition=(
                    Q(outcome="invested", invested_amount__gt=0)
                    | (~Q(outcome="invested") & Q(invested_amount__isnull=True))
                ),
                name="investor_interest_invested_has_amount",
            ),
        ]
        verbose_name = _("investor interest")
        verbose_name_plural = _("investor interests")

    def __str__(self) -> str:
        return f"{self.investor_id} · {self.project_id} · {self.outcome}"


class InvestorMeeting(OrganizationScoped):
    """A meeting between an entrepreneur and an investor, with the follow-up it asks for."""

    interest = models.ForeignKey(
        InvestorInterest, on_delete=models.PROTECT, related_name="meetings"
    )
    met_on = models.DateField(_("met on"))
    notes = models.TextField(_("notes"), blank=True)
    follow_up = models.CharField(_("follow-up"), max_length=300, blank=True)
    follow_up_on = models.DateField(_("follow up by"), null=True, blank=True)
    recorded_by = models.ForeignKey("orgs.StaffUser", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["interest", "met_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up_on__isnull=True) | Q(follow_up_on__gte=models.F("met_on")),
                name="investor_meeting_follow_up_after",
            )
        ]
        verbose_name = _("investor meeting")
        verbose_name_plural = _("investor meetings")

    def __str__(self) -> str:
        return f"{self.interest_id} on {self.met_on}"


# --- Cooperation agreements --------------------------------------------------------------------


class Agreement(OrganizationScoped):
    """A cooperation agreement (memorandum of understanding) with a partner institution."""

    partner = models.ForeignKey(
        "training.PartnerInstitution",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("partner institution"),
    )
    title = models.CharField(_("title"), max_length=200)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    signed_on = models.DateField(_("signed on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    summary = models.TextField(_("purpose"), blank=True)
    created_by = models.ForeignKey("orgs.StaffUser", on_delete=models.PROTECT, related_name="+")
    history = change_history()

    class Meta:
        ordering = ["-signed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("signed_on")),
                name="agreement_valid_after_signing",
            )
        ]
        verbose_name = _("cooperation agreement")
        verbose_name_plural = _("cooperation agreements")

    def __str__(self) -> str:
        return self.title

    def in_force(self, today: datetime.date) -> bool:
        return self.signed_on <= today and (self.valid_until is None or today <= self.valid_until)


class Party(models.TextChoices):
    OURSELVES = "ourselves", _("Our organisation")
    PARTNER = "partner", _("The partner")
    JOINT = "joint", _("Both together")


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ACTIVITY = (ActivityStatus.PLANNED, ActivityStatus.IN_PROGRESS)


class Activity(OrganizationScoped):
    """An activity of an agreement's action plan."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="activities")
    description = models.CharField(_("activity"), max_length=300)
    responsible_party = models.CharField(
        _("responsible party"), max_length=20, choices=Party.choices
    )
    responsible_person = models.CharField(_("responsible person"), max_length=200, blank=True)
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    history = change_history()

    class Meta:
        ordering = ["agreement", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", done_on__isnull=False)
                | (~Q(status="done") & Q(done_on__isnull=True)),
                name="activity_done_has_a_date",
            )
        ]
        indexes = [models.Index(fields=["organization", "status", "due_on"])]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.description

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status in OPEN_ACTIVITY and self.due_on < today
