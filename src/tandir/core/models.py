"""Shared models: the organisation-scoped base, target groups and the access log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from simple_history.models import HistoricalRecords


class HistoryChannel(models.Model):
    """Base of every historical (change history) model: the channel the change came through."""

    history_channel = models.CharField(max_length=20, default="", editable=False)

    class Meta:
        abstract = True


def change_history(**options: object) -> HistoricalRecords:
    """Change history of a business record: who, when, through which channel, old and new.

    django-simple-history keeps a historical row per change; `HistoryChannel` adds the channel.
    """
    return HistoricalRecords(bases=[HistoryChannel], **options)


class ThroughQuerySet(models.QuerySet):
    """Rows of a many-to-many table get their organisation from the row they belong to.

    Django's `.set()` and `.add()` create these rows with `bulk_create` and only the two ids;
    the organisation is read from the model named by `organization_source` (a branch's, a
    project's, a person's), in one query per call, so no caller can leave it out.
    """

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        missing = [obj for obj in objs if obj.organization_id is None]
        if missing:
            source: Any = self.model._meta.get_field(self.model.organization_source)  # type: ignore[attr-defined]
            ids = {getattr(obj, source.attname) for obj in missing}
            owners = dict(
                source.related_model._default_manager.filter(pk__in=ids).values_list(
                    "pk", "organization_id"
                )
            )
            for obj in missing:
                obj.organization_id = owners[getattr(obj, source.attname)]
        return super().bulk_create(objs, *args, **kwargs)


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
