"""Admin of associations: read-only, scoped like every admin page. Associations, members,
officers, meetings and dues change only through the actions, which check the right and the
organisation; the admin is for looking things up."""

from __future__ import annotations

from django.contrib import admin

from tandir.associations.models import Association
from tandir.orgs.admin import ReadOnlyAdmin


@admin.register(Association)
class AssociationAdmin(ReadOnlyAdmin):
    branch_field = "branch"
    list_display = ["name", "kind", "branch", "sector", "founded_on", "formed_with_programme"]
    list_filter = ["kind", "formed_with_programme", "sector"]
    search_fields = ["name"]
