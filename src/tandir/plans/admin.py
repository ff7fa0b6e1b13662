"""Admin of business plans: shown read-only and scoped like every admin page. Plans change only
through the advisor's actions (`tandir.plans.actions`), which keep their versions intact."""

from __future__ import annotations

from django.contrib import admin

from tandir.orgs.admin import ReadOnlyAdmin
from tandir.plans.models import BusinessPlan


@admin.register(BusinessPlan)
class BusinessPlanAdmin(ReadOnlyAdmin):
    branch_field = "branch"
    list_display = ["title", "beneficiary", "branch", "advisor", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    list_select_related = ["beneficiary", "branch", "advisor"]
