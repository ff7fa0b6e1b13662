"""Every write of business plans with its exact outcome: versions and statuses, bad content
refused with nothing written, rights and scope, and "send to appraisal" into lending."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tandir.core.errors import Conflict, NotAllowed, NotFound
from tandir.lending import actions as lending
from tandir.lending.models import Loan, LoanStatus
from tandir.plans import actions
from tandir.plans.actions import PlanRefused
from tandir.plans.models import BusinessPlan, PlanReview, PlanStatus, PlanVersion
from tandir.registry.actions import change_status
from tandir.registry.models import Status, StatusChange
from tests.factories import register
from tests.plans.factories import Plans, bakery, plan_of, ready_plan

D = Decimal


def test_an_advisor_starts_a_plan_as_version_one_and_the_person_moves_to_planning(
    plans: Plans,
) -> None:
    change_status(plans.world.admin, plans.person, Status.TRAINED)
    plan = plan_of(plans, on=datetime.date(2026, 2, 1))
    assert plan.status == PlanStatus.DRAFT
    assert plan.currency == "AMD"
    assert plan.branch == plans.world.branch_a
    assert plan.advisor == plans.advisor
    version = plan.current_version
    assert version is not None and version.number == 1 and not version.frozen
    assert version.content["startup_costs"][0] == {
        "kind": "equipment", "description": "Tonir oven", "amount": "1200000",
    }  # fmt: skip
    assert len(version.content["season"]) == 12
    plans.person.refresh_from_db()
    assert plans.person.status == Status.PLANNING
    change = StatusChange.objects.get(beneficiary=plans.person, to_status=Status.PLANNING)
    assert change.changed_on == datetime.date(2026, 2, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"revenue": [{"name": "Lavash", "unit_price": "300", "quantity": "-3000"}]},
            "Sales line 1, quantity: cannot be negative.",
        ),
        (
            {"startup_costs": [{"kind": "stock", "description": "", "amount": "-1"}]},
            "Start-up cost 1: cannot be negative.",
        ),
        ({"startup_costs": [], "costs": []}, "A plan needs its costs"),
        ({"season": ["100"] * 11}, "Season: needs a figure for each of the 12 months."),
        ({"revenue": []}, "A plan needs at least one line of sales."),
        ({"household_expenses": ""}, "Household expenses: is needed."),
    ],
)
def test_bad_content_is_refused_with_a_clear_message_and_nothing_written(
    plans: Plans, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(PlanRefused) as refused:
        plan_of(plans, bakery(**changes))
    assert message in refused.value.message
    assert BusinessPlan.objects.count() == 0
    assert PlanVersion.objects.count() == 0
    plans.person.refresh_from_db()
    assert plans.person.status == Status.REGISTERED


def test_every_problem_is_reported_at_once(plans: Plans) -> None:
    content = bakery(
        revenue=[{"name": "Lavash", "unit_price": "-300", "quantity": "-1"}],
        season=["100"] * 12 + ["100"],
    )
    with pytest.raises(PlanRefused) as refused:
        plan_of(plans, content)
    assert refused.value.details["problems"] == [
        "Sales line 1, price: cannot be negative.",
        "Sales line 1, quantity: cannot be negative.",
        "Season: needs a figure for each of the 12 months.",
    ]


def test_a_role_without_the_advise_right_cannot_start_a_plan(plans: Plans) -> None:
    with pytest.raises(NotAllowed):
        actions.create_plan(plans.world.loan_officer_a, plans.person, title="x", content=bakery())
    assert BusinessPlan.objects.count() == 0


def test_an_advisor_of_another_branch_or_organisation_does_not_reach_the_person(
    plans: Plans,
) -> None:
    for advisor in (plans.advisor_b, plans.other_advisor):
        with pytest.raises(NotFound):
            actions.create_plan(advisor, plans.person, title="x", content=bakery())
    plan = plan_of(plans)
    for advisor in (plans.advisor_b, plans.other_advisor):
        with pytest.raises(NotFound):
            actions.save_plan(advisor, plan, title="x", content=bakery())
        with pytest.raises(NotFound):
            actions.submit_for_review(advisor, plan)
    assert PlanVersion.objects.get().content["idea"] == bakery()["idea"]


def test_a_draft_is_edited_in_place_and_an_edit_after_submission_is_a_new_version(
    plans: Plans,
) -> None:
    plan = plan_of(plans)
    actions.save_plan(
        plans.advisor, plan, title="Bakery", content=bakery(own_contribution="600000")
    )
    assert PlanVersion.objects.filter(plan=plan).count() == 1
    actions.submit_for_review(plans.advisor, plan)
    first = PlanVersion.objects.get(plan=plan, number=1)
    assert first.frozen and first.submitted_at is not None
    plan.refresh_from_db()
    assert plan.status == PlanStatus.UNDER_REVIEW
    second = actions.save_plan(
        plans.advisor, plan, title="Bakery", content=bakery(own_contribution="700000")
    )
    assert second.number == 2 and not second.frozen
    first.refresh_from_db()
    assert first.content["own_contribution"] == "600000"
    assert second.content["own_contribution"] == "700000"
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert plan.current_version == second


def test_the_review_accepts_for_appraisal_or_sends_back_with_a_note(plans: Plans) -> None:
    plan = plan_of(plans)
    with pytest.raises(Conflict):
        actions.review_plan(plans.advisor, plan, accept=True)
    actions.submit_for_review(plans.advisor, plan)
    with pytest.raises(PlanRefused):
        actions.review_plan(plans.advisor, plan, accept=False, note=" ")
    actions.review_plan(plans.advisor, plan, accept=False, note="Count the winter months.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    actions.submit_for_review(plans.advisor, plan)
    actions.review_plan(plans.advisor, plan, accept=True)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY
    assert list(PlanReview.objects.values_list("accepted", "note")) == [
        (True, ""),
        (False, "Count the winter months."),
    ]


def test_sending_to_appraisal_makes_the_application_with_the_plans_loan_and_figures(
    plans: Plans,
) -> None:
    plan = ready_plan(plans)
    loan = actions.send_to_appraisal(plans.advisor, plan, on=datetime.date(2026, 2, 20))
    assert loan.status == LoanStatus.SUBMITTED
    assert loan.amount == D("1000000")
    assert loan.product_version.product == plans.product
    assert loan.sector == "manufacturing"
    assert loan.purpose.startswith("Lavash bakery: A bakery")
    assert loan.business_plan_id == plan.pk
    stored = Loan.objects.get(pk=loan.pk)
    figures = stored.plan_figures
    assert figures is not None
    assert figures["plan_id"] == plan.pk and figures["version"] == 1
    assert figures["business_income"] == D("900000.00")
    assert figures["business_expenses"] == D("450000.00")
    assert figures["net_cash_flow"] == D("300000.00")
    assert figures["installment"] * 2 <= D("300000")  # within the product's 50 %
    plan.refresh_from_db()
    assert plan.loan_id == loan.pk and plan.sent_on == datetime.date(2026, 2, 20)
    with pytest.raises(Conflict):
        actions.send_to_appraisal(plans.advisor, plan)
    assert Loan.objects.count() == 1
    # The appraisal of the plan's figures comes to the plan's ratio.
    appraisal = lending.appraise(
        plans.appraiser,
        stored,
        business_income=figures["business_income"],
        business_expenses=figures["business_expenses"],
        household_income=figures["household_income"],
        household_expenses=figures["household_expenses"],
        existing_debt_payments=figures["existing_debt_payments"],
    )
    assert appraisal.net_cash_flow == figures["net_cash_flow"]
    assert appraisal.installment == figures["installment"]
    assert appraisal.share_percent == figures["capacity_ratio"]
    assert appraisal.passes


def test_a_submitted_application_of_the_person_is_filled_with_the_plans_figures(
    plans: Plans,
) -> None:
    taken = lending.apply_for_loan(
        plans.world.loan_officer_a, plans.person, plans.product, amount=D("900000"), term=12,
        purpose="Oven", sector="manufacturing",
    )  # fmt: skip
    plan = ready_plan(plans)
    loan = actions.send_to_appraisal(plans.advisor, plan)
    assert loan.pk == taken.pk
    assert Loan.objects.count() == 1
    loan.refresh_from_db()
    assert loan.amount == D("900000") and loan.term == 12  # the officer's terms stay
    assert loan.business_plan_id == plan.pk
    assert loan.plan_figures is not None
    assert loan.plan_figures["net_cash_flow"] == D("300000.00")


def test_only_a_plan_ready_for_appraisal_is_sent_and_only_by_who_may_apply(
    plans: Plans,
) -> None:
    plan = plan_of(plans)
    with pytest.raises(Conflict):
        actions.send_to_appraisal(plans.advisor, plan)
    actions.submit_for_review(plans.advisor, plan)
    actions.review_plan(plans.advisor, plan, accept=True)
    with pytest.raises(NotAllowed):
        actions.send_to_appraisal(plans.appraiser, plan)
    with pytest.raises(NotFound):
        actions.send_to_appraisal(plans.advisor_b, plan)
    assert Loan.objects.count() == 0


def test_a_plan_that_needs_no_loan_is_not_sent(plans: Plans) -> None:
    plan = ready_plan(plans, bakery(own_contribution="1500000"))
    with pytest.raises(PlanRefused) as refused:
        actions.send_to_appraisal(plans.advisor, plan)
    assert refused.value.code == "no_loan_needed"
    assert Loan.objects.count() == 0


def test_the_plan_is_financed_when_its_loan_is_paid_out_and_not_when_it_is_rejected(
    plans: Plans,
) -> None:
    plan = ready_plan(plans)
    loan = actions.send_to_appraisal(plans.advisor, plan)
    plan.refresh_from_db()
    assert plan.shown_status == PlanStatus.READY
    Loan.objects.filter(pk=loan.pk).update(status=LoanStatus.ACTIVE)
    plan = BusinessPlan.objects.get(pk=plan.pk)
    assert plan.shown_status == PlanStatus.FINANCED
    Loan.objects.filter(pk=loan.pk).update(status=LoanStatus.REJECTED)
    plan = BusinessPlan.objects.get(pk=plan.pk)
    assert plan.shown_status == PlanStatus.NOT_FINANCED


def test_an_advisor_closes_a_plan_the_participant_gives_up(plans: Plans) -> None:
    plan = plan_of(plans)
    with pytest.raises(PlanRefused):
        actions.close_plan(plans.advisor, plan, reason="")
    actions.close_plan(plans.advisor, plan, reason="Moved to Yerevan.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.NOT_FINANCED
    assert plan.closed_reason == "Moved to Yerevan."
    with pytest.raises(Conflict):
        actions.save_plan(plans.advisor, plan, title="x", content=bakery())


def test_an_open_application_is_withdrawn_before_the_plan_is_closed(plans: Plans) -> None:
    plan = ready_plan(plans)
    actions.send_to_appraisal(plans.advisor, plan)
    with pytest.raises(Conflict):
        actions.close_plan(plans.advisor, plan, reason="Changed mind")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY


def test_a_plan_for_a_person_of_branch_b_is_out_of_reach_of_the_advisor_of_a(
    plans: Plans,
) -> None:
    person_b = register(
        plans.world,
        plans.world.admin,
        branch=plans.world.branch_b.pk,
        national_id="AM7654321",
        phone="+374 91 999999",
        first_name="Gohar",
    )
    plan = actions.create_plan(plans.advisor_b, person_b, title="Cheese", content=bakery())
    with pytest.raises(NotFound):
        actions.submit_for_review(plans.advisor, plan)
    assert BusinessPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT
