"""When follow-ups fall due, and coverage, on hand-built loans and trainings whose answers are
worked out by hand from the definition (anchor + months, clamped to the month's end)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tandir.impact import actions
from tandir.impact.queries import (
    add_months,
    anchor_range,
    coverage,
    due_without_consent,
    follow_ups_due,
)
from tandir.registry.actions import change_status, withdraw_consent
from tandir.registry.models import Beneficiary
from tandir.training.models import Participant, ParticipantStatus
from tests.impact.factories import FOLLOW_UP_ANSWERS, Impact, person
from tests.lending_factories import Lending, build_lending, disbursed_loan
from tests.training.factories import build_training

D = datetime.date
MAY = (D(2026, 5, 1), D(2026, 5, 31))


@st.composite
def _dates(draw: st.DrawFn) -> datetime.date:
    return draw(st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)))


@settings(max_examples=200, deadline=None)
@given(anchor=_dates(), start=_dates(), length=st.integers(0, 70), months=st.integers(1, 24))
def test_an_anchor_is_in_the_range_exactly_when_its_follow_up_falls_in_the_period(
    anchor: datetime.date, start: datetime.date, length: int, months: int
) -> None:
    end = start + datetime.timedelta(days=length)
    low, high = anchor_range(start, end, months)
    assert (low <= anchor <= high) is (start <= add_months(anchor, months) <= end)


def test_months_are_calendar_months_clamped_to_the_end() -> None:
    assert add_months(D(2025, 11, 15), 6) == D(2026, 5, 15)
    assert add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)
    assert add_months(D(2027, 8, 31), 6) == D(2028, 2, 29)
    assert add_months(D(2025, 12, 31), 6) == D(2026, 6, 30)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)


@dataclass
class Cast:
    lending: Lending
    may_15: Beneficiary
    may_31: Beneficiary  # disbursed 30 November: due 30 May
    june_30: Beneficiary  # disbursed 31 December: due 30 June
    feb_28: Beneficiary  # disbursed 31 August: due 28 February
    no_consent: Beneficiary  # due 15 May, never consented to follow-ups
    two_loans: Beneficiary  # first loan 20 November (due 20 May), second in January
    other_project: Beneficiary  # due 10 May, not enrolled in the project
    branch_b: Beneficiary  # due 12 May, branch B


def _cast(impact: Impact) -> Cast:
    world = impact.world
    lending = build_lending(world)
    product = lending.declining

    def borrower(n: int, on: datetime.date, **kwargs) -> Beneficiary:
        who = person(world, n, **kwargs)
        disbursed_loan(lending, product, on=on, person=who)
        return who

    cast = Cast(
        lending=lending,
        may_15=borrower(1, D(2025, 11, 15)),
        may_31=borrower(2, D(2025, 11, 30)),
        june_30=borrower(3, D(2025, 12, 31)),
        feb_28=borrower(4, D(2025, 8, 31)),
        no_consent=borrower(5, D(2025, 11, 15), surveys=False),
        two_loans=borrower(6, D(2025, 11, 20)),
        other_project=borrower(7, D(2025, 11, 10), projects=[]),
        branch_b=person(world, 8, officer=world.admin, branch=world.branch_b.pk),
    )
    disbursed_loan(lending, product, on=D(2026, 1, 10), person=cast.two_loans)
    # Branch B's person borrows through branch B's loan officer.
    from tandir.lending import actions as lending_actions

    loan = lending_actions.apply_for_loan(
        world.loan_officer_b, cast.branch_b, product, amount=Decimal(500), term=6,
        rate=Decimal(24), purpose="Stock", sector="trade", on=D(2025, 11, 1),
    )  # fmt: skip
    lending_actions.appraise(
        world.admin, loan,
        business_income=Decimal(900), business_expenses=Decimal(200),
        household_income=Decimal(100), household_expenses=Decimal(300),
    )  # fmt: skip
    lending_actions.approve(
        lending.committee, loan, fund=lending.fund, bank_branch=lending.bank_branch,
        on=D(2025, 11, 5),
    )  # fmt: skip
    lending_actions.instruct_disbursement(world.admin, lending.bank, [loan], on=D(2025, 11, 12))
    lending_actions.confirm_disbursement(
        lending.accountant, loan, bank_reference="PB-2", on=D(2025, 11, 12)
    )
    return cast


def _names(people) -> set[str]:
    return {p.first_name for p in people}


def test_follow_ups_due_and_coverage_by_the_definition(impact: Impact) -> None:
    world = impact.world
    cast = _cast(impact)
    six = impact.follow_up_6
    org = world.org.pk
    may = follow_ups_due(org, six, *MAY)
    assert _names(may) == {
        cast.may_15.first_name,
        cast.may_31.first_name,
        cast.two_loans.first_name,
        cast.other_project.first_name,
        cast.branch_b.first_name,
    }
    anchors = {p.pk: p.anchor_on for p in may}
    assert anchors[cast.two_loans.pk] == D(2025, 11, 20)  # the first disbursed loan
    assert _names(due_without_consent(org, six, *MAY)) == {cast.no_consent.first_name}
    assert _names(follow_ups_due(org, six, D(2026, 6, 1), D(2026, 6, 30))) == {
        cast.june_30.first_name
    }
    assert _names(follow_ups_due(org, six, D(2026, 2, 1), D(2026, 2, 28))) == {
        cast.feb_28.first_name
    }
    assert _names(follow_ups_due(org, six, D(2026, 5, 16), D(2026, 5, 30))) == {
        cast.may_31.first_name,
        cast.two_loans.first_name,
    }
    # 12 months: November 2026 for the November borrowers.
    assert len(follow_ups_due(org, impact.follow_up_12, D(2026, 11, 1), D(2026, 11, 30))) == 5
    # By project (enrolment) and by branch.
    in_project = follow_ups_due(org, six, *MAY, project_id=world.project.pk)
    assert cast.other_project.first_name not in _names(in_project)
    assert len(in_project) == 4
    assert _names(follow_ups_due(org, six, *MAY, branch_ids=[world.branch_b.pk])) == {
        cast.branch_b.first_name
    }

    assert coverage(org, six, *MAY).due == 5
    for who in (cast.may_15, cast.two_loans):
        actions.record_response(
            world.me_officer, instrument=six, beneficiary=who, taken_on=D(2026, 5, 20),
            answers=FOLLOW_UP_ANSWERS,
        )  # fmt: skip
    change_status(world.admin, cast.may_31, "exited")
    result = coverage(org, six, *MAY)
    assert (result.due, result.answered, result.no_consent, result.exited) == (5, 2, 1, 1)
    assert result.not_answered == 3
    assert result.response_rate_percent == Decimal("40.00")
    project = coverage(org, six, *MAY, project_id=world.project.pk)
    assert (project.due, project.answered) == (4, 2)
    # Withdrawing consent takes a person out of the due, into "no consent".
    withdraw_consent(world.me_officer, cast.may_31, reason="Moved away")
    after = coverage(org, six, *MAY)
    assert (after.due, after.answered, after.no_consent, after.exited) == (4, 2, 2, 0)
    assert coverage(org, six, D(2027, 1, 1), D(2027, 1, 31)).response_rate_percent is None


def test_coverage_is_one_query(impact: Impact, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        coverage(impact.world.org.pk, impact.follow_up_6, *MAY)


def test_follow_ups_counted_from_training_completion(impact: Impact) -> None:
    world = impact.world
    training = build_training(world)
    done = person(world, 1)
    dropped = person(world, 2)
    for who, status, completed in (
        (done, ParticipantStatus.COMPLETED, D(2026, 3, 31)),
        (dropped, ParticipantStatus.DROPPED, None),
    ):
        Participant.objects.create(
            organization=world.org, cohort=training.cohort, beneficiary=who, status=status,
            applied_on=D(2026, 1, 1), completed_on=completed,
        )  # fmt: skip
    tracer = actions.create_instrument(
        world.me_officer, code="tracer-3", name="Tracer at 3 months", kind="follow_up",
        anchor="completion", months_after=3,
    )  # fmt: skip
    due = follow_ups_due(world.org.pk, tracer, D(2026, 6, 1), D(2026, 6, 30))
    assert [(p.pk, p.anchor_on) for p in due] == [(done.pk, D(2026, 3, 31))]


def test_a_baseline_falls_due_on_registration(impact: Impact) -> None:
    world = impact.world
    who = person(world, 1)
    day = who.registered_on
    due = follow_ups_due(world.org.pk, impact.baseline, day, day)
    assert [p.pk for p in due] == [who.pk]
    assert coverage(world.org.pk, impact.baseline, day, day).due == 1
