"""A small project built by hand through the actions, whose donor report is worked out in the
tests from the definitions (tests/reports/test_donor.py says the sums).

People of the project `SR1` (all registered today, so enrolled today), loans in USD at a
flat 0 % in 10 installments of 100, disbursed 2025-11-15:

- p1: woman, 25, branch A, household h1; training completed; loan paid in full 2025-12-15;
  follow-up: income better, life better, business operating, paid employees 0→2, family
  workers 1→1, income 200→300.
- p2: man, 40, branch A, own household; dropped out of training; 500 paid 2026-06-01;
  follow-up: income same, life better, operating, employees 1→1, family 1→0, income 200→150.
- p3: woman, 40, branch A, p1's household; training completed; nothing paid; follow-up due,
  not answered.
- p4: man, 22, branch B; still in training; a plan sent to appraisal today.
- p5: woman, 30, branch A; not in the project.
- lending's own person (Anahit Petrosyan, branch A, 36): registered in the project, nothing else.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from tandir.associations import actions as associations
from tandir.impact import actions as impact
from tandir.impact.models import Instrument
from tandir.lending import actions as lending_actions
from tandir.lending.models import Loan
from tandir.orgs.models import Role, StaffUser
from tandir.plans import actions as plan_actions
from tandir.plans.models import BusinessPlan
from tandir.registry.models import Beneficiary
from tandir.training import actions as training_actions
from tandir.training.models import Participant
from tests.factories import World, make_user, register
from tests.lending_factories import DISBURSED, Lending, build_lending, disbursed_loan, product
from tests.plans.factories import bakery
from tests.training.factories import build_training, person

D = Decimal
FROM = datetime.date(2025, 6, 1)


@dataclass
class Project:
    world: World
    lending: Lending
    people: dict[str, Beneficiary]
    loans: dict[str, Loan]
    today: datetime.date
    advisor: StaffUser

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        return FROM, self.today


def _age(years: int, today: datetime.date) -> str:
    return today.replace(year=today.year - years, day=1).isoformat()


def build_project(world: World) -> Project:
    today = timezone.localdate()
    lending = build_lending(world)
    training = build_training(world)
    zero = product(world, "zero", "flat", rate_min=D(0), rate_max=D(0), term_min=10, term_max=10)
    people = {
        "p1": person(world, 1, sex="female", date_of_birth=_age(25, today)),
        "p2": person(world, 2, sex="male", date_of_birth=_age(40, today), heard_via="event"),
        "p3": person(world, 3, sex="female", date_of_birth=_age(40, today)),
        "p4": register(
            world,
            world.admin,
            first_name="Aram4",
            last_name="Petrosyan4",
            phone="+374 91 100004",
            national_id="AM1000004",
            sex="male",
            date_of_birth=_age(22, today),
            branch=world.branch_b.pk,
            district=world.district_b.pk,
            heard_via="referral",
        ),
        "p5": person(world, 5, sex="female", date_of_birth=_age(30, today), projects=[]),
    }
    # p3 lives with p1: one family, two borrowers. Registration makes a household per person;
    # moving a person into another's household is test set-up, not a programme action.
    Beneficiary.objects.filter(pk=people["p3"].pk).update(household=people["p1"].household)

    loans = {
        name: disbursed_loan(lending, zero, amount="1000", rate="0", term=10, person=people[name])
        for name in ("p1", "p2", "p3")
    }
    officer = lending.officer
    lending_actions.record_repayment(
        officer, loans["p1"], amount=D(1000), value_date=datetime.date(2025, 12, 15),
        reference="p1-all",
    )  # fmt: skip
    lending_actions.record_repayment(
        officer, loans["p2"], amount=D(500), value_date=datetime.date(2026, 6, 1),
        reference="p2-half",
    )  # fmt: skip

    manager = world.manager_a
    places: dict[str, Participant] = {}
    for name in ("p1", "p2", "p3"):
        places[name] = training_actions.enrol(manager, training.cohort, people[name])
    admin = world.admin
    places["p4"] = training_actions.enrol(admin, training.cohort, people["p4"])
    for session in training.sessions:
        training_actions.record_attendance(
            training.trainer_a,
            session,
            {places[n].pk: "present" for n in ("p1", "p2", "p3", "p4")},
        )
    training_actions.complete_participant(training.trainer_a, places["p1"])
    training_actions.complete_participant(training.trainer_a, places["p3"])
    training_actions.drop_out(training.trainer_a, places["p2"], reason="Moved away")

    # Plans: p4's sent to appraisal today (prepared, not financed); p1's plan stands for the
    # loan p1 was given (linked in set-up: the plan came before the loan in the story).
    advisor = make_user(world.org, Role.BUSINESS_ADVISOR, [world.branch_a, world.branch_b], "adv")
    product(
        world, "start-amd", "declining", currency="AMD", amount_min=D(100000),
        amount_max=D(5000000), term_min=6, term_max=36, rate_min=D(18), rate_max=D(24),
        round_to=D(1),
    )  # fmt: skip
    plan4 = plan_actions.create_plan(advisor, people["p4"], title="Bakery", content=bakery())
    plan_actions.submit_for_review(advisor, plan4)
    plan_actions.review_plan(advisor, plan4, accept=True)
    plan_actions.send_to_appraisal(advisor, plan4)
    plan1 = plan_actions.create_plan(advisor, people["p1"], title="Tailor", content=bakery())
    BusinessPlan.objects.filter(pk=plan1.pk).update(
        loan=loans["p1"], sent_on=DISBURSED - datetime.timedelta(days=20)
    )

    _surveys(world, people, today)

    founded = today - datetime.timedelta(days=30)
    formed = associations.create_association(
        manager, world.branch_a, name="Gyumri tailors", founded_on=founded, sector="crafts",
        formed_with_programme=True,
    )  # fmt: skip
    associations.add_member(manager, formed, people["p1"], joined_on=founded)
    other = associations.create_association(
        manager, world.branch_a, name="Old bakers", founded_on=founded, sector="crafts"
    )
    associations.add_member(manager, other, people["p2"], joined_on=founded)
    return Project(world, lending, people, loans, today, advisor)


def _surveys(world: World, people: dict[str, Beneficiary], today: datetime.date) -> None:
    me = world.me_officer
    impact.seed_instruments(me, world.org)
    baseline = Instrument.objects.get(organization=world.org, code="baseline")
    follow_up = Instrument.objects.get(organization=world.org, code="follow-up-12")
    base: dict[str, dict[str, Any]] = {
        "p1": {"paid_employees": 0, "family_workers": 1},
        "p2": {"paid_employees": 1, "family_workers": 1},
        "p3": {"paid_employees": 0, "family_workers": 0},
    }
    for name, extra in base.items():
        impact.record_response(
            me,
            instrument=baseline,
            beneficiary=people[name],
            taken_on=DISBURSED - datetime.timedelta(days=30),
            answers={
                "household_income_monthly": "200",
                "business_operating": "no",
                "quality_of_life": 3,
                **extra,
            },
        )
    later: dict[str, dict[str, Any]] = {
        "p1": {
            "household_income_monthly": "300",
            "income_change": "better",
            "quality_of_life_change": "better",
            "business_operating": "yes",
            "paid_employees": 2,
            "family_workers": 1,
        },
        "p2": {
            "household_income_monthly": "150",
            "income_change": "same",
            "quality_of_life_change": "better",
            "business_operating": "yes",
            "paid_employees": 1,
            "family_workers": 0,
        },
    }
    for name, answers in later.items():
        impact.record_response(
            me,
            instrument=follow_up,
            beneficiary=people[name],
            taken_on=today - datetime.timedelta(days=5),
            answers={"quality_of_life": 4, **answers},
        )
