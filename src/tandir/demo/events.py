"""Demo events: a past network conference, a roadshow with two investors, and a cooperation
agreement with its action plan.

The network (found by its kind) holds its conference every two years; the member organisations'
M&E officers register their own staff and a few of their borrowers through the actions, and
mark who came. The Armenian agency holds an investor roadshow where three entrepreneurs present
projects to two investors, and has a memorandum with the national training institute whose
action plan has one activity overdue at the end of the demo's history.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from tandir.events import actions
from tandir.events.models import ActivityStatus, Event, EventKind, Outcome, Party
from tandir.orgs.models import NetworkMembership, Organization, OrganizationKind
from tandir.registry.models import Beneficiary, Status
from tandir.training.models import InstitutionKind, PartnerInstitution

if TYPE_CHECKING:
    from tandir.demo.loader import Programme

D = datetime.date


def load_events(
    rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date
) -> None:
    _network_conference(rng, programmes, as_of)
    arev = next((p for p in programmes if p.prefix == "am"), None)
    if arev is not None:
        _roadshow(rng, arev, as_of)
        _agreement(arev, as_of)


def _people(
    rng: random.Random, programme: Programme, statuses: list[str], count: int
) -> list[Beneficiary]:
    """A few people of the programme at these stages, none of a protected category (a public
    event lists who came)."""
    people = list(
        Beneficiary.objects.filter(
            organization=programme.organization, status__in=statuses, merged_into=None
        )
        .exclude(target_groups__is_protected=True)
        .order_by("pk")
    )
    return sorted(rng.sample(people, min(count, len(people))), key=lambda p: p.pk)


def _network_conference(
    rng: random.Random, programmes: Sequence[Programme], as_of: datetime.date
) -> None:
    members = {p.organization.pk: p for p in programmes}
    network = (
        Organization.objects.filter(
            kind=OrganizationKind.NETWORK,
            pk__in=NetworkMembership.objects.filter(organization_id__in=list(members)).values(
                "network_id"
            ),
        )
        .order_by("pk")
        .first()
    )
    if network is None:
        return
    # Held every two years; the demo's is the one of the year before its history ends.
    year = as_of.year - 1
    # The network has no staff who manage events: the demo writes its event as its secretariat
    # would have, and its members register their people through the actions.
    conference = Event.objects.create(
        organization=network,
        kind=EventKind.CONFERENCE,
        title=f"{network.short_name or network.name} biennial conference {year}",
        starts_on=D(year, 10, 16),
        ends_on=D(year, 10, 17),
        place="Tbilisi, Radisson Blu Iveria",
        description=(
            "Two days on responsible microfinance for refugee and displaced families: "
            "client protection, repayment capacity and the network's shared figures."
        ),
    )
    registered_on = conference.starts_on - datetime.timedelta(days=21)
    for organization_id in (
        NetworkMembership.objects.filter(network=network)
        .values_list("organization_id", flat=True)
        .order_by("organization_id")
    ):
        programme = members.get(organization_id)
        if programme is None:
            continue
        officer = programme.staff[f"{programme.prefix}.me"]
        registrations = [
            actions.register_staff(officer, conference, programme.staff[key], on=registered_on)
            for key in (f"{programme.prefix}.me", f"{programme.prefix}.manager")
        ]
        for person in _people(rng, programme, [Status.BORROWER], 3):
            registrations.append(
                actions.register_beneficiary(officer, conference, person, on=registered_on)
            )
        # Everyone came but one borrower, who could not travel.
        for registration in registrations[:-1]:
            actions.record_attendance(
                officer, conference, registration, attended=True, today=conference.ends_on
            )
    arev = next((p for p in programmes if p.prefix == "am"), None)
    if arev is not None:
        actions.register_outside_participant(
            arev.staff["am.me"],
            conference,
            name="Marta Lindqvist",
            affiliation="Nordlys Livelihoods Fund",
            email="m.lindqvist@nordlys.example.org",
            on=registered_on,
        )


INVESTORS = [
    ("Ararat Business Angels", "angel", "Sevak Arakelyan", "+374 10 555 101"),
    ("Diaspora Growth Fund", "diaspora", "Nayiri Boghossian", "+1 818 555 0142"),
]
PROJECTS = [
    ("Cold storage for the village's apricots", Decimal("6500000")),
    ("Second sewing line for school uniforms", Decimal("3200000")),
    ("Greenhouse for winter tomatoes", Decimal("4800000")),
]


def _roadshow(rng: random.Random, programme: Programme, as_of: datetime.date) -> None:
    officer = programme.staff["am.me"]
    roadshow = actions.create_event(
        officer,
        kind=EventKind.ROADSHOW,
        title="Investor roadshow: growing businesses of Shirak and Lori",
        starts_on=D(as_of.year, 9, 22),
        ends_on=D(as_of.year, 9, 23),
        place="Yerevan, American University of Armenia",
    )
    angels, diaspora = (
        actions.add_investor(officer, name=name, kind=kind, contact_name=contact, phone=phone)
        for name, kind, contact, phone in INVESTORS
    )
    people = _people(rng, programme, [Status.BORROWER, Status.PLANNING], len(PROJECTS))
    first_day = roadshow.starts_on
    projects = [
        actions.present_project(
            officer,
            roadshow,
            person,
            title=title,
            amount_sought=amount,
            currency="AMD",
            summary="Presented with the business plan prepared with the programme's advisor.",
        )
        for person, (title, amount) in zip(people, PROJECTS, strict=False)
    ]
    follow_up_on = first_day + datetime.timedelta(days=14)
    for project in projects:
        for investor in (angels, diaspora):
            actions.record_meeting(
                officer,
                project,
                investor,
                met_on=first_day,
                notes="Met at the roadshow's investor table.",
                follow_up="Send the cash-flow table and a site visit date",
                follow_up_on=follow_up_on,
            )
    decided = first_day + datetime.timedelta(days=30)
    outcomes = [
        (angels, Outcome.INVESTED, Decimal("2500000")),
        (diaspora, Outcome.TERM_SHEET, None),
        (angels, Outcome.DECLINED, None),
        (diaspora, Outcome.INTERESTED, None),
        (angels, Outcome.INTERESTED, None),
    ]
    for project, (investor, outcome, amount) in zip(
        [p for p in projects for _i in range(2)], outcomes, strict=False
    ):
        actions.record_outcome(
            officer, project, investor, outcome=outcome, invested_amount=amount, on=decided
        )


ACTION_PLAN = [
    # (activity, responsible party, person, due, status, done)
    (
        "Train 20 programme staff as Start Your Business trainers",
        Party.PARTNER,
        "Head of the trainers' school",
        D(2025, 6, 30),
        ActivityStatus.DONE,
        D(2025, 6, 20),
    ),
    (
        "Open a joint SMB development centre in Gyumri",
        Party.JOINT,
        "",
        D(2026, 12, 15),
        ActivityStatus.IN_PROGRESS,
        None,
    ),
    (
        "Review the curriculum with the participants' feedback",
        Party.OURSELVES,
        "M&E officer",
        D(2026, 9, 30),
        ActivityStatus.PLANNED,
        None,
    ),
    (
        "Trade fair of the participants' products",
        Party.JOINT,
        "",
        D(2027, 2, 20),
        ActivityStatus.PLANNED,
        None,
    ),
]


def _agreement(programme: Programme, as_of: datetime.date) -> None:
    """The memorandum with the training institute; "Review the curriculum" (due 30 September)
    is overdue at the end of the demo's history."""
    manager = programme.staff["am.manager"]
    partner = (
        PartnerInstitution.objects.filter(
            organization=programme.organization, kind=InstitutionKind.NATIONAL_INSTITUTE
        )
        .order_by("pk")
        .first()
    )
    if partner is None:
        partner = PartnerInstitution.objects.create(
            organization=programme.organization,
            name="National Centre for Small Business Development",
            kind=InstitutionKind.NATIONAL_INSTITUTE,
        )
    agreement = actions.sign_agreement(
        manager,
        partner,
        title="Memorandum of understanding on entrepreneurship training",
        reference="MoU-2025-04",
        signed_on=D(2025, 3, 10),
        valid_until=D(2027, 3, 9),
        summary=(
            "The institute trains the programme's trainers and teaches its small-business "
            "course; the programme brings the participants and the SMB development centres."
        ),
    )
    for description, party, person, due_on, status, done_on in ACTION_PLAN:
        activity = actions.plan_activity(
            manager,
            agreement,
            description=description,
            responsible_party=party,
            responsible_person=person,
            due_on=due_on,
        )
        if status != ActivityStatus.PLANNED:
            actions.set_activity_status(manager, activity, status, on=done_on)
