"""Row locks of the scheduler: an organisation's schedule (or, before it has one, the
organisation) is locked while a run is queued for it, so two looks of the scheduler, or a look
and a "run now", cannot queue the same organisation twice."""

from __future__ import annotations

from tandir.jobs.models import CloseSchedule
from tandir.orgs.models import Organization


def lock_organization_runs(organization_id: int) -> CloseSchedule | None:
    """Lock the organisation's schedule if it has one, else the organisation's row."""
    schedule = (
        CloseSchedule.objects.select_for_update()
        .select_related("organization", "run_as")
        .filter(organization_id=organization_id)
        .first()
    )
    if schedule is None:
        Organization.objects.select_for_update().filter(pk=organization_id).first()
    return schedule
