"""Impact monitoring: survey instruments (versioned, with coded questions), the people's answers
at baseline and follow-up, and the rounds that say when a follow-up falls due.

An instrument is a questionnaire with a stable code (`baseline`, `follow-up-12`); its questions
live in versions, so changing a question never changes what an earlier answer meant. A response
is one person's answers to one version on one date; an answer is stored typed (a number or money
amount in `number`, a choice's name or free text in `text`, a date in `date`) under the
question's code, which reports read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped
from tandir.core.money import currency_field


class InstrumentKind(models.TextChoices):
    BASELINE = "baseline", _("Baseline (at intake)")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Anchor(models.TextChoices):
    """The event a follow-up is counted from."""

    DISBURSEMENT = "disbursement", _("Months after the loan was disbursed")
    COMPLETION = "completion", _("Months after the training was completed")


class Instrument(OrganizationScoped):
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=InstrumentKind.choices)
    # Follow-ups only: due `months_after` months after the anchor event.
    anchor = models.CharField(_("counted from"), max_length=20, choices=Anchor.choices, blank=True)
    months_after = models.PositiveSmallIntegerField(_("months after"), null=True, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "kind", "months_after", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="instrument_code_unique"),
            models.CheckConstraint(
                condition=Q(kind="baseline", anchor="", months_after__isnull=True)
                | Q(kind="follow_up", months_after__gte=1) & ~Q(anchor=""),
                name="instrument_follow_up_timing",
            ),
        ]
        verbose_name = _("survey instrument")
        verbose_name_plural = _("survey instruments")

    def __str__(self) -> str:
        return self.name


class InstrumentVersion(OrganizationScoped):
    """The questions of an instrument as they were asked from `created_at` on; the highest
    published number is the one in use."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["instrument", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "number"], name="instrument_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} v{self.number}"


class QuestionType(models.TextChoices):
    NUMBER = "number", _("Number")
    MONEY = "money", _("Money")
    CHOICE = "choice", _("Choice")
    SCALE = "scale", _("Scale")
    DATE = "date", _("Date")
    TEXT = "text", _("Text")


class Question(OrganizationScoped):
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField()
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(_("question"), max_length=300)
    type = models.CharField(_("type"), max_length=10, choices=QuestionType.choices)
    required = models.BooleanField(_("required"), default=False)
    # Numbers, money and scales: the allowed range, both ends included.
    min_value = models.DecimalField(
        _("lowest"), max_digits=20, decimal_places=3, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("highest"), max_digits=20, decimal_places=3, null=True, blank=True
    )
    # Choices: [{"name": "better", "label": "Better"}, ...]; names are what answers store.
    choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="question_code_once"),
            models.UniqueConstraint(fields=["version", "position"], name="question_position_once"),
        ]

    def __str__(self) -> str:
        return self.code


class ResponseSource(models.TextChoices):
    WEB = "web", _("Entered in Tandir")
    IMPORT = "import", _("Imported sheet")
    KOBO = "kobo", _("KoboToolbox / ODK export")


class Response(OrganizationScoped):
    """One person's answers to one instrument version, taken on one date. A person answers each
    instrument once (a follow-up round is its own instrument)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="+")
    beneficiary = models.ForeignKey(
        "registry.Beneficiary", on_delete=models.PROTECT, related_name="survey_responses"
    )
    branch = models.ForeignKey("orgs.Branch", on_delete=models.PROTECT, related_name="+")
    taken_on = models.DateField(_("date of interview"))
    # The currency money answers are in: the organisation's at the time of the interview.
    currency = currency_field()
    source = models.CharField(max_length=10, choices=ResponseSource.choices)
    # A submission's id in the tool it came from (KoboToolbox `_uuid`): importing twice posts
    # nothing twice.
    reference = models.CharField(max_length=120, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "beneficiary"], name="response_once_per_instrument"
            ),
        ]
        indexes = [models.Index(fields=["organization", "instrument", "taken_on"])]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"{self.instrument.code} {self.beneficiary_id} {self.taken_on}"


class Answer(OrganizationScoped):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=60)  # the question's code, for reports
    number = models.DecimalField(max_digits=20, decimal_places=3, null=True, blank=True)
    text = models.TextField(blank=True)
    date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_once"),
        ]
        indexes = [models.Index(fields=["organization", "code"])]
