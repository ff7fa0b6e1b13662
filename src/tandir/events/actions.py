"""Every write of events: events and their registrations and attendance, the investor pipeline
of a roadshow, and cooperation agreements with their action plans.

Each action is atomic, checks the right to manage events and the organisation inside, and
refuses what makes no sense with an `EventRefused` whose code says why; a refusal writes
nothing. A network's event is open to its member organisations: they register their own people,
and the network itself (the event's organisation) changes the event.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.core.errors import NotAllowed, NotFound, TandirError
from tandir.core.money import money
from tandir.events import locks, queries
from tandir.events.models import (
    Activity,
    ActivityStatus,
    Agreement,
    Event,
    EventKind,
    Investor,
    InvestorInterest,
    InvestorKind,
    InvestorMeeting,
    Outcome,
    ParticipantKind,
    Party,
    PitchedProject,
    Registration,
)
from tandir.orgs.models import StaffUser
from tandir.orgs.roles import Right, has_right, is_platform_operator
from tandir.registry.models import Beneficiary
from tandir.registry.queries import beneficiaries_in_scope
from tandir.training.models import PartnerInstitution

M = TypeVar("M", bound=Model)


class EventRefused(TandirError):
    """A rule of events was not met; nothing was changed."""

    code = "event_refused"


def _require(user: StaffUser) -> None:
    if not has_right(user, Right.MANAGE_EVENTS):
        raise NotAllowed(_("Your role does not allow this."))


def _own(user: StaffUser, organization_id: int) -> None:
    """The record is the user's organisation's: another organisation's is not there for them."""
    if not is_platform_operator(user) and user.organization_id != organization_id:
        raise NotFound(_("This belongs to another organisation."))


def _organization_id(user: StaffUser) -> int:
    if user.organization_id is None:
        raise EventRefused(
            _("Only staff of an organisation record its events."), code="no_organisation"
        )
    return user.organization_id


def _create(user: StaffUser, model: type[M], **fields: Any) -> M:
    record = model(**fields)
    record._history_user = user  # type: ignore[attr-defined]
    record.save()
    return record


def _save(user: StaffUser, record: Model, fields: list[str]) -> None:
    record._history_user = user  # type: ignore[attr-defined]
    record.save(update_fields=fields)


def _today() -> datetime.date:
    return timezone.localdate()


def _text(value: str, label: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise EventRefused(
            _("Please fill in %(field)s.") % {"field": label}, code="missing", field=label
        )
    return value


def _positive(amount: Decimal | int | str, currency: str, label: str) -> Decimal:
    """A money amount above zero in the currency's own minor units."""
    try:
        value = money(amount, currency).amount
    except (ValueError, InvalidOperation, TypeError) as exc:
        raise EventRefused(
            _("%(field)s is not an amount in %(currency)s.")
            % {"field": label, "currency": currency},
            code="invalid_amount",
        ) from exc
    if value <= 0:
        raise EventRefused(
            _("%(field)s must be more than zero.") % {"field": label}, code="not_positive"
        )
    return value


def _partners(user: StaffUser, organization_id: int, partners: Iterable[Any]) -> list[Any]:
    chosen = list(partners)
    for partner in chosen:
        if partner.organization_id != organization_id:
            raise EventRefused(
                _("%(partner)s is not one of your organisation's partner institutions.")
                % {"partner": partner},
                code="other_organisation",
            )
    return chosen


# --- Events -----------------------------------------------------------------------------------


def _check_event(
    kind: str, starts_on: datetime.date, ends_on: datetime.date, place: str, online_link: str
) -> None:
    if kind not in EventKind.values:
        raise EventRefused(_("Please choose the kind of event."), code="invalid_kind")
    if ends_on < starts_on:
        raise EventRefused(
            _("The last day of the event cannot come before its first day."), code="dates"
        )
    if not place and not online_link:
        raise EventRefused(
            _("Please say where the event takes place, or give its online link."),
            code="no_place",
        )


@transaction.atomic
def create_event(
    user: StaffUser,
    *,
    kind: str,
    title: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    place: str = "",
    online_link: str = "",
    description: str = "",
    partners: Iterable[PartnerInstitution] = (),
) -> Event:
    """An event held by the user's organisation, with the partner institutions organising it."""
    _require(user)
    organization_id = _organization_id(user)
    title = _text(title, _("the title"))
    place, online_link = (place or "").strip(), (online_link or "").strip()
    _check_event(kind, starts_on, ends_on, place, online_link)
    chosen = _partners(user, organization_id, partners)
    event = _create(
        user,
        Event,
        organization_id=organization_id,
        kind=kind,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        place=place,
        online_link=online_link,
        description=(description or "").strip(),
        created_by=user,
    )
    event.partners.set(chosen)
    return event


@transaction.atomic
def change_event(
    user: StaffUser,
    event: Event,
    *,
    title: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    place: str = "",
    online_link: str = "",
    description: str = "",
    partners: Iterable[PartnerInstitution] = (),
) -> Event:
    """Correct an event's title, dates, place and partners (its kind stays)."""
    _require(user)
    _own(user, event.organization_id)
    title = _text(title, _("the title"))
    place, online_link = (place or "").strip(), (online_link or "").strip()
    _check_event(event.kind, starts_on, ends_on, place, online_link)
    chosen = _partners(user, event.organization_id, partners)
    event.title, event.starts_on, event.ends_on = title, starts_on, ends_on
    event.place, event.online_link = place, online_link
    event.description = (description or "").strip()
    _save(user, event, ["title", "starts_on", "ends_on", "place", "online_link", "description"])
    event.partners.set(chosen)
    return event


def _reachable(user: StaffUser, event: Event) -> None:
    """The event is the user's organisation's or one of its networks'; 404 otherwise."""
    if not queries.events_in_scope(user).filter(pk=event.pk).exists():
        raise NotFound(_("No such event."))


def _registered(
    user: StaffUser, event: Event, on: datetime.date | None, **person: Any
) -> Registration:
    day = on or _today()
    if day > _today():
        raise EventRefused(_("A registration cannot be dated in the future."), code="future")
    try:
        with transaction.atomic():
            return _create(
                user,
                Registration,
                event=event,
                registered_on=day,
                registered_by=user,
                **person,
            )
    except IntegrityError as exc:
        raise EventRefused(
            _("This person is already registered for the event."), code="already_registered"
        ) from exc


@transaction.atomic
def register_beneficiary(
    user: StaffUser, event: Event, beneficiary: Beneficiary, *, on: datetime.date | None = None
) -> Registration:
    """Register a participant of the user's organisation (a branch they serve) for the event."""
    _require(user)
    _reachable(user, event)
    if beneficiary.organization_id != user.organization_id and not is_platform_operator(user):
        raise EventRefused(
            _("This person is not a participant of your organisation."),
            code="other_organisation",
        )
    if not beneficiaries_in_scope(user).filter(pk=beneficiary.pk).exists():
        raise EventRefused(
            _("This person is registered in a branch you do not serve."),
            code="other_branch",
        )
    if beneficiary.merged_into_id is not None:
        raise EventRefused(
            _("This record was merged into another one; register the kept record."),
            code="merged",
        )
    return _registered(
        user,
        event,
        on,
        organization_id=beneficiary.organization_id,
        kind=ParticipantKind.BENEFICIARY,
        beneficiary=beneficiary,
    )


@transaction.atomic
def register_staff(
    user: StaffUser, event: Event, staff: StaffUser, *, on: datetime.date | None = None
) -> Registration:
    """Register a member of the user's organisation's staff for the event."""
    _require(user)
    _reachable(user, event)
    if staff.organization_id is None or (
        staff.organization_id != user.organization_id and not is_platform_operator(user)
    ):
        raise EventRefused(
            _("This person does not work for your organisation."),
            code="other_organisation",
        )
    return _registered(
        user,
        event,
        on,
        organization_id=staff.organization_id,
        kind=ParticipantKind.STAFF,
        staff=staff,
    )


@transaction.atomic
def register_outside_participant(
    user: StaffUser,
    event: Event,
    *,
    name: str,
    affiliation: str = "",
    email: str = "",
    phone: str = "",
    on: datetime.date | None = None,
) -> Registration:
    """Register someone from outside the programme (a partner's staff, a speaker, a guest)."""
    _require(user)
    _reachable(user, event)
    name = _text(name, _("the name"))
    email, phone = (email or "").strip(), (phone or "").strip()
    if not email and not phone:
        raise EventRefused(
            _("Please give an email address or a phone number to reach %(name)s.") % {"name": name},
            code="no_contact",
        )
    return _registered(
        user,
        event,
        on,
        organization_id=_organization_id(user),
        kind=ParticipantKind.OUTSIDE,
        name=name,
        affiliation=(affiliation or "").strip(),
        email=email,
        phone=phone,
    )


@transaction.atomic
def cancel_registration(user: StaffUser, registration: Registration) -> None:
    """Take a person off the event's list, before they attended."""
    _require(user)
    _own(user, registration.organization_id)
    registration = locks.lock_registration(registration.pk)
    if registration.attended:
        raise EventRefused(
            _("%(name)s attended the event; the registration stays.")
            % {"name": registration.display_name},
            code="attended",
        )
    registration._history_user = user  # type: ignore[attr-defined]
    registration.delete()


@transaction.atomic
def record_attendance(
    user: StaffUser,
    event: Event,
    person: Registration | Beneficiary,
    *,
    attended: bool,
    today: datetime.date | None = None,
) -> Registration:
    """Mark whether a registered person attended. Someone not registered for this event is
    refused; so is attendance before the event has begun."""
    _require(user)
    _reachable(user, event)
    found = _registration_of(user, event, person)
    if found is None:
        raise EventRefused(
            _("This person is not registered for this event."), code="not_registered"
        )
    if not event.has_started(today or _today()):
        raise EventRefused(_("Attendance is taken once the event has begun."), code="not_started")
    registration = locks.lock_registration(found)
    registration.attended = attended
    registration.attendance_by = user
    _save(user, registration, ["attended", "attendance_by"])
    return registration


def _registration_of(
    user: StaffUser, event: Event, person: Registration | Beneficiary
) -> int | None:
    """The id of the user's organisation's registration of `person` for `event`, if any."""
    mine = Registration.objects.filter(event=event)
    if not is_platform_operator(user):
        mine = mine.filter(organization_id=user.organization_id or 0)
    if isinstance(person, Registration):
        mine = mine.filter(pk=person.pk)
    else:
        mine = mine.filter(beneficiary=person)
    return mine.values_list("pk", flat=True).first()


# --- Investor pipeline ------------------------------------------------------------------------


@transaction.atomic
def add_investor(
    user: StaffUser,
    *,
    name: str,
    kind: str,
    contact_name: str = "",
    email: str = "",
    phone: str = "",
) -> Investor:
    _require(user)
    organization_id = _organization_id(user)
    name = _text(name, _("the name"))
    if kind not in InvestorKind.values:
        raise EventRefused(_("Please choose the kind of investor."), code="invalid_kind")
    if Investor.objects.filter(organization_id=organization_id, name__iexact=name).exists():
        raise EventRefused(
            _("An investor named %(name)s is already on the list.") % {"name": name},
            code="duplicate",
        )
    return _create(
        user,
        Investor,
        organization_id=organization_id,
        name=name,
        kind=kind,
        contact_name=(contact_name or "").strip(),
        email=(email or "").strip(),
        phone=(phone or "").strip(),
    )


@transaction.atomic
def present_project(
    user: StaffUser,
    roadshow: Event,
    beneficiary: Beneficiary,
    *,
    title: str,
    amount_sought: Decimal | int | str,
    currency: str,
    summary: str = "",
) -> PitchedProject:
    """An entrepreneur of the user's organisation presents a project at a roadshow."""
    _require(user)
    _reachable(user, roadshow)
    if roadshow.kind != EventKind.ROADSHOW:
        raise EventRefused(
            _("Projects are presented to investors at an investor roadshow."),
            code="not_a_roadshow",
        )
    if beneficiary.organization_id != user.organization_id and not is_platform_operator(user):
        raise EventRefused(
            _("This person is not a participant of your organisation."),
            code="other_organisation",
        )
    title = _text(title, _("the project title"))
    amount = _positive(amount_sought, currency, _("The amount sought"))
    return _create(
        user,
        PitchedProject,
        organization_id=beneficiary.organization_id,
        event=roadshow,
        beneficiary=beneficiary,
        title=title,
        summary=(summary or "").strip(),
        amount_sought=amount,
        currency=currency,
        created_by=user,
    )


def _interest(user: StaffUser, project: PitchedProject, investor: Investor) -> InvestorInterest:
    _own(user, project.organization_id)
    if investor.organization_id != project.organization_id:
        raise EventRefused(
            _("%(investor)s is not on your organisation's list of investors.")
            % {"investor": investor.name},
            code="other_organisation",
        )
    interest = InvestorInterest.objects.filter(project=project, investor=investor).first()
    if interest is None:
        interest = _create(
            user,
            InvestorInterest,
            organization_id=project.organization_id,
            project=project,
            investor=investor,
        )
    return locks.lock_interest(interest.pk)


@transaction.atomic
def record_meeting(
    user: StaffUser,
    project: PitchedProject,
    investor: Investor,
    *,
    met_on: datetime.date,
    notes: str = "",
    follow_up: str = "",
    follow_up_on: datetime.date | None = None,
) -> InvestorMeeting:
    """A meeting of the entrepreneur with an investor, and what to do next by when."""
    _require(user)
    _own(user, project.organization_id)
    event = project.event
    if met_on < event.starts_on:
        raise EventRefused(
            _("Meetings are recorded from the roadshow's first day (%(day)s).")
            % {"day": event.starts_on.isoformat()},
            code="before_roadshow",
        )
    if met_on > _today():
        raise EventRefused(_("A meeting cannot be recorded before it happens."), code="future")
    if follow_up_on is not None and follow_up_on < met_on:
        raise EventRefused(
            _("The follow-up cannot be due before the meeting."), code="follow_up_before"
        )
    interest = _interest(user, project, investor)
    return _create(
        user,
        InvestorMeeting,
        organization_id=project.organization_id,
        interest=interest,
        met_on=met_on,
        notes=(notes or "").strip(),
        follow_up=(follow_up or "").strip(),
        follow_up_on=follow_up_on,
        recorded_by=user,
    )


@transaction.atomic
def record_outcome(
    user: StaffUser,
    project: PitchedProject,
    investor: Investor,
    *,
    outcome: str,
    invested_amount: Decimal | int | str | None = None,
    on: datetime.date | None = None,
) -> InvestorInterest:
    """Where an investor stands on a project: interested, a term sheet, an investment of an
    amount in the project's currency, or declined."""
    _require(user)
    _own(user, project.organization_id)
    if outcome not in Outcome.values:
        raise EventRefused(_("Please choose an outcome."), code="invalid_outcome")
    amount: Decimal | None = None
    if outcome == Outcome.INVESTED:
        if invested_amount in (None, ""):
            raise EventRefused(
                _("Please give the amount invested."), code="missing", field="invested_amount"
            )
        amount = _positive(invested_amount, project.currency, _("The amount invested"))
    elif invested_amount not in (None, ""):
        raise EventRefused(
            _("An amount is recorded only for an investment."), code="amount_without_investment"
        )
    interest = _interest(user, project, investor)
    interest.outcome = outcome
    interest.invested_amount = amount
    interest.invested_currency = project.currency if amount is not None else ""
    interest.decided_on = None if outcome == Outcome.MET else (on or _today())
    _save(user, interest, ["outcome", "invested_amount", "invested_currency", "decided_on"])
    return interest


# --- Cooperation agreements -------------------------------------------------------------------


@transaction.atomic
def sign_agreement(
    user: StaffUser,
    partner: PartnerInstitution,
    *,
    title: str,
    signed_on: datetime.date,
    valid_until: datetime.date | None = None,
    reference: str = "",
    summary: str = "",
) -> Agreement:
    """Record a cooperation agreement (memorandum of understanding) with a partner."""
    _require(user)
    organization_id = _organization_id(user)
    _partners(user, organization_id, [partner])
    title = _text(title, _("the title"))
    if valid_until is not None and valid_until < signed_on:
        raise EventRefused(_("The agreement cannot end before it was signed."), code="dates")
    return _create(
        user,
        Agreement,
        organization_id=organization_id,
        partner=partner,
        title=title,
        reference=(reference or "").strip(),
        signed_on=signed_on,
        valid_until=valid_until,
        summary=(summary or "").strip(),
        created_by=user,
    )


@transaction.atomic
def plan_activity(
    user: StaffUser,
    agreement: Agreement,
    *,
    description: str,
    responsible_party: str,
    due_on: datetime.date,
    responsible_person: str = "",
) -> Activity:
    """An activity of the agreement's action plan, due within the agreement's validity."""
    _require(user)
    _own(user, agreement.organization_id)
    description = _text(description, _("the activity"))
    if responsible_party not in Party.values:
        raise EventRefused(_("Please say who is responsible."), code="invalid_party")
    if due_on < agreement.signed_on:
        raise EventRefused(
            _("An activity cannot be due before the agreement was signed (%(day)s).")
            % {"day": agreement.signed_on.isoformat()},
            code="due_before_signing",
        )
    if agreement.valid_until is not None and due_on > agreement.valid_until:
        raise EventRefused(
            _("An activity cannot be due after the agreement ends (%(day)s).")
            % {"day": agreement.valid_until.isoformat()},
            code="due_after_end",
        )
    return _create(
        user,
        Activity,
        organization_id=agreement.organization_id,
        agreement=agreement,
        description=description,
        responsible_party=responsible_party,
        responsible_person=(responsible_person or "").strip(),
        due_on=due_on,
    )


@transaction.atomic
def set_activity_status(
    user: StaffUser, activity: Activity, status: str, *, on: datetime.date | None = None
) -> Activity:
    """Move an activity to in progress, done (on a day) or cancelled, or back to planned."""
    _require(user)
    _own(user, activity.organization_id)
    if status not in ActivityStatus.values:
        raise EventRefused(_("Please choose a status."), code="invalid_status")
    activity = locks.lock_activity(activity.pk)
    done_on = None
    if status == ActivityStatus.DONE:
        done_on = on or _today()
        signed_on = Agreement.objects.values_list("signed_on", flat=True).get(
            pk=activity.agreement_id
        )
        if done_on < signed_on:
            raise EventRefused(
                _("An activity cannot be done before the agreement was signed."),
                code="done_before_signing",
            )
        if done_on > _today():
            raise EventRefused(_("An activity cannot be done in the future."), code="future")
    activity.status = status
    activity.done_on = done_on
    _save(user, activity, ["status", "done_on"])
    return activity
