"""Row locks of business plans: a plan is locked before its status or versions change, so two
advisors saving or sending the same plan queue instead of overwriting each other."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tandir.core.errors import NotFound
from tandir.orgs.models import StaffUser
from tandir.plans.models import BusinessPlan


def lock_plan(officer: StaffUser, plan_id: int) -> BusinessPlan:
    """The plan, locked, if the officer may reach it; `NotFound` otherwise."""
    from tandir.plans.queries import plans_in_scope

    plan = (
        plans_in_scope(officer)
        .select_for_update(of=("self",))
        .select_related("current_version", "beneficiary", "branch")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise NotFound(_("No such business plan."))
    return plan
