"""Scoping by organisation and branch: the one rule every permission-checked lookup applies.

A user sees rows of their own organisation; within it, only their branches unless their role
sees the whole organisation. A superuser without an organisation (the platform operator) sees
every organisation. Lookups outside scope answer 404, never 403, so nothing leaks existence.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from tandir.orgs.roles import Right, has_right, is_platform_operator

M = TypeVar("M", bound=Model)


def scope(user: Any, queryset: QuerySet[M], *, branch_field: str | None = "branch") -> QuerySet[M]:
    """Narrow `queryset` to what `user` may see; `branch_field=None` for organisation-wide rows."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if is_platform_operator(user):
        return queryset
    if user.organization_id is None:
        return queryset.none()
    queryset = queryset.filter(organization_id=user.organization_id)
    if branch_field and not has_right(user, Right.SEE_WHOLE_ORGANIZATION):
        queryset = queryset.filter(**{f"{branch_field}__in": user.branches.values("pk")})
    return queryset
