"""What each role may do. One table, read by the scoping lookups and the templates."""

from __future__ import annotations

from enum import StrEnum

from tandir.orgs.models import Role


class Right(StrEnum):
    SEE_WHOLE_ORGANIZATION = "see_whole_organization"
    SEE_PROTECTED = "see_protected"
    REGISTER = "register"
    MERGE = "merge"
    SEE_RECORDS = "see_records"  # individual beneficiaries; network analysts see aggregates only
    EXPORT = "export"
    IMPORT = "import"


ROLE_RIGHTS: dict[str, frozenset[Right]] = {
    Role.ADMINISTRATOR: frozenset(Right),
    Role.BRANCH_MANAGER: frozenset(
        {
            Right.SEE_RECORDS,
            Right.SEE_PROTECTED,
            Right.REGISTER,
            Right.MERGE,
            Right.EXPORT,
            Right.IMPORT,
        }
    ),
    Role.INTAKE_OFFICER: frozenset(
        {Right.SEE_RECORDS, Right.SEE_PROTECTED, Right.REGISTER, Right.IMPORT}
    ),
    Role.TRAINER: frozenset({Right.SEE_RECORDS}),
    Role.BUSINESS_ADVISOR: frozenset({Right.SEE_RECORDS}),
    Role.LOAN_APPRAISER: frozenset({Right.SEE_RECORDS}),
    Role.LOAN_OFFICER: frozenset({Right.SEE_RECORDS, Right.EXPORT}),
    Role.ME_OFFICER: frozenset(
        {Right.SEE_RECORDS, Right.SEE_WHOLE_ORGANIZATION, Right.SEE_PROTECTED, Right.EXPORT}
    ),
    Role.NETWORK_ANALYST: frozenset(),
}


def has_right(user: object, right: Right) -> bool:
    """True if an active staff user's role grants `right`. Superusers hold every right."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return right in ROLE_RIGHTS.get(getattr(user, "role", ""), frozenset())
