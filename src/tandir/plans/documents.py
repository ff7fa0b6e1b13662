"""The business plan as PDF, for the credit committee and the partner bank: the business, the
start-up costs and how they are paid for, the twelve-month cash flow, the loan asked for and the
repayment capacity. Printed in the chosen language with the Noto fonts, right to left for Urdu,
laid out by WeasyPrint as lending's documents are (`tandir.lending.documents`)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from tandir.core import formatting
from tandir.lending.documents import write_pdf
from tandir.plans.models import BusinessPlan, PlanVersion
from tandir.plans.presentation import plan_context
from tandir.registry.queries import log_protected_views

__all__ = ["plan_html", "write_pdf"]


def plan_html(
    user: Any, plan: BusinessPlan, language: str, version: PlanVersion | None = None
) -> str:
    """The plan's document (its current version unless another is given) in `language`."""
    log_protected_views(user, [plan.beneficiary], "web")
    with translation.override(language):
        context = plan_context(plan, version or plan.current_version, months_long=False)
        context.update(
            language=translation.get_language(),
            direction="rtl" if translation.get_language_bidi() else "ltr",
            printed_on=formatting.date(timezone.localdate(), "long"),
            organization=str(plan.organization),
            branch=plan.branch.name,
        )
        return render_to_string("plans/pdf/plan.html", context)
