"""Shared models: the organisation-scoped base, target groups and the access log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class OrganizationScoped(models.Model):
    """Every business row carries its organisation: the unit of scoping and of distribution."""

    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )

    class Meta:
        abstract = True


YOUTH = "youth"

# The names the seed migration gives the standard groups, marked so the catalogues carry them;
# `TargetGroup.__str__` translates a group's name at display time.
STANDARD_GROUP_NAMES = [
    gettext_noop("Refugee"),
    gettext_noop("Returnee"),
    gettext_noop("Internally displaced person"),
    gettext_noop("Woman-headed household"),
    gettext_noop("Low income"),
    gettext_noop("Youth"),
    gettext_noop("Victim of trafficking"),
    gettext_noop("Person with disability"),
]


class TargetGroup(models.Model):
    """A group the programme serves (refugee, youth, ...). Protected groups need a special right."""

    code = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_protected = models.BooleanField(
        _("protected"),
        default=False,
        help_text=_("Visible only to roles with the right to see protected categories."),
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    # Membership of these groups follows from other facts and is never ticked by hand.
    DERIVED_CODES = frozenset({YOUTH})

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")

    def __str__(self) -> str:
        return str(_(self.name))


class AccessLog(models.Model):
    """Who looked at a protected record, when, and through which channel."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(max_length=50)
    record_id = models.BigIntegerField()
    channel = models.CharField(max_length=20)  # web, api, export, admin
    action = models.CharField(max_length=20, default="view")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["record_type", "record_id"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.record_type}#{self.record_id} at {self.at}"
