"""The demo's business plans: every status in each demo organisation, the financed ones linked
to disbursed demo loans with the plan's figures on the loan."""

from __future__ import annotations

from collections import Counter

import pytest

from tandir.demo.loader import load_demo
from tandir.lending.models import Loan
from tandir.plans.models import FINANCED_LOAN, BusinessPlan, PlanStatus
from tandir.plans.queries import compute_version


@pytest.mark.django_db
def test_the_demo_has_plans_in_every_status_and_financed_ones_on_demo_loans() -> None:
    load_demo()
    plans = list(
        BusinessPlan.objects.select_related("organization", "loan", "current_version").order_by(
            "pk"
        )
    )
    by_organization: dict[str, Counter[str]] = {}
    for plan in plans:
        by_organization.setdefault(plan.organization.name, Counter())[plan.shown_status] += 1
    assert len(by_organization) == 3
    for name, statuses in by_organization.items():
        assert set(statuses) == set(PlanStatus.values), (name, statuses)
    for plan in plans:
        assert plan.current_version is not None
        assert compute_version(plan, plan.current_version, []).result is not None
        if plan.shown_status == PlanStatus.FINANCED:
            assert plan.loan_id is not None
            loan = Loan.objects.get(pk=plan.loan_id)
            assert loan.status in FINANCED_LOAN
            assert loan.business_plan_id == plan.pk
            assert loan.plan_figures is not None
            assert loan.plan_figures["plan_id"] == plan.pk
            assert plan.currency == loan.currency
