"""Every write of associations and SME clusters. Each action is atomic, checks the right to
manage associations and the officer's organisation and branch inside, locks the association's
row first, and refuses what makes no sense with a `AssociationRefused` carrying a stable code:
nothing is written then.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.associations.locks import lock_association
from tandir.associations.models import (
    ActivityKind,
    ActivityParticipant,
    Association,
    AssociationKind,
    DuesPayment,
    DuesPeriod,
    Meeting,
    MeetingAttendance,
    Membership,
    Office,
    OfficeTerm,
    SupportActivity,
)
from tandir.core.errors import NotAllowed, NotFound, TandirError
from tandir.core.money import money
from tandir.lending.models import Sector
from tandir.orgs.access import scope
from tandir.orgs.models import Branch, District, Locality, StaffUser
from tandir.orgs.roles import Right, has_right
from tandir.registry.models import Beneficiary


class AssociationRefused(TandirError):
    """A rule of associations was not met; nothing was changed."""

    code = "association_refused"


def _require(officer: StaffUser) -> None:
    if not has_right(officer, Right.MANAGE_ASSOCIATIONS):
        raise NotAllowed(_("Your role does not allow this."))


def _today() -> datetime.date:
    return timezone.localdate()


def _refuse(message: str, code: str, **details: Any) -> AssociationRefused:
    return AssociationRefused(message, code=code, **details)


def _not_in_future(day: datetime.date, message: str) -> None:
    if day > _today():
        raise _refuse(message, "future_date")


def _not_before_founding(association: Association, day: datetime.date) -> None:
    if day < association.founded_on:
        raise _refuse(_("That is before the association was founded."), "before_founding")


def _save(officer: StaffUser, record: Any, fields: list[str] | None = None) -> None:
    record._history_user = officer
    if fields is None:
        record.save()
    else:
        record.save(update_fields=fields)


def _branch_in_scope(officer: StaffUser, branch: Branch) -> None:
    if not scope(officer, Branch.objects.filter(pk=branch.pk), branch_field="pk").exists():
        raise NotFound(_("No such branch."))


def _membership_of(association: Association, membership: Membership | int) -> Membership:
    pk = membership.pk if isinstance(membership, Membership) else membership
    found = (
        Membership.objects.select_related("beneficiary")
        .filter(association=association, pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(_("This person is not a member of the association."))
    return found


# --- The association ----------------------------------------------------------------------


def _place(
    branch: Branch,
    *,
    kind: str,
    sector: str,
    district: District | None,
    locality: Locality | None,
) -> District | None:
    """Check where the association is and what it does; returns the district (a locality's own
    district when only the locality was given)."""
    from tandir.registry.queries import districts_served

    if kind not in AssociationKind.values:
        raise _refuse(_("Choose the kind of association."), "invalid_kind")
    if sector and sector not in Sector.values:
        raise _refuse(_("Choose a sector from the list."), "invalid_sector")
    if locality is not None:
        if district is None:
            district = locality.district
        elif locality.district_id != district.pk:
            raise _refuse(_("The locality is in another district."), "locality_elsewhere")
    if kind == AssociationKind.CLUSTER and (not sector or district is None):
        raise _refuse(
            _("A cluster groups businesses of one sector and area: choose both."),
            "cluster_needs_sector_and_area",
        )
    if not sector and locality is None:
        raise _refuse(
            _("An association brings together a locality, a sector or both: choose one."),
            "needs_locality_or_sector",
        )
    if district is not None and not (
        districts_served(Branch.objects.filter(pk=branch.pk)).filter(pk=district.pk).exists()
    ):
        raise _refuse(_("The branch does not serve this district."), "district_not_served")
    return district


@transaction.atomic
def create_association(
    officer: StaffUser,
    branch: Branch,
    *,
    name: str,
    founded_on: datetime.date,
    kind: str = AssociationKind.ASSOCIATION,
    sector: str = "",
    district: District | None = None,
    locality: Locality | None = None,
    formed_with_programme: bool = False,
    purpose: str = "",
) -> Association:
    """A new association (or SME cluster) of the branch."""
    _require(officer)
    _branch_in_scope(officer, branch)
    name = name.strip()
    if not name:
        raise _refuse(_("Give the association a name."), "no_name")
    _not_in_future(founded_on, _("The founding date cannot be in the future."))
    district = _place(branch, kind=kind, sector=sector, district=district, locality=locality)
    association = Association(
        organization_id=branch.organization_id,
        branch=branch,
        kind=kind,
        name=name,
        sector=sector,
        district=district,
        locality=locality,
        founded_on=founded_on,
        formed_with_programme=formed_with_programme,
        purpose=purpose.strip(),
        created_by=officer,
    )
    _save(officer, association)
    return association


@transaction.atomic
def update_association(
    officer: StaffUser,
    association: Association,
    *,
    name: str,
    founded_on: datetime.date,
    kind: str,
    sector: str = "",
    district: District | None = None,
    locality: Locality | None = None,
    formed_with_programme: bool = False,
    purpose: str = "",
) -> Association:
    """Correct what the association is: its name, place, sector, founding date."""
    _require(officer)
    locked = lock_association(officer, association.pk)
    name = name.strip()
    if not name:
        raise _refuse(_("Give the association a name."), "no_name")
    _not_in_future(founded_on, _("The founding date cannot be in the future."))
    first_joined = Membership.objects.filter(association=locked).order_by("joined_on").first()
    if first_joined is not None and founded_on > first_joined.joined_on:
        raise _refuse(
            _("Members joined before that date: the association was founded earlier."),
            "founded_after_members",
        )
    locked.district = _place(
        locked.branch, kind=kind, sector=sector, district=district, locality=locality
    )
    locked.name = name
    locked.kind = kind
    locked.sector = sector
    locked.locality = locality
    locked.founded_on = founded_on
    locked.formed_with_programme = formed_with_programme
    locked.purpose = purpose.strip()
    _save(officer, locked)
    return locked


@transaction.atomic
def set_dues(
    officer: StaffUser,
    association: Association,
    *,
    amount: Decimal | None,
    period: str = "",
    since: datetime.date | None = None,
) -> Association:
    """The dues members pay per period, in the organisation's currency; no amount: no dues."""
    _require(officer)
    locked = lock_association(officer, association.pk)
    if amount is None:
        locked.dues_amount = None
        locked.dues_currency = ""
        locked.dues_period = ""
        locked.dues_since = None
        _save(officer, locked, ["dues_amount", "dues_currency", "dues_period", "dues_since"])
        return locked
    currency = locked.organization.currency
    if amount <= 0:
        raise _refuse(_("Dues must be more than zero."), "invalid_amount")
    try:
        value = money(amount, currency).amount
    except ValueError as exc:
        raise _refuse(
            _("%(currency)s amounts have no more decimals than the currency allows.")
            % {"currency": currency},
            "invalid_amount",
        ) from exc
    if period not in DuesPeriod.values:
        raise _refuse(_("Choose how often dues are paid."), "invalid_period")
    if since is None:
        raise _refuse(_("Choose the day dues are payable from."), "no_start")
    _not_before_founding(locked, since)
    locked.dues_amount = value
    locked.dues_currency = currency
    locked.dues_period = period
    locked.dues_since = since
    _save(officer, locked, ["dues_amount", "dues_currency", "dues_period", "dues_since"])
    return locked


# --- Members ------------------------------------------------------------------------------


def _check_person(officer: StaffUser, association: Association, person: Beneficiary) -> None:
    from tandir.registry.queries import beneficiaries_in_scope

    if person.organization_id != association.organization_id:
        raise _refuse(
            _("Only participants of this organisation can be members."), "other_organization"
        )
    if person.merged_into_id is not None:
        raise _refuse(
            _("This record was merged into another: add the person's kept record."), "merged"
        )
    if not beneficiaries_in_scope(officer).filter(pk=person.pk).exists():
        raise NotFound(_("No such participant."))


@transaction.atomic
def add_member(
    officer: StaffUser,
    association: Association,
    beneficiary: Beneficiary,
    *,
    joined_on: datetime.date,
    business_name: str = "",
) -> Membership:
    """A participant of the organisation joins the association."""
    _require(officer)
    locked = lock_association(officer, association.pk)
    _check_person(officer, locked, beneficiary)
    _not_in_future(joined_on, _("The joining date cannot be in the future."))
    _not_before_founding(locked, joined_on)
    earlier = list(Membership.objects.filter(association=locked, beneficiary=beneficiary))
    if any(m.left_on is None for m in earlier):
        raise _refuse(
            _("%(name)s is already a member.") % {"name": beneficiary.full_name},
            "already_member",
        )
    if any(m.left_on is not None and joined_on <= m.left_on for m in earlier):
        raise _refuse(
            _("%(name)s was a member until a later day: the new membership starts after it.")
            % {"name": beneficiary.full_name},
            "overlapping_membership",
        )
    membership = Membership(
        organization_id=locked.organization_id,
        association=locked,
        beneficiary=beneficiary,
        business_name=business_name.strip(),
        joined_on=joined_on,
    )
    _save(officer, membership)
    return membership


@transaction.atomic
def end_membership(
    officer: StaffUser, membership: Membership, *, left_on: datetime.date
) -> Membership:
    """A member leaves; an office they hold ends the same day."""
    _require(officer)
    locked = lock_association(officer, membership.association_id)
    member = _membership_of(locked, membership)
    if member.left_on is not None:
        raise _refuse(_("This person has already left."), "already_left")
    _not_in_future(left_on, _("The leaving date cannot be in the future."))
    if left_on < member.joined_on:
        raise _refuse(_("A member cannot leave before joining."), "left_before_joining")
    terms = list(OfficeTerm.objects.filter(membership=member).order_by("starts_on"))
    if any(term.starts_on > left_on for term in terms):
        raise _refuse(
            _("The member's term of office starts after that day: correct the term first."),
            "term_after_leaving",
        )
    for term in terms:
        if term.ends_on is None or term.ends_on > left_on:
            term.ends_on = left_on
            _save(officer, term, ["ends_on"])
    member.left_on = left_on
    _save(officer, member, ["left_on"])
    return member


# --- Officers -----------------------------------------------------------------------------


def _overlaps(
    start: datetime.date,
    end: datetime.date | None,
    other_start: datetime.date,
    other_end: datetime.date | None,
) -> bool:
    return (other_end is None or start <= other_end) and (end is None or other_start <= end)


@transaction.atomic
def elect_officer(
    officer: StaffUser,
    association: Association,
    membership: Membership | int,
    *,
    office: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
) -> OfficeTerm:
    """A member elected to an office for a term (open-ended when `ends_on` is not known)."""
    _require(officer)
    locked = lock_association(officer, association.pk)
    member = _membership_of(locked, membership)
    if office not in Office.values:
        raise _refuse(_("Choose an office from the list."), "invalid_office")
    _not_in_future(starts_on, _("A term cannot start in the future."))
    if ends_on is not None and ends_on < starts_on:
        raise _refuse(_("The term cannot end before it starts."), "term_dates")
    if not member.is_member_on(starts_on) or (
        member.left_on is not None and (ends_on is None or ends_on > member.left_on)
    ):
        raise _refuse(
            _("Only a member can hold an office, and only while a member."), "not_a_member"
        )
    name = member.beneficiary.full_name
    for term in OfficeTerm.objects.filter(association=locked).select_related(
        "membership__beneficiary"
    ):
        if not _overlaps(starts_on, ends_on, term.starts_on, term.ends_on):
            continue
        if term.office == office:
            raise _refuse(
                _("%(holder)s holds the office of %(office)s then: end that term first.")
                % {
                    "holder": term.membership.beneficiary.full_name,
                    "office": Office(office).label,
                },
                "office_taken",
            )
        if term.membership_id == member.pk:
            raise _refuse(
                _("%(name)s is %(office)s then: one office at a time.")
                % {"name": name, "office": Office(term.office).label},
                "holds_another_office",
            )
    term = OfficeTerm(
        organization_id=locked.organization_id,
        association=locked,
        membership=member,
        office=office,
        starts_on=starts_on,
        ends_on=ends_on,
        elected_by=officer,
    )
    _save(officer, term)
    return term


@transaction.atomic
def end_term(officer: StaffUser, term: OfficeTerm, *, ends_on: datetime.date) -> OfficeTerm:
    """A term of office ends (early, or on the day it was due to)."""
    _require(officer)
    locked = lock_association(officer, term.association_id)
    current = OfficeTerm.objects.filter(association=locked, pk=term.pk).first()
    if current is None:
        raise NotFound(_("No such term of office."))
    if ends_on < current.starts_on:
        raise _refuse(_("The term cannot end before it starts."), "term_dates")
    if current.ends_on is not None and current.ends_on <= _today():
        raise _refuse(_("This term has already ended."), "term_ended")
    _not_in_future(ends_on, _("Record the end of a term on the day it ends."))
    current.ends_on = ends_on
    _save(officer, current, ["ends_on"])
    return current


# --- Meetings -----------------------------------------------------------------------------


def _members_on(
    association: Association, people: Iterable[int], day: datetime.date, *, outsiders: str
) -> list[Membership]:
    """The memberships of the people on `day`; every person who is not one is reported at once,
    another organisation's people without their names."""
    wanted = sorted(set(people))
    if not wanted:
        return []
    persons = {
        p.pk: p
        for p in Beneficiary.objects.filter(pk__in=wanted).only(
            "pk", "organization_id", "first_name", "patronymic", "last_name"
        )
    }
    outside = [pk for pk in wanted if pk not in persons]
    outside += [pk for pk, p in persons.items() if p.organization_id != association.organization_id]
    if outside:
        raise _refuse(
            outsiders,
            "other_organization",
            people=sorted(outside),
        )
    memberships: dict[int, Membership] = {}
    for membership in Membership.objects.filter(association=association, beneficiary_id__in=wanted):
        if membership.is_member_on(day):
            memberships[membership.beneficiary_id] = membership
    strangers = [persons[pk].full_name for pk in wanted if pk not in memberships]
    if strangers:
        raise _refuse(
            _("Not members of the association on that day: %(names)s.")
            % {"names": ", ".join(sorted(strangers))},
            "not_members",
            people=[pk for pk in wanted if pk not in memberships],
        )
    return [memberships[pk] for pk in wanted]


@transaction.atomic
def record_meeting(
    officer: StaffUser,
    association: Association,
    *,
    held_on: datetime.date,
    present: Sequence[int],
    place: str = "",
    minutes: str = "",
) -> Meeting:
    """A meeting with the members present (participant ids) and its minutes."""
    _require(officer)
    locked = lock_association(officer, association.pk)
    _not_in_future(held_on, _("A meeting cannot be dated in the future."))
    _not_before_founding(locked, held_on)
    if not present:
        raise _refuse(_("Mark the members who came to the meeting."), "no_attendance")
    members = _members_on(
        locked,
        present,
        held_on,
        outsiders=_(
            "Some of the people marked present are not participants of this organisation. "
            "Only the association's members can be marked."
        ),
    )
    if Meeting.objects.filter(association=locked, held_on=held_on).exists():
        raise _refuse(_("A meeting on that day is already recorded."), "meeting_recorded")
    meeting = Meeting(
        organization_id=locked.organization_id,
        association=locked,
        held_on=held_on,
        place=place.strip(),
        minutes=minutes.strip(),
        recorded_by=officer,
    )
    _save(officer, meeting)
    MeetingAttendance.objects.bulk_create(
        MeetingAttendance(organization_id=locked.organization_id, meeting=meeting, membership=m)
        for m in members
    )
    return meeting


# --- Dues ---------------------------------------------------------------------------------


@transaction.atomic
def record_dues_payment(
    officer: StaffUser,
    membership: Membership,
    *,
    amount: Decimal,
    paid_on: datetime.date,
    note: str = "",
) -> DuesPayment:
    """Dues a member paid, in the association's dues currency."""
    _require(officer)
    locked = lock_association(officer, membership.association_id)
    member = _membership_of(locked, membership)
    if not locked.has_dues:
        raise _refuse(_("This association has no dues set."), "no_dues")
    currency = locked.dues_currency
    if amount <= 0:
        raise _refuse(_("The amount must be more than zero."), "invalid_amount")
    try:
        value = money(amount, currency).amount
    except ValueError as exc:
        raise _refuse(
            _("%(currency)s amounts have no more decimals than the currency allows.")
            % {"currency": currency},
            "invalid_amount",
        ) from exc
    _not_in_future(paid_on, _("A payment cannot be dated in the future."))
    if paid_on < member.joined_on:
        raise _refuse(_("The payment is dated before the person joined."), "before_joining")
    payment = DuesPayment(
        organization_id=locked.organization_id,
        association=locked,
        membership=member,
        paid_on=paid_on,
        amount=value,
        currency=currency,
        note=note.strip(),
        recorded_by=officer,
    )
    _save(officer, payment)
    return payment


# --- Support activities -------------------------------------------------------------------


@transaction.atomic
def record_activity(
    officer: StaffUser,
    association: Association,
    *,
    kind: str,
    held_on: datetime.date,
    description: str,
    participants: int,
    members: Sequence[int] = (),
) -> SupportActivity:
    """A support activity: how many took part, and which members (participant ids) among them."""
    _require(officer)
    locked = lock_association(officer, association.pk)
    if kind not in ActivityKind.values:
        raise _refuse(_("Choose the kind of activity."), "invalid_kind")
    description = description.strip()
    if not description:
        raise _refuse(_("Say what the activity was."), "no_description")
    _not_in_future(held_on, _("An activity cannot be dated in the future."))
    _not_before_founding(locked, held_on)
    taking_part = _members_on(
        locked,
        members,
        held_on,
        outsiders=_(
            "Some of the people marked as taking part are not participants of this "
            "organisation. Only the association's members can be marked."
        ),
    )
    if participants < max(len(taking_part), 1):
        raise _refuse(
            _("The number of participants is smaller than the members marked."),
            "too_few_participants",
        )
    activity = SupportActivity(
        organization_id=locked.organization_id,
        association=locked,
        kind=kind,
        held_on=held_on,
        description=description,
        participants=participants,
        recorded_by=officer,
    )
    _save(officer, activity)
    ActivityParticipant.objects.bulk_create(
        ActivityParticipant(organization_id=locked.organization_id, activity=activity, membership=m)
        for m in taking_part
    )
    return activity
