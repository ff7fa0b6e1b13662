"""Row locks of training, in one place: a cohort is locked before its places, sessions or
attendance change, so two managers enrolling the last place at once cannot both get it."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from tandir.core.errors import NotFound
from tandir.orgs.models import StaffUser
from tandir.training.models import Attendance, Cohort, Participant


def lock_cohort(officer: StaffUser, cohort_id: int) -> Cohort:
    """The cohort, locked, if the officer may reach it; `NotFound` otherwise."""
    from tandir.training.queries import cohorts_in_scope

    cohort = (
        cohorts_in_scope(officer)
        .select_for_update(of=("self",))
        .select_related("course", "branch")
        .filter(pk=cohort_id)
        .first()
    )
    if cohort is None:
        raise NotFound(_("No such cohort."))
    return cohort


def lock_participants(cohort: Cohort, ids: Iterable[int] | None = None) -> list[Participant]:
    """The cohort's participants (or those of `ids`), locked in id order; lock the cohort first."""
    rows = Participant.objects.select_for_update().filter(cohort=cohort)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return list(rows.order_by("pk"))


def lock_attendance(session_id: int) -> list[Attendance]:
    return list(Attendance.objects.select_for_update().filter(session_id=session_id).order_by("pk"))
