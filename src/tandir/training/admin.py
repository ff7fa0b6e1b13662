"""Admin of training, scoped like every admin page (`tandir.orgs.admin.ScopedAdmin`).

Curriculum and venues are shown for reading; they are created and changed on the training
pages, whose actions check the right and the organisation. "Add the five standard modules" is an
admin action on organisations' modules: it runs `actions.seed_curriculum`. Cohorts, participants,
attendance and certificates change only through the actions of the training pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tandir.core.errors import TandirError
from tandir.orgs.admin import ReadOnlyAdmin
from tandir.training import actions
from tandir.training.models import (
    Certificate,
    Cohort,
    Course,
    Module,
    Participant,
    PartnerInstitution,
    Venue,
)


@admin.register(Module)
class ModuleAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "hours", "language"]
    actions = ["seed_standard_modules"]

    @admin.action(description=_("Add the five standard modules to my organisation"))
    def seed_standard_modules(self, request: HttpRequest, queryset: QuerySet[Module]) -> None:
        user: Any = request.user
        if user.organization is None:
            self.message_user(request, _("Sign in as staff of an organisation."), messages.ERROR)
            return
        try:
            modules = actions.seed_curriculum(user, user.organization)
        except TandirError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(
                request, _("%(count)s standard modules in place.") % {"count": len(modules)}
            )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        # The action must run even when the organisation has no module yet to tick.
        if request.method == "POST" and request.POST.get("action") == "seed_standard_modules":
            post = request.POST.copy()
            post.setlist(helpers.ACTION_CHECKBOX_NAME, ["0"])
            post["select_across"] = "1"
            request.POST = post  # type: ignore[assignment]
        return super().changelist_view(request, extra_context)


@admin.register(Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "level", "prerequisite", "min_attendance", "pass_score"]


@admin.register(Venue)
class VenueAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "district", "capacity"]


@admin.register(PartnerInstitution)
class PartnerInstitutionAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "contact"]


@admin.register(Cohort)
class CohortAdmin(ReadOnlyAdmin):
    branch_field = "branch"
    list_display = ["code", "course", "venue", "branch", "starts_on", "ends_on", "status"]
    list_filter = ["status"]


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    branch_field = "cohort__branch"
    list_display = ["cohort", "status", "enrolled_on", "completed_on", "score"]
    list_filter = ["status"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    branch_field = "participant__cohort__branch"
    list_display = ["code", "issued_on", "participant"]
