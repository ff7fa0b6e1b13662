"""Small-business training: the curriculum (modules and courses, SIYB-style levels with
prerequisites), venues and partner institutions, cohorts with their trainers, sessions,
participants and attendance, and the certificates a public page verifies."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped, ThroughQuerySet, change_history


class Level(models.TextChoices):
    """The ILO's Start and Improve Your Business family, the model many programmes follow."""

    GYB = "gyb", _("Generate Your Business idea")
    SYB = "syb", _("Start Your Business")
    IYB = "iyb", _("Improve Your Business")
    EYB = "eyb", _("Expand Your Business")
    OTHER = "other", _("Other course")


class InstitutionKind(models.TextChoices):
    NATIONAL_INSTITUTE = "institute", _("National institute")
    UNIVERSITY = "university", _("University or college")
    AGENCY = "agency", _("SME agency")
    CHAMBER = "chamber", _("Chamber of commerce")
    NGO = "ngo", _("Non-governmental organisation")
    OTHER = "other", _("Other")


class PartnerInstitution(OrganizationScoped):
    """An institution that supplies trainers (or co-organises events) for the programme."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=InstitutionKind.choices, default=InstitutionKind.OTHER
    )
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    changes = change_history()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="institution_name_once")
        ]
        verbose_name = _("partner institution")
        verbose_name_plural = _("partner institutions")

    def __str__(self) -> str:
        return self.name


class Module(OrganizationScoped):
    """One subject of the curriculum: management, accounting and taxation, marketing, ..."""

    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    objectives = models.TextField(_("objectives"), blank=True)
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    language = models.CharField(_("taught in"), max_length=8, choices=settings.LANGUAGES)
    changes = change_history()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="module_code_once"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="module_hours_positive"),
        ]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self) -> str:
        return self.title


class Material(OrganizationScoped):
    """A file a module is taught with: a handout, slides, a workbook."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(upload_to="training/materials/%Y/")
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.name


class CourseModule(OrganizationScoped):
    """A module's place in a course."""

    organization_source = "course"
    objects = ThroughQuerySet.as_manager()

    course = models.ForeignKey("Course", on_delete=models.CASCADE, related_name="parts")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "module"], name="course_module_once")
        ]


class Course(OrganizationScoped):
    """An ordered set of modules, with the rule for completing it."""

    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.OTHER)
    prerequisite = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_courses",
        verbose_name=_("requires completing"),
    )
    modules = models.ManyToManyField(
        Module, through=CourseModule, blank=True, verbose_name=_("modules")
    )
    # Share of the cohort's sessions a participant must attend, in percent.
    min_attendance = models.DecimalField(
        _("minimum attendance (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(80),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    # A final assessment, scored out of 100; empty when the course has none.
    pass_score = models.DecimalField(
        _("pass mark of the final assessment"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    changes = change_history(m2m_fields=[modules])

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="course_code_once"),
            models.CheckConstraint(
                condition=models.Q(min_attendance__gte=0, min_attendance__lte=100),
                name="course_attendance_share",
            ),
            models.CheckConstraint(
                condition=models.Q(pass_score__isnull=True)
                | models.Q(pass_score__gte=0, pass_score__lte=100),
                name="course_pass_score_range",
            ),
        ]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title

    @property
    def hours(self) -> Decimal:
        return sum((part.module.hours for part in self.parts.all()), Decimal(0))


class VenueKind(models.TextChoices):
    SMB_CENTRE = "smb_centre", _("SMB development centre")
    BRANCH_OFFICE = "branch_office", _("Branch office")
    PARTNER = "partner", _("Partner's premises")
    COMMUNITY = "community", _("Community hall")
    OTHER = "other", _("Other")


class Venue(OrganizationScoped):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=VenueKind.choices, default=VenueKind.SMB_CENTRE
    )
    district = models.ForeignKey(
        "orgs.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    capacity = models.PositiveSmallIntegerField(_("seats"), validators=[MinValueValidator(1)])
    changes = change_history()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="venue_name_once"),
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="venue_has_seats"),
        ]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self) -> str:
        return self.name


class CohortStatus(models.TextChoices):
    OPEN = "open", _("Open")
    COMPLETED = "completed", _("Completed")


class CohortTrainer(OrganizationScoped):
    organization_source = "cohort"
    objects = ThroughQuerySet.as_manager()

    cohort = models.ForeignKey("Cohort", on_delete=models.CASCADE, related_name="+")
    staffuser = models.ForeignKey("orgs.StaffUser", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "staffuser"], name="cohort_trainer_once")
        ]


class Cohort(OrganizationScoped):
    """A course run at a venue, for a branch, by its trainers, between two dates."""

    code = models.SlugField(_("code"), max_length=40)
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="cohorts", verbose_name=_("course")
    )
    venue = models.ForeignKey(
        Venue, on_delete=models.PROTECT, related_name="cohorts", verbose_name=_("venue")
    )
    branch = models.ForeignKey(
        "orgs.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    institution = models.ForeignKey(
        PartnerInstitution,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cohorts",
        verbose_name=_("trainers from"),
    )
    trainers = models.ManyToManyField(
        "orgs.StaffUser", through=CohortTrainer, related_name="+", verbose_name=_("trainers")
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    capacity = models.PositiveSmallIntegerField(_("places"), validators=[MinValueValidator(1)])
    # Who may enrol: people of this project and/or this target group (empty: anyone eligible).
    project = models.ForeignKey(
        "orgs.Project",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("for the project"),
    )
    target_group = models.ForeignKey(
        "core.TargetGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("for the target group"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CohortStatus.choices, default=CohortStatus.OPEN
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    changes = change_history(m2m_fields=[trainers])

    class Meta:
        ordering = ["-starts_on", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="cohort_code_once"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="cohort_dates_ordered",
            ),
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="cohort_has_places"),
        ]
        indexes = [models.Index(fields=["organization", "branch", "status"])]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")

    def __str__(self) -> str:
        return self.code


class Session(OrganizationScoped):
    """One day of a cohort's course, on one module."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("date"))
    module = models.ForeignKey(
        Module,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("module"),
    )
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    changes = change_history()

    class Meta:
        ordering = ["held_on", "id"]
        constraints = [
            # One session a day: the date names the session on an attendance sheet.
            models.UniqueConstraint(fields=["cohort", "held_on"], name="session_day_once")
        ]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return f"{self.cohort_id} {self.held_on}"


class ParticipantStatus(models.TextChoices):
    WAITING = "waiting", _("On the waiting list")
    ENROLLED = "enrolled", _("Enrolled")
    COMPLETED = "completed", _("Completed")
    NOT_COMPLETED = "not_completed", _("Did not complete")
    DROPPED = "dropped", _("Dropped out")


# Participants who hold a place in the cohort (the waiting list and drop-outs do not).
HOLDS_PLACE = (ParticipantStatus.ENROLLED, ParticipantStatus.COMPLETED)


class Participant(OrganizationScoped):
    """A registered person's place in a cohort (or on its waiting list), and how it ended."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="participants")
    beneficiary = models.ForeignKey(
        "registry.Beneficiary", on_delete=models.PROTECT, related_name="training_places"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ParticipantStatus.choices, default="enrolled"
    )
    applied_on = models.DateField(_("applied on"))
    enrolled_on = models.DateField(_("enrolled on"), null=True, blank=True)
    score = models.DecimalField(
        _("assessment score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    dropped_on = models.DateField(_("dropped out on"), null=True, blank=True)
    drop_reason = models.CharField(_("reason"), max_length=300, blank=True)
    changes = change_history()

    class Meta:
        ordering = ["beneficiary__last_name", "beneficiary__first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "beneficiary"], name="participant_once"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=100),
                name="participant_score_range",
            ),
        ]
        indexes = [models.Index(fields=["cohort", "status"])]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return f"{self.cohort_id}/{self.beneficiary_id}"


class Mark(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class Attendance(OrganizationScoped):
    """Whether a participant came to a session; the latest mark, with its history kept."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attendance"
    )
    mark = models.CharField(_("attendance"), max_length=10, choices=Mark.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)
    changes = change_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "participant"], name="attendance_once")
        ]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")


class Certificate(OrganizationScoped):
    """Proof that a participant completed a course; its code is checked on a public page."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(max_length=20, unique=True)
    issued_on = models.DateField(_("issued on"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changes = change_history()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.code

    @property
    def shown_code(self) -> str:
        """The code in groups of four, easier to read out and type."""
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))
