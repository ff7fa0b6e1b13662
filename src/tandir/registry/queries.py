"""Reads of the registry that the web pages, the API and exports share."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from tandir.core.access import scope
from tandir.core.models import AccessLog, TargetGroup
from tandir.orgs.roles import Right, has_right
from tandir.registry.models import Beneficiary
from tandir.registry.names import name_key, normalise_phone, to_latin


def beneficiaries_in_scope(user: Any) -> QuerySet[Beneficiary]:
    """Every record `user` may open, merged duplicates included (they redirect to the kept one)."""
    if not has_right(user, Right.SEE_RECORDS):
        return Beneficiary.objects.none()
    return scope(user, Beneficiary.objects.all())


def access_beneficiary(user: Any, beneficiary_id: Any, *, channel: str = "web") -> Beneficiary:
    """The one permission-checked way to reach a beneficiary; 404 outside the user's scope.

    Opening a record in a protected category, by a role allowed to see it, writes an access log row.
    """
    try:
        beneficiary = (
            beneficiaries_in_scope(user)
            .select_related("branch", "district__region", "locality", "household", "registered_by")
            .prefetch_related("target_groups")
            .get(pk=int(beneficiary_id))
        )
    except (Beneficiary.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No beneficiary found.") from exc
    if has_right(user, Right.SEE_PROTECTED) and any(
        group.is_protected for group in beneficiary.target_groups.all()
    ):
        AccessLog.objects.create(
            organization_id=beneficiary.organization_id,
            user=user,
            record_type="beneficiary",
            record_id=beneficiary.pk,
            channel=channel,
        )
    return beneficiary


def visible_target_groups(user: Any, beneficiary: Beneficiary) -> list[TargetGroup]:
    """The person's target groups, without protected ones for roles that may not see them."""
    see_protected = has_right(user, Right.SEE_PROTECTED)
    return [g for g in beneficiary.target_groups.all() if see_protected or not g.is_protected]


def target_groups_for(user: Any) -> QuerySet[TargetGroup]:
    groups = TargetGroup.objects.all()
    if not has_right(user, Right.SEE_PROTECTED):
        groups = groups.filter(is_protected=False)
    return groups


def search_beneficiaries(
    user: Any,
    *,
    text: str = "",
    project: int | None = None,
    district: int | None = None,
    target_group: str = "",
    status: str = "",
    sex: str = "",
) -> QuerySet[Beneficiary]:
    """Search by name in any script, phone or national ID, with the list filters."""
    found = beneficiaries_in_scope(user).filter(merged_into=None)
    text = text.strip()
    if text:
        query = Q(national_id__iexact=text) | Q(name_latin__icontains=to_latin(text))
        query |= Q(first_name__icontains=text) | Q(last_name__icontains=text)
        key = name_key(text)
        if key:
            query |= Q(name_key__contains=key) | Q(last_name_key=key)
        phone = normalise_phone(text)
        if len(phone.lstrip("+")) >= 4:
            query |= Q(phone__contains=phone.lstrip("+"))
        found = found.filter(query)
    if project:
        found = found.filter(enrolments__project_id=project)
    if district:
        found = found.filter(district_id=district)
    if target_group and target_groups_for(user).filter(code=target_group).exists():
        found = found.filter(target_groups__code=target_group)
    if status:
        found = found.filter(status=status)
    if sex:
        found = found.filter(sex=sex)
    return found.select_related("branch", "district").distinct()
