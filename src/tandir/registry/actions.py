"""Every write to the registry. Each action is atomic and checks the officer's rights and scope."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.core.errors import Conflict, NotAllowed, TandirError
from tandir.orgs.roles import Right, has_right
from tandir.registry.duplicates import (
    DuplicateRefused,
    find_holder,
    find_possible_duplicates,
    keys_for,
)
from tandir.registry.models import (
    Beneficiary,
    Consent,
    Enrolment,
    Household,
    Merge,
    Status,
    StatusChange,
)
from tandir.registry.names import to_latin


class PossibleDuplicate(TandirError):
    """Someone similar is registered in the same district; the officer must confirm."""

    code = "possible_duplicate"
    http_status = 409

    def __init__(self, candidates: Sequence[Beneficiary]) -> None:
        super().__init__(
            _("A similar person is already registered in this district. Check and confirm."),
            candidate_ids=[c.pk for c in candidates],
        )
        self.candidates = list(candidates)


@dataclass
class Registration:
    beneficiary: Beneficiary
    possible_duplicates: list[Beneficiary] = field(default_factory=list)


def _require(user: Any, right: Right) -> None:
    if not has_right(user, right):
        raise NotAllowed(_("Your role does not allow this."))


def _apply_names(beneficiary: Beneficiary) -> None:
    keys = keys_for(beneficiary.first_name, beneficiary.patronymic, beneficiary.last_name)
    beneficiary.name_key = keys.full_key
    beneficiary.last_name_key = keys.last_name_key
    beneficiary.name_latin = to_latin(beneficiary.full_name)


def _check_duplicates(
    beneficiary: Beneficiary, *, confirmed: bool, exclude_id: int | None
) -> list[Beneficiary]:
    holder = find_holder(
        beneficiary.organization_id, beneficiary.phone, beneficiary.national_id, exclude_id
    )
    if holder:
        raise DuplicateRefused(*holder)
    similar = find_possible_duplicates(
        beneficiary.organization_id,
        beneficiary.district_id,
        keys_for(beneficiary.first_name, beneficiary.patronymic, beneficiary.last_name),
        beneficiary.date_of_birth,
        exclude_id,
    )
    if similar and not confirmed:
        raise PossibleDuplicate(similar)
    return similar


def _save_refusing_duplicates(beneficiary: Beneficiary) -> None:
    # Two officers may pass the check at once; the unique constraints settle the race.
    try:
        with transaction.atomic():
            beneficiary.save()
    except IntegrityError as exc:
        holder = find_holder(
            beneficiary.organization_id, beneficiary.phone, beneficiary.national_id, beneficiary.pk
        )
        if holder:
            raise DuplicateRefused(*holder) from exc
        raise


def household_from(data: dict[str, Any], organization_id: int) -> Household:
    """An unsaved household from a validated form's data (registration and import)."""
    income = data.get("household_income")
    return Household(
        organization_id=organization_id,
        members_count=data["household_members"],
        dependants=data.get("household_dependants") or 0,
        head_sex=data["household_head_sex"],
        monthly_income_amount=income,
        monthly_income_currency=(
            (data.get("household_income_currency") or "") if income is not None else ""
        ),
    )


def new_beneficiary(officer: Any, data: dict[str, Any], today: datetime.date) -> Beneficiary:
    """An unsaved beneficiary from a validated form's data, with its search keys set."""
    beneficiary = Beneficiary(
        organization_id=data["branch"].organization_id,
        registered_by=officer,
        registered_on=today,
        status=data.get("initial_status") or Status.REGISTERED,
        **{name: data.get(name) for name in Beneficiary.PERSON_FIELDS},
    )
    beneficiary.phone = beneficiary.phone or ""
    beneficiary.patronymic = beneficiary.patronymic or ""
    beneficiary.heard_via_detail = beneficiary.heard_via_detail or ""
    beneficiary.national_id = beneficiary.national_id or None
    _apply_names(beneficiary)
    return beneficiary


@transaction.atomic
def register_beneficiary(
    officer: Any,
    data: dict[str, Any],
    *,
    confirm_possible_duplicate: bool = False,
    today: datetime.date | None = None,
) -> Registration:
    """Register a person from a validated `BeneficiaryForm`'s cleaned data.

    Refuses a phone or national ID already registered; raises `PossibleDuplicate` for a similar
    person in the district unless the officer has confirmed.
    """
    _require(officer, Right.REGISTER)
    today = today or timezone.localdate()
    branch = data["branch"]
    if branch.organization_id != officer.organization_id:
        raise NotAllowed(_("This branch is not in your organisation."))
    beneficiary = new_beneficiary(officer, data, today)
    similar = _check_duplicates(beneficiary, confirmed=confirm_possible_duplicate, exclude_id=None)
    beneficiary.possible_duplicate_of = similar[0] if similar else None
    household = household_from(data, beneficiary.organization_id)
    household.save()
    beneficiary.household = household
    _save_refusing_duplicates(beneficiary)
    beneficiary.target_groups.set(data.get("target_groups") or [])
    Enrolment.objects.bulk_create(
        Enrolment(
            organization_id=beneficiary.organization_id,
            beneficiary=beneficiary,
            project=project,
            enrolled_on=today,
        )
        for project in data.get("projects") or []
    )
    Consent.objects.create(
        organization_id=beneficiary.organization_id,
        beneficiary=beneficiary,
        given_on=today,
        programme_use=bool(data.get("consent_programme", True)),
        follow_up_surveys=bool(data.get("consent_surveys")),
        network_sharing=bool(data.get("consent_sharing")),
        recorded_by=officer,
    )
    StatusChange.objects.create(
        organization_id=beneficiary.organization_id,
        beneficiary=beneficiary,
        from_status="",
        to_status=beneficiary.status,
        changed_on=today,
        changed_by=officer,
    )
    return Registration(beneficiary, similar)


@transaction.atomic
def update_beneficiary(
    officer: Any,
    beneficiary: Beneficiary,
    data: dict[str, Any],
    *,
    confirm_possible_duplicate: bool = False,
) -> Registration:
    """Change a registered person's details; the same duplicate rules apply as at registration."""
    _require(officer, Right.REGISTER)
    if data["branch"].organization_id != beneficiary.organization_id:
        raise NotAllowed(_("This branch is not in your organisation."))
    beneficiary = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    if beneficiary.merged_into_id:
        raise Conflict(_("This record was merged into another one."), code="already_merged")
    for name in Beneficiary.PERSON_FIELDS:
        if name in data:
            empty = None if name in _RELATIONS else ""
            setattr(beneficiary, name, data[name] if data[name] is not None else empty)
    beneficiary.national_id = data.get("national_id") or None
    _apply_names(beneficiary)
    similar = _check_duplicates(
        beneficiary, confirmed=confirm_possible_duplicate, exclude_id=beneficiary.pk
    )
    _save_refusing_duplicates(beneficiary)
    if "target_groups" in data:
        # A role that cannot see protected groups cannot remove them either.
        kept = (
            []
            if has_right(officer, Right.SEE_PROTECTED)
            else list(beneficiary.target_groups.filter(is_protected=True))
        )
        beneficiary.target_groups.set([*data["target_groups"], *kept])
    if beneficiary.household_id and "household_members" in data:
        household = household_from(data, beneficiary.organization_id)
        household.pk = beneficiary.household_id
        household.save()
    if "projects" in data:
        existing = set(beneficiary.enrolments.values_list("project_id", flat=True))
        Enrolment.objects.bulk_create(
            Enrolment(
                organization_id=beneficiary.organization_id,
                beneficiary=beneficiary,
                project=project,
                enrolled_on=timezone.localdate(),
            )
            for project in data["projects"]
            if project.pk not in existing
        )
    return Registration(beneficiary, similar)


_RELATIONS = {"branch", "district", "locality"}
STATUS_ORDER = list(Status.values)


@transaction.atomic
def change_status(
    officer: Any,
    beneficiary: Beneficiary,
    to_status: str,
    *,
    note: str = "",
    on: datetime.date | None = None,
) -> StatusChange:
    """Move a person along the pipeline (or to exited), keeping the dated history."""
    _require(officer, Right.SEE_RECORDS)
    if to_status not in STATUS_ORDER:
        raise TandirError(_("Unknown status."), code="unknown_status")
    locked = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    if locked.status == to_status:
        raise Conflict(_("The person already has this status."), code="same_status")
    if locked.status == Status.EXITED:
        raise Conflict(_("The person has exited the programme."), code="exited")
    change = StatusChange.objects.create(
        organization_id=locked.organization_id,
        beneficiary=locked,
        from_status=locked.status,
        to_status=to_status,
        changed_on=on or timezone.localdate(),
        changed_by=officer,
        note=note,
    )
    Beneficiary.objects.filter(pk=locked.pk).update(status=to_status, updated_at=timezone.now())
    beneficiary.status = to_status
    return change


@transaction.atomic
def withdraw_consent(
    officer: Any, beneficiary: Beneficiary, *, on: datetime.date | None = None
) -> int:
    """Withdraw every active consent: follow-up surveys and network sharing stop from today."""
    _require(officer, Right.SEE_RECORDS)
    return Consent.objects.filter(beneficiary=beneficiary, withdrawn_on=None).update(
        withdrawn_on=on or timezone.localdate()
    )


@transaction.atomic
def record_consent(
    officer: Any,
    beneficiary: Beneficiary,
    *,
    follow_up_surveys: bool,
    network_sharing: bool,
    on: datetime.date | None = None,
) -> Consent:
    """Record a new consent; it replaces any earlier one still active."""
    _require(officer, Right.SEE_RECORDS)
    day = on or timezone.localdate()
    Consent.objects.filter(beneficiary=beneficiary, withdrawn_on=None).update(withdrawn_on=day)
    return Consent.objects.create(
        organization_id=beneficiary.organization_id,
        beneficiary=beneficiary,
        given_on=day,
        programme_use=True,
        follow_up_surveys=follow_up_surveys,
        network_sharing=network_sharing,
        recorded_by=officer,
    )


@transaction.atomic
def merge_beneficiaries(
    manager: Any, kept: Beneficiary, duplicate: Beneficiary, *, note: str = ""
) -> Merge:
    """Fold a duplicate registration into the kept one. Both rows stay; history is not lost.

    Enrolments, target groups and consents move to the kept record; the duplicate points at it
    and leaves every list.
    """
    _require(manager, Right.MERGE)
    if kept.pk == duplicate.pk:
        raise TandirError(_("A record cannot be merged with itself."), code="merge_self")
    if kept.organization_id != duplicate.organization_id:
        raise NotAllowed(_("Records of two organisations cannot be merged."))
    first, second = sorted([kept.pk, duplicate.pk])
    locked = {
        b.pk: b
        for b in Beneficiary.objects.select_for_update()
        .filter(pk__in=[first, second])
        .order_by("pk")
    }
    kept, duplicate = locked[kept.pk], locked[duplicate.pk]
    if kept.merged_into_id or duplicate.merged_into_id:
        raise Conflict(_("One of these records was already merged."), code="already_merged")
    have = set(kept.enrolments.values_list("project_id", flat=True))
    duplicate.enrolments.exclude(project_id__in=have).update(beneficiary=kept)
    kept.target_groups.add(*duplicate.target_groups.all())
    duplicate.consents.update(beneficiary=kept)
    Beneficiary.objects.filter(pk=duplicate.pk).update(
        merged_into=kept, possible_duplicate_of=None, updated_at=timezone.now()
    )
    Beneficiary.objects.filter(pk=kept.pk, possible_duplicate_of=duplicate).update(
        possible_duplicate_of=None
    )
    return Merge.objects.create(
        organization_id=kept.organization_id,
        kept=kept,
        duplicate=duplicate,
        merged_by=manager,
        note=note,
    )
