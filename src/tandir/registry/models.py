"""Beneficiaries, their households, consent, status history and project enrolments."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped, ThroughQuerySet, change_history
from tandir.core.money import Money, amount_field, currency_field, money, money_constraint


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Age in whole years on `day`: the one rule for youth, the form's age limits and reports."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Status(models.TextChoices):
    """The programme pipeline, in order."""

    INTERESTED = "interested", _("Interested")
    REGISTERED = "registered", _("Registered")
    IN_TRAINING = "in_training", _("In training")
    TRAINED = "trained", _("Trained")
    PLANNING = "planning", _("Business planning")
    BORROWER = "borrower", _("Borrower")
    EXITED = "exited", _("Exited")


class Education(models.TextChoices):
    NONE = "none", _("No formal education")
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")
    VOCATIONAL = "vocational", _("Vocational")
    HIGHER = "higher", _("Higher")


class EconomicActivity(models.TextChoices):
    NONE = "none", _("No activity")
    EMPLOYED = "employed", _("Employed")
    CASUAL = "casual", _("Casual or seasonal work")
    OWN_BUSINESS = "own_business", _("Own business")
    FARMING = "farming", _("Farming")
    STUDENT = "student", _("Student")


class HeardVia(models.TextChoices):
    """How a person heard of the programme; outreach reports count these."""

    MEDIA = "media", _("Media (TV, radio, press, social)")
    EVENT = "event", _("Information event")
    REFERRAL = "referral", _("Referral (person or organisation)")
    OFFICE = "office", _("Came to the office")
    OTHER = "other", _("Other")


class IdDocument(models.TextChoices):
    """The kind of identity document an ID number comes from; numbers compare within a kind."""

    NATIONAL_ID = "national_id", _("National ID card")
    PASSPORT = "passport", _("Passport")
    REFUGEE_ID = "refugee_id", _("Refugee or asylum-seeker document")
    OTHER = "other", _("Other document")


class Household(OrganizationScoped):
    # The household rule's one home: the registrant is a member who is not their own
    # dependant, so dependants are fewer than members. The form and the database both use it.
    MAX_MEMBERS = 40

    members_count = models.PositiveSmallIntegerField(_("household members"))
    dependants = models.PositiveSmallIntegerField(_("dependants"), default=0)
    head_sex = models.CharField(_("sex of head of household"), max_length=10, choices=Sex.choices)
    monthly_income_amount = amount_field(_("monthly income at baseline"), null=True, blank=True)
    monthly_income_currency = currency_field(blank=True)
    changes = change_history()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dependants__lt=models.F("members_count")),
                name="household_dependants_fewer_than_members",
            ),
            money_constraint(
                "monthly_income_amount",
                "monthly_income_currency",
                name="household_income_money",
                optional=True,
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Household')} #{self.pk}"

    @property
    def monthly_income(self) -> Money | None:
        """The income with the currency's own decimals (the column keeps three)."""
        if self.monthly_income_amount is None:
            return None
        return money(self.monthly_income_amount, self.monthly_income_currency)

    @staticmethod
    def dependants_allowed(members: int, dependants: int) -> bool:
        return 0 <= dependants < members


class BeneficiaryTargetGroup(OrganizationScoped):
    """A person's membership of a target group (the many-to-many table, with its organisation)."""

    organization_source = "beneficiary"
    objects = ThroughQuerySet.as_manager()

    beneficiary = models.ForeignKey("Beneficiary", on_delete=models.CASCADE, related_name="+")
    targetgroup = models.ForeignKey("core.TargetGroup", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary", "targetgroup"], name="beneficiary_target_group_once"
            )
        ]


class Beneficiary(OrganizationScoped):
    # The person's own columns that registration sets: the form, the actions and the API's
    # input all work from this one list.
    PERSON_FIELDS = (
        "first_name", "patronymic", "last_name", "sex", "date_of_birth", "phone",
        "id_document", "national_id", "branch", "district", "locality", "education",
        "economic_activity", "heard_via", "heard_via_detail",
    )  # fmt: skip

    branch = models.ForeignKey(
        "orgs.Branch",
        on_delete=models.PROTECT,
        related_name="beneficiaries",
        verbose_name=_("branch"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    patronymic = models.CharField(_("patronymic / father's name"), max_length=100, blank=True)
    # Latin transliteration and a normalised key, kept so search and de-duplication work across
    # Armenian, Cyrillic and Latin spellings of one name.
    name_latin = models.CharField(max_length=310, editable=False, db_index=True)
    name_key = models.CharField(max_length=310, editable=False)
    last_name_key = models.CharField(max_length=100, editable=False)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"))
    # E.164 (+37491123456), parsed with the branch's country as the default region.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_document = models.CharField(
        _("ID document"),
        max_length=20,
        choices=IdDocument.choices,
        default=IdDocument.NATIONAL_ID,
    )
    # Normalised for its document kind (case, spaces, dashes), so one number compares equal
    # however it was typed.
    national_id = models.CharField(_("ID number"), max_length=40, null=True, blank=True)
    district = models.ForeignKey(
        "orgs.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    locality = models.ForeignKey(
        "orgs.Locality",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("locality"),
    )
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("household"),
    )
    target_groups = models.ManyToManyField(
        "core.TargetGroup",
        through=BeneficiaryTargetGroup,
        blank=True,
        related_name="beneficiaries",
        verbose_name=_("target groups"),
    )
    # An answer not given is stored as "" (not recorded), never as a made-up "Secondary".
    education = models.CharField(
        _("education"), max_length=20, choices=Education.choices, blank=True, default=""
    )
    economic_activity = models.CharField(
        _("current economic activity"),
        max_length=20,
        choices=EconomicActivity.choices,
        blank=True,
        default="",
    )
    heard_via = models.CharField(
        _("heard of the programme through"),
        max_length=20,
        choices=HeardVia.choices,
        blank=True,
        default="",
    )
    heard_via_detail = models.CharField(_("details"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registered_on = models.DateField(_("registered on"))
    possible_duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # `history` is the pipeline's status history; `changes` is every change to the record.
    changes = change_history(
        m2m_fields=[target_groups], excluded_fields=["name_latin", "name_key", "last_name_key"]
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            # The database itself refuses a second person with the same phone or national ID,
            # so two officers registering at once cannot both succeed.
            models.UniqueConstraint(
                fields=["organization", "id_document", "national_id"],
                condition=models.Q(national_id__isnull=False, merged_into__isnull=True),
                name="beneficiary_id_number_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "phone"],
                condition=~models.Q(phone="") & models.Q(merged_into__isnull=True),
                name="beneficiary_phone_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "branch", "status"]),
            models.Index(fields=["district", "last_name_key"]),
            models.Index(fields=["district", "date_of_birth"]),
            # The list pages' order, within an organisation and within a branch.
            models.Index(
                fields=["organization", "last_name", "first_name", "id"],
                name="beneficiary_org_order",
            ),
            models.Index(
                fields=["branch", "last_name", "first_name", "id"], name="beneficiary_branch_order"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.patronymic, self.last_name) if p)

    def age_on(self, day: datetime.date) -> int:
        return age_on(self.date_of_birth, day)

    @property
    def is_youth(self) -> bool:
        return self.age_on(timezone.localdate()) <= settings.TANDIR_YOUTH_MAX_AGE


class StatusChange(OrganizationScoped):
    """Dated history of a beneficiary's status; the list view never has to rebuild it."""

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    changed_on = models.DateField()
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]


class Enrolment(OrganizationScoped):
    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="enrolments"
    )
    project = models.ForeignKey("orgs.Project", on_delete=models.PROTECT, related_name="enrolments")
    enrolled_on = models.DateField(_("enrolled on"))
    changes = change_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["beneficiary", "project"], name="enrolment_unique")
        ]


class Consent(OrganizationScoped):
    """What the person agreed to, and when; withdrawing stops follow-up surveys and sharing."""

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="consents")
    given_on = models.DateField(_("consent given on"))
    programme_use = models.BooleanField(_("use in the programme"), default=True)
    follow_up_surveys = models.BooleanField(_("follow-up surveys"), default=False)
    network_sharing = models.BooleanField(_("anonymised sharing with the network"), default=False)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.CharField(_("reason"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changes = change_history()

    class Meta:
        ordering = ["-given_on", "-id"]
        constraints = [
            # A person has at most one consent in force; a new one closes the old.
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=models.Q(withdrawn_on__isnull=True),
                name="one_consent_in_force",
            )
        ]

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


class Merge(OrganizationScoped):
    """A record that two registrations were the same person; the duplicate is kept, pointed at."""

    kept = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="+")
    duplicate = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="+")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)


class AliasKind(models.TextChoices):
    NAME = "name", _("Name")
    PHONE = "phone", _("Phone")
    ID_NUMBER = "national_id", _("ID number")


class BeneficiaryAlias(OrganizationScoped):
    """Another spelling, phone or ID a person was registered under, kept when records merge,
    so a search for the other spelling still finds them."""

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=20, choices=AliasKind.choices)
    value = models.CharField(max_length=310)
    # For names, the Latin form and spelling-insensitive key, as on the person.
    name_latin = models.CharField(max_length=310, blank=True)
    name_key = models.CharField(max_length=310, blank=True)
    merge = models.ForeignKey(Merge, null=True, on_delete=models.PROTECT, related_name="aliases")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary", "kind", "value"], name="beneficiary_alias_once"
            )
        ]
        indexes = [models.Index(fields=["organization", "kind", "value"])]

    def __str__(self) -> str:
        return self.value
