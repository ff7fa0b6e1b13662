"""Reads of the scheduler that its page, its admin and the worker share."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.jobs import planning
from tandir.jobs.models import ACTIVE, CloseSchedule, JobRun
from tandir.orgs.access import scope
from tandir.orgs.models import Organization
from tandir.orgs.roles import Right, has_right, is_platform_operator

LAST_RUNS = 30


def runs_in_scope(user: Any) -> QuerySet[JobRun]:
    """Runs of the organisations whose close of business `user` may run."""
    if not has_right(user, Right.RUN_CLOSE_OF_BUSINESS):
        return JobRun.objects.none()
    return scope(user, JobRun.objects.all(), branch_field=None)


def access_organization(user: Any, organization_id: Any = None) -> Organization:
    """The one permission-checked way to the organisation whose runs a page shows: the user's
    own (any, for the platform operator); 403 without the right, 404 outside scope."""
    if not has_right(user, Right.RUN_CLOSE_OF_BUSINESS):
        raise PermissionDenied(_("Your role does not allow this."))
    if organization_id is None:
        organization_id = getattr(user, "organization_id", None)
    try:
        wanted = int(organization_id)
    except (TypeError, ValueError) as exc:
        raise Http404("No organisation found.") from exc
    if not is_platform_operator(user) and wanted != user.organization_id:
        raise Http404("No organisation found.")
    organization = Organization.objects.select_related("country").filter(pk=wanted).first()
    if organization is None:
        raise Http404("No organisation found.")
    return organization


def schedule_of(organization: Organization) -> CloseSchedule | None:
    """The schedule of an organisation already reached through `access_organization`."""
    return CloseSchedule.objects.filter(organization=organization).select_related("run_as").first()


def time_zone_of(organization: Organization, schedule: CloseSchedule | None) -> str:
    if schedule is not None:
        return schedule.time_zone
    code = organization.country.code if organization.country is not None else None
    return planning.default_time_zone(code, settings.TIME_ZONE)


def has_active_run(organization_id: int) -> bool:
    return JobRun.objects.filter(organization_id=organization_id, status__in=ACTIVE).exists()


@dataclass(frozen=True)
class NextRun:
    at: datetime.datetime
    through: datetime.date


def next_run(schedule: CloseSchedule, now: datetime.datetime | None = None) -> NextRun | None:
    """When the scheduler will next queue this organisation's close of business."""
    if not schedule.enabled:
        return None
    done = max(
        (d for d in (schedule.planned_through, schedule.closed_through) if d is not None),
        default=None,
    )
    at, through = planning.next_run(
        now or timezone.now(),
        schedule.run_at,
        schedule.time_zone,
        done,
        every_minutes=settings.TANDIR_JOBS_PLAN_EVERY_MINUTES,
    )
    return NextRun(at=at, through=through)


def failed_step(organization_id: int, through: datetime.date) -> str:
    """The step close of business was at when it failed, if it keeps one (tandir.cob)."""
    try:
        cob_run = apps.get_model("cob", "CobRun")
        # In a savepoint: a failing read must not spoil the transaction that records the failure.
        with transaction.atomic():
            step = (
                cob_run._default_manager.filter(
                    organization_id=organization_id, status="failed", business_date__lte=through
                )
                .order_by("-business_date")
                .values_list("step", flat=True)
                .first()
            )
    except Exception:
        # Close of business may keep no step (or not exist yet): the failure message remains.
        return ""
    return str(step or "")
