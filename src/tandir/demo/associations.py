"""Demo micro-business associations with members, officers and meetings.

Arev (Armenia) and Kür (Azerbaijan) each have a few associations: most formed with the
programme's help from its trained participants, one older one the programme later supported,
and an SME cluster of greenhouse growers. Members join after they finished training; officers
are elected at the founding meeting (one chair hands over after a year); meetings are monthly
with most members present and short minutes; dues are paid mostly on time with a few members
behind; and each association has its joint purchases, market days and trainings.

Everything goes through `tandir.associations.actions`, done by the organisation's business
advisor, with dates up to the demo's last day. The generator is a child of the demo's, so how
many draws the associations take does not change what the loaders after it draw.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from tandir.associations import actions
from tandir.associations.models import Association, Membership
from tandir.orgs.models import Branch, District, StaffUser
from tandir.registry.models import Beneficiary, Status, StatusChange

if TYPE_CHECKING:
    from tandir.demo.loader import Programme

D = Decimal
DAY = datetime.timedelta(days=1)
TRAINED_OR_LATER = (Status.TRAINED, Status.PLANNING, Status.BORROWER)


@dataclass(frozen=True)
class AssociationSpec:
    branch_index: int
    name: str
    sector: str
    founded_on: datetime.date
    formed_with_programme: bool
    size: int
    kind: str = "association"
    dues: tuple[str, str] | None = None  # amount, period
    purpose: str = ""
    handover: bool = False  # the first chair hands over to another member after a year


SPECS: dict[str, tuple[AssociationSpec, ...]] = {
    "am": (
        AssociationSpec(
            1,
            "Gyumri Women Traders' Association",
            "trade",
            datetime.date(2025, 6, 14),
            True,
            14,
            dues=("2000", "monthly"),
            purpose="Buy stock together and share a stall at the Sunday market.",
            handover=True,
        ),
        AssociationSpec(
            2,
            "Vanadzor Craft Makers",
            "crafts",
            datetime.date(2025, 9, 20),
            True,
            10,
            dues=("5000", "quarterly"),
            purpose="Carpets, lace and woodwork sold together at fairs and online.",
        ),
        AssociationSpec(
            0,
            "Ararat Valley Greenhouse Cluster",
            "agriculture",
            datetime.date(2025, 11, 5),
            True,
            9,
            kind="cluster",
            purpose="Greenhouse growers of one valley: seedlings, packing and buyers together.",
        ),
    ),
    "az": (
        AssociationSpec(
            0,
            "Gəncə Qadın Sahibkarlar Birliyi",
            "services",
            datetime.date(2025, 10, 1),
            True,
            12,
            dues=("5", "monthly"),
            purpose="Women entrepreneurs of Ganja: tailoring, hairdressing and catering.",
        ),
        AssociationSpec(
            1,
            "Şəki İpək Ustaları",
            "crafts",
            datetime.date(2024, 4, 12),
            False,
            8,
            dues=("10", "quarterly"),
            purpose="Silk weavers of Shaki, supported by the programme since 2025.",
        ),
    ),
}

MINUTES = (
    "Members reported on the month's sales. Agreed the next joint order of {item}.",
    "Discussed prices at the market and who keeps the stall on Saturdays.",
    "The treasurer reported the dues collected. Two members asked for advice on loans.",
    "Planned the next market day; {count} members will bring goods.",
    "A business advisor explained record keeping; members shared their notebooks.",
    "Agreed to ask the municipality for a place at the autumn fair.",
)
ITEMS = ("flour and sugar", "packaging", "seedlings and fertiliser", "yarn and dyes", "fabric")
ACTIVITIES = (
    ("joint_purchasing", "Joint purchase of {item} from a wholesaler at a lower price."),
    ("market_day", "Market day in the town square: members sold their goods together."),
    ("training", "Training on pricing and marketing with the programme's trainer."),
    ("trade_fair", "A shared stand at the regional trade fair."),
)


def load_associations(
    rng: random.Random, programmes: Sequence[Programme], *, as_of: datetime.date
) -> None:
    local = random.Random(rng.getrandbits(64))
    for programme in programmes:
        specs = SPECS.get(programme.prefix, ())
        if not specs:
            continue
        advisor = programme.staff[f"{programme.prefix}.advisor"]
        for spec in specs:
            branch = programme.branches[spec.branch_index % len(programme.branches)][0]
            _Builder(local, advisor, branch, spec, as_of).build()


class _Builder:
    def __init__(
        self,
        rng: random.Random,
        advisor: StaffUser,
        branch: Branch,
        spec: AssociationSpec,
        as_of: datetime.date,
    ) -> None:
        self.rng = rng
        self.advisor = advisor
        self.branch = branch
        self.spec = spec
        self.as_of = as_of

    def _candidates(self) -> tuple[District | None, list[tuple[Beneficiary, datetime.date]]]:
        """Trained participants of the branch not yet in an association, with the day they
        finished training, from the district most of them live in."""
        trained = dict(
            StatusChange.objects.filter(
                beneficiary__branch=self.branch, to_status=Status.TRAINED
            ).values_list("beneficiary_id", "changed_on")
        )
        taken = set(Membership.objects.values_list("beneficiary_id", flat=True))
        people = [
            p
            for p in Beneficiary.objects.filter(
                branch=self.branch, status__in=TRAINED_OR_LATER, merged_into=None
            ).order_by("pk")
            if p.pk not in taken
        ]
        if not people:
            return None, []
        district_id = Counter(p.district_id for p in people).most_common(1)[0][0]
        near = [p for p in people if p.district_id == district_id]
        others = [p for p in people if p.district_id != district_id]
        chosen = (near + others)[: self.spec.size]
        district = District.objects.get(pk=district_id)
        return district, [(p, trained.get(p.pk, p.registered_on)) for p in chosen]

    def build(self) -> None:
        spec = self.spec
        district, people = self._candidates()
        if len(people) < 3:
            return
        association = actions.create_association(
            self.advisor,
            self.branch,
            kind=spec.kind,
            name=spec.name,
            sector=spec.sector,
            district=district,
            founded_on=spec.founded_on,
            formed_with_programme=spec.formed_with_programme,
            purpose=spec.purpose,
        )
        # Founders join on the founding day; the others after they finish training.
        founders = max(3, len(people) // 2)
        members: list[Membership] = []
        for n, (person, trained_on) in enumerate(people):
            if n < founders:
                joined = spec.founded_on
            else:
                earliest = max(spec.founded_on, trained_on) + DAY * self.rng.randint(7, 60)
                if earliest > self.as_of:
                    continue
                joined = earliest
            members.append(actions.add_member(self.advisor, association, person, joined_on=joined))
        if len(members) > max(5, founders) and self.rng.random() < 0.8:
            leaving = members[-1]
            left = leaving.joined_on + DAY * self.rng.randint(60, 200)
            if left < self.as_of:
                members[-1] = actions.end_membership(self.advisor, leaving, left_on=left)
        self._officers(association, members[:founders])
        if spec.dues is not None:
            association = actions.set_dues(
                self.advisor,
                association,
                amount=D(spec.dues[0]),
                period=spec.dues[1],
                since=spec.founded_on,
            )
        self._meetings(association, members)
        self._dues(association, members)
        self._activities(association, members)

    def _officers(self, association: Association, founders: list[Membership]) -> None:
        start = self.spec.founded_on
        chair, secretary, treasurer = founders[0], founders[1], founders[2]
        chair_until = start + DAY * 365 if self.spec.handover else None
        if chair_until is not None and chair_until >= self.as_of:
            chair_until = None
        actions.elect_officer(
            self.advisor, association, chair, office="chair", starts_on=start, ends_on=chair_until
        )
        actions.elect_officer(
            self.advisor, association, secretary, office="secretary", starts_on=start
        )
        actions.elect_officer(
            self.advisor, association, treasurer, office="treasurer", starts_on=start
        )
        if chair_until is not None and len(founders) > 3:
            actions.elect_officer(
                self.advisor,
                association,
                founders[3],
                office="chair",
                starts_on=chair_until + DAY,
            )

    def _present(self, members: list[Membership], day: datetime.date) -> list[Membership]:
        current = [m for m in members if m.is_member_on(day)]
        return [m for m in current if self.rng.random() < 0.8] or current[:1]

    def _meetings(self, association: Association, members: list[Membership]) -> None:
        # Associations formed with the programme meet monthly; the older one every two months.
        every = 30 if self.spec.formed_with_programme else 60
        day = self.spec.founded_on
        first = True
        while day <= self.as_of:
            if first or self.rng.random() < 0.85:
                present = self._present(members, day)
                text = (
                    "Founding meeting. Members adopted the statutes and elected the chair, "
                    "the secretary and the treasurer."
                    if first
                    else self.rng.choice(MINUTES).format(
                        item=self.rng.choice(ITEMS), count=len(present)
                    )
                )
                actions.record_meeting(
                    self.advisor,
                    association,
                    held_on=day,
                    present=[m.beneficiary_id for m in present],
                    place=self.branch.name,
                    minutes=text,
                )
            first = False
            day += DAY * (every + self.rng.randint(-3, 3))

    def _dues(self, association: Association, members: list[Membership]) -> None:
        if association.dues_amount is None or association.dues_since is None:
            return
        from tandir.associations.dues import MONTHS, periods_owed

        amount = association.dues_amount
        months = MONTHS[association.dues_period]
        for member in members:
            # Most pay every period on time; about one in five falls behind.
            keeps_up = self.rng.random() < 0.8
            owed = periods_owed(
                joined_on=member.joined_on,
                left_on=member.left_on,
                dues_since=association.dues_since,
                as_of=self.as_of,
                period=association.dues_period,
            )
            paying = owed if keeps_up else max(0, owed - self.rng.randint(1, 3))
            # Monthly dues are paid a quarter at a time, quarterly ones each quarter.
            batch = 3 if months == 1 else 1
            paid_on = member.joined_on
            while paying > 0:
                periods = min(batch, paying)
                actions.record_dues_payment(
                    self.advisor,
                    member,
                    amount=amount * periods,
                    paid_on=min(paid_on, self.as_of),
                    note="",
                )
                paying -= periods
                paid_on += DAY * 30 * months * periods

    def _activities(self, association: Association, members: list[Membership]) -> None:
        day = self.spec.founded_on + DAY * self.rng.randint(40, 80)
        count = 0
        while day <= self.as_of and count < 5:
            kind, text = ACTIVITIES[count % len(ACTIVITIES)]
            taking_part = self._present(members, day)
            actions.record_activity(
                self.advisor,
                association,
                kind=kind,
                held_on=day,
                description=text.format(item=self.rng.choice(ITEMS)),
                participants=len(taking_part) + self.rng.randint(0, 12),
                members=[m.beneficiary_id for m in taking_part],
            )
            count += 1
            day += DAY * self.rng.randint(60, 110)
