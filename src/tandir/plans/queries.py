"""Reads of business plans that the pages, the PDF and the demo share.

`access_plan` is the one permission-checked way to reach a plan: outside the user's
organisation or branches it is a 404; a role that sees no records gets a 403 page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.lending.actions import current_version
from tandir.lending.models import LoanProduct
from tandir.lending.terms import engine_product
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right
from tandir.plans import cashflow
from tandir.plans.models import BusinessPlan, PlanStatus, PlanVersion
from tandir.registry.models import Beneficiary, Status
from tandir.registry.queries import beneficiaries_in_scope


def plans_in_scope(user: Any) -> QuerySet[BusinessPlan]:
    """Every plan `user` may open: their organisation, their branches unless whole-organisation."""
    if not has_right(user, Right.SEE_RECORDS):
        return BusinessPlan.objects.none()
    return scope(user, BusinessPlan.objects.all()).annotate(loan_status=F("loan__status"))


def access_plan(user: Any, plan_id: Any) -> BusinessPlan:
    if not has_right(user, Right.SEE_RECORDS):
        raise PermissionDenied(_("Your role does not allow this."))
    try:
        return (
            plans_in_scope(user)
            .select_related(
                "beneficiary", "branch", "advisor", "current_version", "organization", "loan"
            )
            .get(pk=int(plan_id))
        )
    except (BusinessPlan.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No business plan found.") from exc


def product_options(organization_id: int, currency: str) -> list[cashflow.ProductOption]:
    """The organisation's offered products in the plan's currency, at their lowest rate."""
    options = []
    products = LoanProduct.objects.filter(organization_id=organization_id, is_active=True)
    for product in products.order_by("name", "pk"):
        version = current_version(product)
        if version.currency != currency:
            continue
        frequencies = version.frequencies or ["monthly"]
        frequency = "monthly" if "monthly" in frequencies else frequencies[0]
        options.append(
            cashflow.ProductOption(
                key=product.pk,
                name=product.name,
                product=engine_product(version, rate=version.rate_min, frequency=frequency),
                amount_min=version.amount_min,
                amount_max=version.amount_max,
                term_min=version.term_min,
                term_max=version.term_max,
                capacity_percent=version.capacity_percent,
                sectors=tuple(version.sectors or ()),
            )
        )
    return options


@dataclass(frozen=True)
class Computed:
    """A version's content read back, and what the plan's numbers come to (if it parses)."""

    result: cashflow.Result | None
    problems: tuple[cashflow.Problem, ...]


def plan_input(
    plan: BusinessPlan, version: PlanVersion
) -> tuple[cashflow.PlanInput | None, tuple[cashflow.Problem, ...]]:
    content = version.content
    return cashflow.parse_plan(content, currency=plan.currency, start=start_of(content, plan))


def start_of(content: dict[str, Any], plan: BusinessPlan) -> datetime.date:
    """The plan's first month (its first day); stored content always has one."""
    try:
        return datetime.date.fromisoformat(str(content.get("start")))
    except ValueError:
        return timezone.localdate().replace(day=1)


def compute_version(
    plan: BusinessPlan,
    version: PlanVersion,
    options: list[cashflow.ProductOption] | None = None,
    *,
    term: int | None = None,
) -> Computed:
    parsed, problems = plan_input(plan, version)
    if parsed is None:
        return Computed(None, problems)
    if options is None:
        options = product_options(plan.organization_id, plan.currency)
    sector = str(version.content.get("sector", ""))
    return Computed(cashflow.compute(parsed, options, sector=sector, term=term), ())


@dataclass(frozen=True)
class AdvisorPage:
    participants: list[Beneficiary]
    by_status: list[tuple[str, str, list[BusinessPlan]]]
    to_review: list[BusinessPlan]


def advisor_page(user: Any) -> AdvisorPage:
    """The advisor's view: participants preparing a plan (or trained, ready to start one), the
    plans of the advisor's branches by status, and those waiting for the advisor's review."""
    plans = list(
        plans_in_scope(user)
        .select_related("beneficiary", "advisor")
        .order_by("-updated_at", "-id")[:500]
    )
    with_plan = {p.beneficiary_id for p in plans}
    participants = [
        person
        for person in beneficiaries_in_scope(user)
        .filter(merged_into=None, status__in=[Status.TRAINED, Status.PLANNING])
        .order_by("last_name", "first_name", "pk")[:200]
        if person.pk not in with_plan
    ]
    groups: dict[str, list[BusinessPlan]] = {value: [] for value in PlanStatus.values}
    for plan in plans:
        groups[plan.shown_status].append(plan)
    by_status = [(value, str(PlanStatus(value).label), groups[value]) for value in groups]
    to_review = [
        p for p in plans if p.status == PlanStatus.UNDER_REVIEW and p.advisor_id == user.pk
    ]
    return AdvisorPage(participants, by_status, to_review)
