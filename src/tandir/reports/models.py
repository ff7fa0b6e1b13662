"""What reports keep: the exchange rates donor reports convert with, a member's choice to share
with its networks, the anonymised figures a member publishes to a network, and the runs of long
reports with their progress and file.

Reports themselves are computed from the records and the daily snapshots; nothing here is a
copy of a person's data. `NetworkFigure` is the only thing a network analyst's pages read: an
aggregate with its count of people, suppressed (no value, no count) when fewer than five people
are behind it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tandir.core.models import OrganizationScoped
from tandir.core.money import currency_field


class ExchangeRate(OrganizationScoped):
    """One unit of `from_currency` is worth `rate` units of `to_currency` on `on`."""

    on = models.DateField(_("date"))
    from_currency = currency_field(_("from"))
    to_currency = currency_field(_("to"))
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=8)
    source = models.CharField(_("source"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "from_currency", "to_currency", "-on"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "from_currency", "to_currency", "on"],
                name="exchange_rate_once_a_day",
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(
                condition=~models.Q(from_currency=models.F("to_currency")),
                name="exchange_rate_two_currencies",
            ),
        ]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")

    def __str__(self) -> str:
        return f"{self.on} 1 {self.from_currency} = {self.rate} {self.to_currency}"


class NetworkShare(OrganizationScoped):
    """A member's decision about sharing its figures with one of its networks. No row: the
    member shares (membership of a network is the agreement to report to it)."""

    network = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    excluded = models.BooleanField(_("excluded from sharing"), default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "network"], name="network_share_once")
        ]


class NetworkFigure(OrganizationScoped):
    """One anonymised figure a member (`organization`) published to a network for a date.

    `dimension` and `category` name a disaggregation ("" and "" for the total, "sex" and
    "female", "sector" and "trade", ...); never a person, a branch below the suppression
    threshold or anything else that points at someone.
    """

    network = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField()
    indicator = models.CharField(max_length=60)
    dimension = models.CharField(max_length=30, blank=True)
    category = models.CharField(max_length=60, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # Null when suppressed: fewer than five people behind the figure.
    value = models.DecimalField(max_digits=24, decimal_places=4, null=True)
    people = models.PositiveIntegerField(null=True)
    suppressed = models.BooleanField(default=False)
    published_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "organization",
                    "network",
                    "as_of",
                    "indicator",
                    "dimension",
                    "category",
                    "currency",
                ],
                name="network_figure_once",
            )
        ]
        indexes = [models.Index(fields=["network", "as_of"], name="network_figure_day")]


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")


class ReportRun(OrganizationScoped):
    """A long report made by the worker: its parameters, progress and the file it made."""

    kind = models.CharField(max_length=30)  # "donor", "portfolio", ...
    parameters = models.JSONField(default=dict)
    format = models.CharField(max_length=10)  # "pdf", "xlsx", "json"
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    message = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
