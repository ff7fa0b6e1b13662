"""Row locks of associations, in one place: every write to an association locks its row first,
so two officers adding the same member or electing two chairs at once queue, not both win."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tandir.associations.models import Association
from tandir.core.errors import NotFound
from tandir.orgs.models import StaffUser


def lock_association(officer: StaffUser, association_id: int) -> Association:
    """The association, locked, if the officer may reach it; `NotFound` otherwise."""
    from tandir.associations.queries import associations_in_scope

    association = (
        associations_in_scope(officer)
        .select_for_update(of=("self",))
        .select_related("branch", "organization")
        .filter(pk=association_id)
        .first()
    )
    if association is None:
        raise NotFound(_("No such association."))
    return association
