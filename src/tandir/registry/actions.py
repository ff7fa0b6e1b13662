"""Every write to the registry. Each action is atomic and checks the officer's right and scope.

The check is here, not only in the views, so every channel (page, API, import, admin, command
line) meets the same rule: a role without the right, or an officer of another branch, is refused
and nothing changes. People are locked through `tandir.registry.locks`, in primary-key order.
Each saved record is stamped with the officer, so the change history says who made it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history

from tandir.core.errors import Conflict, NotAllowed, TandirError
from tandir.orgs.models import StaffUser
from tandir.orgs.roles import STAGE_RIGHTS, Right, has_right
from tandir.registry.duplicates import (
    DuplicateRefused,
    find_holder,
    find_possible_duplicates,
    keys_for,
)
from tandir.registry.locks import (
    lock_beneficiaries,
    lock_beneficiary,
    lock_consents,
    lock_household,
    lock_person,
)
from tandir.registry.models import (
    AliasKind,
    Beneficiary,
    BeneficiaryAlias,
    BeneficiaryTargetGroup,
    Consent,
    Enrolment,
    Household,
    Merge,
    Status,
    StatusChange,
)
from tandir.registry.names import name_key, to_latin


class PossibleDuplicate(TandirError):
    """Someone similar is registered in the same district; the officer must confirm.

    Similar people the officer may open are named; others are only counted, with whom to ask.
    """

    code = "possible_duplicate"
    http_status = 409

    def __init__(self, candidates: Sequence[Beneficiary], outside_scope: int = 0) -> None:
        message = _("A similar person is already registered in this district. Check and confirm.")
        if outside_scope:
            message += " " + ngettext(
                "%(count)d similar person is registered in another branch: ask your branch "
                "manager before you confirm.",
                "%(count)d similar people are registered in other branches: ask your branch "
                "manager before you confirm.",
                outside_scope,
            ) % {"count": outside_scope}
        super().__init__(
            message, candidate_ids=[c.pk for c in candidates], outside_scope=outside_scope
        )
        self.candidates = list(candidates)
        self.outside_scope = outside_scope


@dataclass
class Registration:
    beneficiary: Beneficiary
    possible_duplicates: list[Beneficiary] = field(default_factory=list)


def _require(officer: StaffUser, right: Right) -> None:
    if not has_right(officer, right):
        raise NotAllowed(_("Your role does not allow this."))


def _stamp(officer: StaffUser, *records: Model) -> None:
    """Name the officer as the author of the change history these saves will write."""
    for record in records:
        record._history_user = officer  # type: ignore[attr-defined]


def _in_scope(officer: StaffUser, ids: Iterable[int]) -> set[int]:
    from tandir.registry.queries import beneficiaries_in_scope

    return set(
        beneficiaries_in_scope(officer).filter(pk__in=list(ids)).values_list("pk", flat=True)
    )


def _apply_names(beneficiary: Beneficiary) -> None:
    keys = keys_for(beneficiary.first_name, beneficiary.patronymic, beneficiary.last_name)
    beneficiary.name_key = keys.full_key
    beneficiary.last_name_key = keys.last_name_key
    beneficiary.name_latin = to_latin(beneficiary.full_name)


def _refuse_held(officer: StaffUser, beneficiary: Beneficiary, exclude_id: int | None) -> None:
    holder = find_holder(
        beneficiary.organization_id,
        beneficiary.phone,
        beneficiary.id_document,
        beneficiary.national_id,
        exclude_id,
    )
    if holder:
        existing, column = holder
        raise DuplicateRefused(
            existing, column, visible=existing.pk in _in_scope(officer, [existing.pk])
        )


def _check_duplicates(
    officer: StaffUser, beneficiary: Beneficiary, *, confirmed: bool, exclude_id: int | None
) -> list[Beneficiary]:
    _refuse_held(officer, beneficiary, exclude_id)
    similar = find_possible_duplicates(
        beneficiary.organization_id,
        beneficiary.district_id,
        keys_for(beneficiary.first_name, beneficiary.patronymic, beneficiary.last_name),
        beneficiary.date_of_birth,
        exclude_id,
    )
    if similar and not confirmed:
        visible = _in_scope(officer, (c.pk for c in similar))
        raise PossibleDuplicate(
            [c for c in similar if c.pk in visible],
            outside_scope=sum(c.pk not in visible for c in similar),
        )
    return similar


def _save_refusing_duplicates(
    officer: StaffUser, beneficiary: Beneficiary, update_fields: list[str] | None = None
) -> None:
    # Two officers may pass the check at once; the unique constraints settle the race.
    try:
        with transaction.atomic():
            beneficiary.save(update_fields=update_fields)
    except IntegrityError:
        _refuse_held(officer, beneficiary, beneficiary.pk)
        raise


def household_from(data: dict[str, Any], organization_id: int) -> Household:
    """An unsaved household from a validated form's data (registration and import)."""
    household = Household(organization_id=organization_id)
    _fill_household(household, data)
    return household


def _fill_household(household: Household, data: dict[str, Any]) -> None:
    income = data.get("household_income")
    household.members_count = data["household_members"]
    household.dependants = data.get("household_dependants") or 0
    household.head_sex = data["household_head_sex"]
    household.monthly_income_amount = income
    household.monthly_income_currency = (
        (data.get("household_income_currency") or "") if income is not None else ""
    )


def new_beneficiary(officer: StaffUser, data: dict[str, Any], today: datetime.date) -> Beneficiary:
    """An unsaved beneficiary from a validated form's data, with its search keys set."""
    beneficiary = Beneficiary(
        organization_id=data["branch"].organization_id,
        registered_by=officer,
        registered_on=today,
        status=data.get("initial_status") or Status.REGISTERED,
        **{name: data.get(name) for name in Beneficiary.PERSON_FIELDS},
    )
    for text_field in ("phone", "patronymic", "heard_via_detail", *_ANSWERS):
        setattr(beneficiary, text_field, getattr(beneficiary, text_field) or "")
    beneficiary.national_id = beneficiary.national_id or None
    _apply_names(beneficiary)
    return beneficiary


_ANSWERS = ("education", "economic_activity", "heard_via")


def _check_branch(officer: StaffUser, branch: Any) -> None:
    from tandir.orgs.access import scope
    from tandir.orgs.models import Branch

    if not scope(officer, Branch.objects.filter(pk=branch.pk), branch_field="pk").exists():
        raise NotAllowed(_("You do not work in this branch."))


@transaction.atomic
def register_beneficiary(
    officer: StaffUser,
    data: dict[str, Any],
    *,
    confirm_possible_duplicate: bool = False,
    today: datetime.date | None = None,
) -> Registration:
    """Register a person from a validated `BeneficiaryForm`'s cleaned data.

    Refuses a phone or ID number already registered; raises `PossibleDuplicate` for a similar
    person in the district unless the officer has confirmed.
    """
    _require(officer, Right.REGISTER)
    _check_branch(officer, data["branch"])
    today = today or timezone.localdate()
    beneficiary = new_beneficiary(officer, data, today)
    similar = _check_duplicates(
        officer, beneficiary, confirmed=confirm_possible_duplicate, exclude_id=None
    )
    beneficiary.possible_duplicate_of = similar[0] if similar else None
    household = household_from(data, beneficiary.organization_id)
    _stamp(officer, household, beneficiary)
    household.save()
    beneficiary.household = household
    _save_refusing_duplicates(officer, beneficiary)
    if data.get("target_groups"):
        beneficiary.target_groups.set(data["target_groups"])
    enrolments = [
        Enrolment(
            organization_id=beneficiary.organization_id,
            beneficiary=beneficiary,
            project=project,
            enrolled_on=today,
        )
        for project in data.get("projects") or []
    ]
    _stamp(officer, *enrolments)
    for enrolment in enrolments:
        enrolment.save()
    consent = Consent(
        organization_id=beneficiary.organization_id,
        beneficiary=beneficiary,
        given_on=today,
        programme_use=bool(data.get("consent_programme", True)),
        follow_up_surveys=bool(data.get("consent_surveys")),
        network_sharing=bool(data.get("consent_sharing")),
        recorded_by=officer,
    )
    _stamp(officer, consent)
    consent.save()
    StatusChange.objects.create(
        organization_id=beneficiary.organization_id,
        beneficiary=beneficiary,
        from_status="",
        to_status=beneficiary.status,
        changed_on=today,
        changed_by=officer,
    )
    return Registration(beneficiary, similar)


_RELATIONS = {"branch", "district", "locality"}


@transaction.atomic
def update_beneficiary(
    officer: StaffUser,
    beneficiary: Beneficiary,
    data: dict[str, Any],
    *,
    confirm_possible_duplicate: bool = False,
) -> Registration:
    """Change a registered person's details; the same duplicate rules apply as at registration."""
    _require(officer, Right.REGISTER)
    _check_branch(officer, data["branch"])
    locked = lock_beneficiary(officer, beneficiary.pk)
    if locked.merged_into_id:
        raise Conflict(_("This record was merged into another one."), code="already_merged")
    for name in Beneficiary.PERSON_FIELDS:
        if name in data:
            empty = None if name in _RELATIONS else ""
            setattr(locked, name, data[name] if data[name] is not None else empty)
    locked.national_id = data.get("national_id") or None
    _apply_names(locked)
    similar = _check_duplicates(
        officer, locked, confirmed=confirm_possible_duplicate, exclude_id=locked.pk
    )
    _stamp(officer, locked)
    _save_refusing_duplicates(officer, locked)
    if "target_groups" in data:
        # A role that cannot see protected groups cannot remove them either.
        kept = (
            []
            if has_right(officer, Right.SEE_PROTECTED)
            else list(locked.target_groups.filter(is_protected=True))
        )
        wanted = {g.pk: g for g in [*data["target_groups"], *kept]}
        if set(wanted) != set(locked.target_groups.values_list("pk", flat=True)):
            locked.target_groups.set(list(wanted.values()))
    if locked.household_id and "household_members" in data:
        household = lock_household(locked.household_id)
        before = _household_values(household)
        _fill_household(household, data)
        if _household_values(household) != before:
            _stamp(officer, household)
            household.save()
    if "projects" in data:
        existing = set(locked.enrolments.values_list("project_id", flat=True))
        for project in data["projects"]:
            if project.pk not in existing:
                enrolment = Enrolment(
                    organization_id=locked.organization_id,
                    beneficiary=locked,
                    project=project,
                    enrolled_on=timezone.localdate(),
                )
                _stamp(officer, enrolment)
                enrolment.save()
    beneficiary.refresh_from_db()
    return Registration(locked, similar)


def _household_values(household: Household) -> tuple[Any, ...]:
    return (
        household.members_count,
        household.dependants,
        household.head_sex,
        household.monthly_income_amount,
        household.monthly_income_currency,
    )


STATUS_ORDER = list(Status.values)


@transaction.atomic
def change_status(
    officer: StaffUser,
    beneficiary: Beneficiary,
    to_status: str,
    *,
    note: str = "",
    on: datetime.date | None = None,
) -> StatusChange:
    """Move a person along the pipeline (or to exited), keeping the dated history.

    Each stage belongs to whoever runs it (`orgs.roles.STAGE_RIGHTS`): a trainer may record
    training, not make someone a borrower.
    """
    if to_status not in STATUS_ORDER:
        raise TandirError(_("Unknown status."), code="unknown_status")
    _require(officer, STAGE_RIGHTS[to_status])
    locked = lock_beneficiary(officer, beneficiary.pk)
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
    locked.status = to_status
    _stamp(officer, locked)
    locked.save(update_fields=["status", "updated_at"])
    beneficiary.status = to_status
    return change


def _close_consent(officer: StaffUser, consent: Consent, day: datetime.date, reason: str) -> None:
    consent.withdrawn_on = day
    consent.withdrawn_by = officer
    consent.withdrawal_reason = reason
    _stamp(officer, consent)
    consent.save(update_fields=["withdrawn_on", "withdrawn_by", "withdrawal_reason"])


def _consent_in_force(beneficiary: Beneficiary) -> Consent | None:
    return next((c for c in lock_consents(beneficiary) if c.withdrawn_on is None), None)


@transaction.atomic
def withdraw_consent(
    officer: StaffUser,
    beneficiary: Beneficiary,
    *,
    reason: str,
    on: datetime.date | None = None,
) -> Consent:
    """Withdraw the consent in force: follow-up surveys and network sharing stop from `on`.

    Who, when and why are kept on the consent and in its change history.
    """
    _require(officer, Right.RECORD_CONSENT)
    locked = lock_beneficiary(officer, beneficiary.pk)
    reason = reason.strip()
    if not reason:
        raise TandirError(_("Say why the consent is withdrawn."), code="reason_required")
    consent = _consent_in_force(locked)
    if consent is None:
        raise Conflict(_("No consent is in force."), code="no_consent")
    _close_consent(officer, consent, on or timezone.localdate(), reason)
    return consent


@transaction.atomic
def record_consent(
    officer: StaffUser,
    beneficiary: Beneficiary,
    *,
    follow_up_surveys: bool,
    network_sharing: bool,
    on: datetime.date | None = None,
) -> Consent:
    """Record a new consent; it replaces the one in force, if any."""
    _require(officer, Right.RECORD_CONSENT)
    locked = lock_beneficiary(officer, beneficiary.pk)
    day = on or timezone.localdate()
    earlier = _consent_in_force(locked)
    if earlier is not None:
        _close_consent(officer, earlier, day, _("Replaced by a new consent."))
    consent = Consent(
        organization_id=locked.organization_id,
        beneficiary=locked,
        given_on=day,
        programme_use=True,
        follow_up_surveys=follow_up_surveys,
        network_sharing=network_sharing,
        recorded_by=officer,
    )
    _stamp(officer, consent)
    consent.save()
    return consent


def _aliases_from(
    kept: Beneficiary, duplicate: Beneficiary, merge: Merge
) -> list[BeneficiaryAlias]:
    """The duplicate's other spelling, phone and ID, kept on the kept record."""
    known = {
        (alias.kind, alias.value) for alias in BeneficiaryAlias.objects.filter(beneficiary=kept)
    }
    candidates = []
    if duplicate.full_name.casefold() != kept.full_name.casefold():
        candidates.append((AliasKind.NAME, duplicate.full_name))
    if duplicate.phone and duplicate.phone != kept.phone:
        candidates.append((AliasKind.PHONE, duplicate.phone))
    if duplicate.national_id and duplicate.national_id != kept.national_id:
        candidates.append((AliasKind.ID_NUMBER, duplicate.national_id))
    return [
        BeneficiaryAlias(
            organization_id=kept.organization_id,
            beneficiary=kept,
            kind=kind,
            value=value,
            name_latin=to_latin(value) if kind == AliasKind.NAME else "",
            name_key=name_key(value) if kind == AliasKind.NAME else "",
            merge=merge,
        )
        for kind, value in candidates
        if (kind, value) not in known
    ]


@transaction.atomic
def merge_beneficiaries(
    manager: StaffUser, kept: Beneficiary, duplicate: Beneficiary, *, note: str = ""
) -> Merge:
    """Fold a duplicate registration into the kept one. Both rows stay; history is not lost.

    Enrolments, target groups and consents move to the kept record (one consent stays in force:
    the kept record's, else the duplicate's); the duplicate's other spelling, phone and ID stay
    as aliases of the kept person, so searches still find them; the duplicate points at the kept
    record and leaves every list.
    """
    _require(manager, Right.MERGE)
    if kept.pk == duplicate.pk:
        raise TandirError(_("A record cannot be merged with itself."), code="merge_self")
    if kept.organization_id != duplicate.organization_id:
        raise NotAllowed(_("Records of two organisations cannot be merged."))
    locked = lock_beneficiaries(manager, [kept.pk, duplicate.pk])
    kept, duplicate = locked[kept.pk], locked[duplicate.pk]
    if kept.merged_into_id or duplicate.merged_into_id:
        raise Conflict(_("One of these records was already merged."), code="already_merged")
    merge = Merge.objects.create(
        organization_id=kept.organization_id,
        kept=kept,
        duplicate=duplicate,
        merged_by=manager,
        note=note,
    )
    have = set(kept.enrolments.values_list("project_id", flat=True))
    moved: list[Model] = []
    for enrolment in duplicate.enrolments.exclude(project_id__in=have):
        enrolment.beneficiary = kept
        moved.append(enrolment)
    in_force = _consent_in_force(kept)
    for consent in lock_consents(duplicate):
        if consent.withdrawn_on is None and in_force is not None:
            _close_consent(manager, consent, timezone.localdate(), _("Records merged."))
        consent.beneficiary = kept
        moved.append(consent)
    _stamp(manager, *moved)
    for record in moved:
        record.save(update_fields=["beneficiary"])
    groups = list(duplicate.target_groups.exclude(pk__in=kept.target_groups.values("pk")))
    if groups:
        _stamp(manager, kept)
        kept.target_groups.add(*groups)
    BeneficiaryAlias.objects.bulk_create(_aliases_from(kept, duplicate, merge))
    duplicate.merged_into = kept
    duplicate.possible_duplicate_of = None
    _stamp(manager, duplicate)
    duplicate.save(update_fields=["merged_into", "possible_duplicate_of", "updated_at"])
    if kept.possible_duplicate_of_id == duplicate.pk:
        kept.possible_duplicate_of = None
        _stamp(manager, kept)
        kept.save(update_fields=["possible_duplicate_of", "updated_at"])
    return merge


@dataclass
class ImportedPerson:
    """One validated line of an import: the form's data and a possible duplicate to flag."""

    data: dict[str, Any]
    possible_duplicate_of: Beneficiary | None = None


IMPORT_CHUNK = 500


@transaction.atomic
def register_imported(
    officer: StaffUser, people: Sequence[ImportedPerson], *, today: datetime.date
) -> list[Beneficiary]:
    """Register the validated lines of an import, in bulk, with their change history.

    Set-based: a few inserts per chunk of 500 lines, the history rows included (through which
    channel comes from `tandir.core.audit`, "import" for the command).
    """
    _require(officer, Right.IMPORT)
    _require(officer, Right.REGISTER)
    branches = {person.data["branch"].pk for person in people}
    from tandir.orgs.access import scope
    from tandir.orgs.models import Branch

    reachable = scope(officer, Branch.objects.filter(pk__in=branches), branch_field="pk")
    if reachable.count() != len(branches):
        raise NotAllowed(_("You do not work in this branch."))
    org = officer.organization_id
    if org is None:
        raise NotAllowed(_("Imports are made by staff of an organisation."))
    history = {"default_user": officer, "custom_historical_attrs": _history_channel()}
    registered: list[Beneficiary] = []
    for start in range(0, len(people), IMPORT_CHUNK):
        chunk = people[start : start + IMPORT_CHUNK]
        households = bulk_create_with_history(
            [household_from(p.data, org) for p in chunk], Household, **history
        )
        persons = []
        for line, household in zip(chunk, households, strict=True):
            person = new_beneficiary(officer, line.data, today)
            person.household = household
            person.possible_duplicate_of = line.possible_duplicate_of
            persons.append(person)
        persons = bulk_create_with_history(persons, Beneficiary, **history)
        _bulk_groups(persons, [line.data.get("target_groups") or [] for line in chunk])
        bulk_create_with_history(
            [
                Enrolment(organization_id=org, beneficiary=p, project=project, enrolled_on=today)
                for line, p in zip(chunk, persons, strict=True)
                for project in line.data.get("projects") or []
            ],
            Enrolment,
            **history,
        )
        bulk_create_with_history(
            [
                Consent(
                    organization_id=org,
                    beneficiary=p,
                    given_on=today,
                    follow_up_surveys=bool(line.data.get("consent_surveys")),
                    network_sharing=bool(line.data.get("consent_sharing")),
                    recorded_by=officer,
                )
                for line, p in zip(chunk, persons, strict=True)
            ],
            Consent,
            **history,
        )
        StatusChange.objects.bulk_create(
            StatusChange(
                organization_id=org,
                beneficiary=p,
                from_status="",
                to_status=p.status,
                changed_on=today,
                changed_by=officer,
                note=_("Imported"),
            )
            for p in persons
        )
        registered += persons
    return registered


def _history_channel() -> dict[str, str]:
    from tandir.core.audit import current_channel

    return {"history_channel": current_channel()}


def _bulk_groups(persons: list[Beneficiary], groups: list[list[Any]]) -> None:
    """Target groups of people just created, and the snapshot of them that their creation's
    history row keeps (what `.set()` would have recorded one person at a time)."""
    rows = [
        BeneficiaryTargetGroup(organization_id=p.organization_id, beneficiary=p, targetgroup=g)
        for p, chosen in zip(persons, groups, strict=True)
        for g in chosen
    ]
    BeneficiaryTargetGroup.objects.bulk_create(rows)
    historical: Any = Beneficiary.changes.model
    snapshot = historical.target_groups.model
    created = dict(
        historical.objects.filter(id__in=[p.pk for p in persons], history_type="+").values_list(
            "id", "history_id"
        )
    )
    snapshot.objects.bulk_create(
        snapshot(
            history_id=created[row.beneficiary_id],
            id=row.pk,
            organization_id=row.organization_id,
            beneficiary_id=row.beneficiary_id,
            targetgroup_id=row.targetgroup_id,
        )
        for row in rows
    )


@transaction.atomic
def start_borrowing(
    officer: StaffUser, beneficiary: Beneficiary, *, on: datetime.date | None = None
) -> StatusChange | None:
    """A loan was disbursed: the person becomes a borrower (unless already one).

    Called by lending's disbursement, whose own right (confirming a disbursement) was checked;
    the stage follows from the loan, not from a choice of the officer's.
    """
    locked = lock_person(beneficiary.pk)
    if locked.status in (Status.BORROWER, Status.EXITED):
        return None
    change = StatusChange.objects.create(
        organization_id=locked.organization_id,
        beneficiary=locked,
        from_status=locked.status,
        to_status=Status.BORROWER,
        changed_on=on or timezone.localdate(),
        changed_by=officer,
        note=_("Loan disbursed"),
    )
    locked.status = Status.BORROWER
    _stamp(officer, locked)
    locked.save(update_fields=["status", "updated_at"])
    return change
