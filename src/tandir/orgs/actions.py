"""Every write to organisations, branches, projects and staff. Each checks rights and scope.

The admin is one more channel: its pages call these actions, so an organisation's administrator
can never reach another organisation or grant platform rights, whatever is posted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from tandir.core.errors import NotAllowed
from tandir.orgs.locks import lock_staff_user
from tandir.orgs.models import Branch, Organization, Role, StaffUser
from tandir.orgs.roles import Right, has_right, is_platform_operator


def _require(user: StaffUser, right: Right) -> None:
    if not has_right(user, right):
        raise NotAllowed(_("Your role does not allow this."))


def _check_own_organization(administrator: StaffUser, organization_id: int | None) -> None:
    if is_platform_operator(administrator):
        return
    if organization_id != administrator.organization_id:
        raise NotAllowed(_("This belongs to another organisation."))


@transaction.atomic
def save_staff_user(
    administrator: StaffUser,
    user: StaffUser,
    *,
    branches: Iterable[Branch] | None = None,
) -> StaffUser:
    """Create or change a staff user of the administrator's organisation.

    Platform rights (superuser, Django staff flags, groups, permissions) are the platform
    operator's alone; an organisation's administrator gets a user whose access to the admin
    follows from the role, and branches of their own organisation only.
    """
    _require(administrator, Right.MANAGE_STAFF)
    chosen = list(branches) if branches is not None else None
    if not is_platform_operator(administrator):
        if user.pk:
            stored = lock_staff_user(user.pk)
            _check_own_organization(administrator, stored.organization_id)
            if stored.is_superuser:
                raise NotAllowed(_("Only the platform operator changes this account."))
        user.organization_id = administrator.organization_id
        user.is_superuser = False
        if chosen is not None and any(
            b.organization_id != administrator.organization_id for b in chosen
        ):
            raise NotAllowed(_("A branch of another organisation cannot be given."))
    # The admin opens for administrators only; the role decides, not a separate tick box.
    user.is_staff = user.is_superuser or user.role == Role.ADMINISTRATOR
    user._history_user = administrator  # type: ignore[attr-defined]
    user.save()
    if not is_platform_operator(administrator):
        user.groups.clear()
        user.user_permissions.clear()
    if chosen is not None:
        user.branches.set(chosen)
    return user


@transaction.atomic
def save_organization_record(
    administrator: StaffUser, record: Model, *, related: dict[str, Iterable[Any]] | None = None
) -> Model:
    """Create or change a branch, project or similar row of the administrator's organisation.

    `related` gives many-to-many values to set (districts served, donors, ...).
    """
    _require(administrator, Right.MANAGE_ORGANIZATION)
    if not is_platform_operator(administrator):
        if record.pk:
            stored = type(record)._default_manager.get(pk=record.pk)
            _check_own_organization(administrator, stored.organization_id)  # type: ignore[attr-defined]
        record.organization_id = administrator.organization_id  # type: ignore[attr-defined]
    record._history_user = administrator  # type: ignore[attr-defined]
    record.save()
    for name, values in (related or {}).items():
        getattr(record, name).set(list(values))
    return record


@transaction.atomic
def save_organization(
    administrator: StaffUser,
    organization: Organization,
    *,
    networks: Iterable[Organization] | None = None,
) -> Organization:
    """Change an organisation's own details; only the platform operator creates organisations."""
    _require(administrator, Right.MANAGE_ORGANIZATION)
    if not is_platform_operator(administrator):
        if organization.pk is None:
            raise NotAllowed(_("Only the platform operator creates organisations."))
        _check_own_organization(administrator, organization.pk)
    organization._history_user = administrator  # type: ignore[attr-defined]
    organization.save()
    if networks is not None:
        organization.networks.set(list(networks))
    return organization
