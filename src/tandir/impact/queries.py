"""Reads of impact monitoring: permission-checked lookups of instruments and responses, and the
set-based questions of follow-up planning (who falls due when, who answered, who dropped out)
that the planning page and the donor report share.

When a follow-up falls due: `months_after` calendar months after its anchor, the person's first
disbursed loan (`disbursed_on`) or first completed training (`completed_on`); the day is kept,
and clamped to the month's last day (31 January + 1 month is 28 or 29 February). A baseline
"falls due" on the day the person was registered. Consent is read as it stands now: a person
whose consent to follow-up surveys is not in force is never due, and is counted apart.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from tandir.impact.models import (
    Anchor,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Question,
    Response,
)
from tandir.lending.models import Loan
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right
from tandir.registry.models import Beneficiary, Consent, Enrolment, Status
from tandir.training.models import Participant, ParticipantStatus

# --- Lookups ----------------------------------------------------------------------------------


def instruments_in_scope(user: Any) -> QuerySet[Instrument]:
    """The instruments of the user's organisation, for roles that manage or answer surveys."""
    if not (has_right(user, Right.MANAGE_SURVEYS) or has_right(user, Right.RECORD_RESPONSES)):
        return Instrument.objects.none()
    return scope(user, Instrument.objects.all(), branch_field=None)


def access_instrument(user: Any, instrument_id: Any) -> Instrument:
    try:
        return instruments_in_scope(user).select_related("organization").get(pk=int(instrument_id))
    except (Instrument.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No instrument found.") from exc


def access_version(user: Any, version_id: Any) -> InstrumentVersion:
    try:
        return (
            InstrumentVersion.objects.select_related("instrument")
            .filter(instrument__in=instruments_in_scope(user))
            .get(pk=int(version_id))
        )
    except (InstrumentVersion.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No version found.") from exc


def access_question(user: Any, question_id: Any) -> Question:
    try:
        return (
            Question.objects.select_related("version__instrument")
            .filter(version__instrument__in=instruments_in_scope(user))
            .get(pk=int(question_id))
        )
    except (Question.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No question found.") from exc


def responses_in_scope(user: Any) -> QuerySet[Response]:
    if not has_right(user, Right.SEE_RECORDS):
        return Response.objects.none()
    return scope(user, Response.objects.all())


def published_version(instrument: Instrument) -> InstrumentVersion | None:
    return (
        InstrumentVersion.objects.filter(instrument=instrument, published=True)
        .order_by("-number")
        .first()
    )


def consent_refusal(instrument: Instrument, consent: Consent | None) -> str | None:
    """Why this person may not be surveyed with this instrument, or None."""
    if consent is None or consent.withdrawn_on is not None:
        return _("no consent in force")
    if instrument.kind == InstrumentKind.BASELINE and not consent.programme_use:
        return _("no consent to use the person's data in the programme")
    if instrument.kind == InstrumentKind.FOLLOW_UP and not consent.follow_up_surveys:
        return _("no consent to follow-up surveys")
    return None


# --- When a follow-up falls due ---------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` calendar months later (or earlier), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def _first_anchor(day: datetime.date, months: int) -> datetime.date:
    """The earliest anchor date whose follow-up falls due on or after `day`."""
    anchor = add_months(day, -months)
    one = datetime.timedelta(days=1)
    while add_months(anchor - one, months) >= day:
        anchor -= one
    while add_months(anchor, months) < day:
        anchor += one
    return anchor


def anchor_range(
    start: datetime.date, end: datetime.date, months: int
) -> tuple[datetime.date, datetime.date]:
    """The anchor dates whose follow-up falls due in [start, end], both ends included."""
    return _first_anchor(start, months), _first_anchor(end + datetime.timedelta(days=1), months) - (
        datetime.timedelta(days=1)
    )


def _anchor_dates(
    organization_id: int, instrument: Instrument, project_id: int | None = None
) -> QuerySet[Any]:
    """(beneficiary, first anchor date) per person, grouped in the database; only the people
    of the project when one is given (else a project's report groups a national book)."""
    records: QuerySet[Any]
    if instrument.anchor == Anchor.COMPLETION:
        records = Participant.objects.filter(
            organization_id=organization_id,
            status=ParticipantStatus.COMPLETED,
            completed_on__isnull=False,
        )
        column = "completed_on"
    else:
        records = Loan.objects.filter(organization_id=organization_id, disbursed_on__isnull=False)
        column = "disbursed_on"
    if project_id is not None:
        records = records.filter(
            Exists(
                Enrolment.objects.filter(
                    beneficiary_id=OuterRef("beneficiary_id"), project_id=project_id
                )
            )
        )
    return records.values("beneficiary_id").annotate(anchor_on=Min(column))


def _consent_ok(instrument: Instrument) -> Exists:
    consents = Consent.objects.filter(beneficiary=OuterRef("pk"), withdrawn_on__isnull=True)
    if instrument.kind == InstrumentKind.BASELINE:
        consents = consents.filter(programme_use=True)
    else:
        consents = consents.filter(follow_up_surveys=True)
    return Exists(consents)


def _due_people(
    organization_id: int,
    instrument: Instrument,
    start: datetime.date,
    end: datetime.date,
    *,
    project_id: int | None = None,
    branch_ids: Iterable[int] | None = None,
) -> QuerySet[Any]:
    """Everyone whose turn for the instrument falls in [start, end], consent or not, each with
    `anchor_on`, `consent_ok` and `answered` annotated."""
    people = Beneficiary.objects.filter(organization_id=organization_id, merged_into__isnull=True)
    if instrument.kind == InstrumentKind.BASELINE:
        people = people.filter(registered_on__range=(start, end)).annotate(
            anchor_on=F("registered_on")
        )
    else:
        low, high = anchor_range(start, end, instrument.months_after or 0)
        anchors = _anchor_dates(organization_id, instrument, project_id)
        people = people.filter(
            pk__in=anchors.filter(anchor_on__range=(low, high)).values("beneficiary_id")
        ).annotate(
            anchor_on=Subquery(
                anchors.filter(beneficiary_id=OuterRef("pk")).values("anchor_on")[:1]
            )
        )
    if project_id is not None:
        people = people.filter(
            Exists(Enrolment.objects.filter(beneficiary=OuterRef("pk"), project_id=project_id))
        )
    if branch_ids is not None:
        people = people.filter(branch_id__in=list(branch_ids))
    return people.annotate(consent_ok=_consent_ok(instrument), answered=_answered(instrument))


def _answered(instrument: Instrument) -> Exists:
    return Exists(Response.objects.filter(instrument=instrument, beneficiary=OuterRef("pk")))


def follow_ups_due(
    organization_id: int,
    instrument: Instrument,
    start: datetime.date,
    end: datetime.date,
    *,
    project_id: int | None = None,
    branch_ids: Iterable[int] | None = None,
) -> QuerySet[Any]:
    """The people whose follow-up (or baseline) falls due in [start, end] and who may be
    surveyed: consent in force (to follow-up surveys, for a follow-up). Each carries
    `anchor_on` (the date counted from) and `answered`."""
    return _due_people(
        organization_id, instrument, start, end, project_id=project_id, branch_ids=branch_ids
    ).filter(Q(consent_ok=True))


def due_without_consent(
    organization_id: int,
    instrument: Instrument,
    start: datetime.date,
    end: datetime.date,
    *,
    project_id: int | None = None,
    branch_ids: Iterable[int] | None = None,
) -> QuerySet[Any]:
    """The people whose turn falls in [start, end] but who may not be surveyed (never gave
    consent to follow-ups, or withdrew it): reported, never asked."""
    return _due_people(
        organization_id, instrument, start, end, project_id=project_id, branch_ids=branch_ids
    ).filter(Q(consent_ok=False))


def due_on(instrument: Instrument, anchor_on: datetime.date) -> datetime.date:
    """The day a person's follow-up falls due, from their anchor date."""
    if instrument.kind == InstrumentKind.BASELINE:
        return anchor_on
    return add_months(anchor_on, instrument.months_after or 0)


@dataclass(frozen=True)
class Coverage:
    """How many fell due in the period (and may be surveyed), how many of those answered, how
    many more fell due but gave no consent, and how many of the due have left the programme."""

    due: int
    answered: int
    no_consent: int
    exited: int

    @property
    def not_answered(self) -> int:
        return self.due - self.answered

    @property
    def response_rate_percent(self) -> Decimal | None:
        if not self.due:
            return None
        return (Decimal(100) * self.answered / self.due).quantize(Decimal("0.01"))


def coverage(
    organization_id: int,
    instrument: Instrument,
    start: datetime.date,
    end: datetime.date,
    *,
    project_id: int | None = None,
    branch_ids: Iterable[int] | None = None,
) -> Coverage:
    """One aggregate query over the people due in [start, end]."""
    consent = _consent_ok(instrument)
    counts = _due_people(
        organization_id, instrument, start, end, project_id=project_id, branch_ids=branch_ids
    ).aggregate(
        # The expressions themselves, not the annotations' names: Django drops an annotation
        # it thinks unused from the aggregate's subquery and then reads a missing column.
        due=Count("pk", filter=Q(consent)),
        answered=Count("pk", filter=Q(consent) & Q(_answered(instrument))),
        no_consent=Count("pk", filter=~Q(consent)),
        exited=Count("pk", filter=Q(consent) & Q(status=Status.EXITED)),
    )
    return Coverage(
        due=counts["due"] or 0,
        answered=counts["answered"] or 0,
        no_consent=counts["no_consent"] or 0,
        exited=counts["exited"] or 0,
    )


# --- Follow-up planning page ------------------------------------------------------------------

# The earliest day "due earlier" looks back to: before any programme Tandir serves.
EPOCH = datetime.date(2000, 1, 1)
LIST_LIMIT = 200


@dataclass
class DueLine:
    person: Beneficiary
    due_on: datetime.date
    answered: bool


@dataclass
class Planning:
    instrument: Instrument
    coverage: Coverage
    due: list[DueLine]
    no_consent: list[DueLine]
    overdue: list[DueLine]  # due before the month, consent in force, never answered
    exited: list[DueLine]  # due up to the month's end, left the programme, never answered
    overdue_count: int
    exited_count: int


def planning_branches(user: Any) -> list[int] | None:
    """The branches a planning page covers: None for the whole organisation."""
    if has_right(user, Right.SEE_WHOLE_ORGANIZATION):
        return None
    return list(user.branches.values_list("pk", flat=True))


def _lines(instrument: Instrument, people: QuerySet[Any], limit: int = LIST_LIMIT) -> list[DueLine]:
    rows = people.select_related("branch").order_by("anchor_on", "last_name", "first_name", "pk")
    return [
        DueLine(person=p, due_on=due_on(instrument, p.anchor_on), answered=p.answered)
        for p in rows[:limit]
    ]


def planning(
    user: Any, instrument: Instrument, start: datetime.date, end: datetime.date
) -> Planning:
    """Who is due in [start, end] (answered or not), who may not be asked, and the drop-outs:
    due earlier and never answered, or gone from the programme."""
    organization_id = instrument.organization_id
    branches = planning_branches(user)
    people = _due_people(organization_id, instrument, start, end, branch_ids=branches)
    earlier = _due_people(
        organization_id,
        instrument,
        EPOCH,
        start - datetime.timedelta(days=1),
        branch_ids=branches,
    ).filter(Q(consent_ok=True, answered=False))
    overdue = earlier.exclude(status=Status.EXITED)
    gone = _due_people(organization_id, instrument, EPOCH, end, branch_ids=branches).filter(
        Q(consent_ok=True, answered=False, status=Status.EXITED)
    )
    return Planning(
        instrument=instrument,
        coverage=coverage(organization_id, instrument, start, end, branch_ids=branches),
        due=_lines(instrument, people.filter(Q(consent_ok=True))),
        no_consent=_lines(instrument, people.filter(Q(consent_ok=False))),
        overdue=_lines(instrument, overdue, 50),
        exited=_lines(instrument, gone, 50),
        overdue_count=overdue.count(),
        exited_count=gone.count(),
    )


@dataclass
class PersonInstrument:
    instrument: Instrument
    response: Response | None
    refusal: str | None
    due_on: datetime.date | None


def person_instruments(user: Any, person: Beneficiary) -> list[PersonInstrument]:
    """Each active instrument for one person: answered (when), or whether it may be asked and
    when it falls due."""
    instruments = list(instruments_in_scope(user).filter(is_active=True))
    responses = {
        r.instrument_id: r
        for r in Response.objects.filter(beneficiary=person, instrument__in=instruments)
    }
    consent = Consent.objects.filter(beneficiary=person, withdrawn_on__isnull=True).first()
    first_loan = Loan.objects.filter(beneficiary=person, disbursed_on__isnull=False).aggregate(
        first=Min("disbursed_on")
    )["first"]
    first_completion = Participant.objects.filter(
        beneficiary=person, status=ParticipantStatus.COMPLETED, completed_on__isnull=False
    ).aggregate(first=Min("completed_on"))["first"]
    lines = []
    for instrument in instruments:
        if instrument.kind == InstrumentKind.BASELINE:
            anchor: datetime.date | None = person.registered_on
        elif instrument.anchor == Anchor.COMPLETION:
            anchor = first_completion
        else:
            anchor = first_loan
        lines.append(
            PersonInstrument(
                instrument=instrument,
                response=responses.get(instrument.pk),
                refusal=consent_refusal(instrument, consent),
                due_on=due_on(instrument, anchor) if anchor else None,
            )
        )
    return lines
