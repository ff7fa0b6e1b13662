"""The plan pages: the advisor's view (query count pinned), the plan with its table and chart,
the edit form refusing bad input, send to appraisal from the page, the appraisal prefilled from
the plan, and the loan's page showing the plan's figures; 403 and 404 for rights and scope."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tandir.lending.models import Loan
from tandir.orgs.models import StaffUser
from tandir.plans import actions
from tandir.plans.models import BusinessPlan, PlanStatus
from tests.factories import register
from tests.plans.factories import Plans, bakery, plan_of, ready_plan

D = Decimal


def login(user: StaffUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def plain(response: Any) -> str:
    """The page's text with CLDR's no-break spaces as plain ones."""
    assert response.status_code == 200
    return re.sub(r"[\u00a0\u202f]", " ", response.content.decode())


def form_data(content: dict[str, Any], title: str = "Lavash bakery") -> dict[str, Any]:
    """The edit form as a browser posts it."""
    data: dict[str, Any] = {"title": title, "season_profile": content["season_profile"]}
    for name in ("idea", "business_type", "sector", "location", "market", "competitors",
                 "skills", "start", "own_contribution", "household_expenses",
                 "household_income", "existing_debt_payments"):  # fmt: skip
        data[name] = content[name]
    for month, value in enumerate(content["season"]):
        data[f"season_{month}"] = value
    for prefix, rows in (("startup", content["startup_costs"]), ("revenue", content["revenue"]),
                         ("costs", content["costs"])):  # fmt: skip
        data[f"{prefix}-TOTAL_FORMS"] = len(rows)
        data[f"{prefix}-INITIAL_FORMS"] = 0
        for i, row in enumerate(rows):
            for key, value in row.items():
                if value is True:
                    data[f"{prefix}-{i}-{key}"] = "on"
                elif value is not False:
                    data[f"{prefix}-{i}-{key}"] = value
    return data


def test_the_advisors_view_shows_plans_by_status_and_those_waiting_for_review(
    plans: Plans, django_assert_num_queries: Any
) -> None:
    draft = plan_of(plans)
    other = register(
        plans.world, national_id="AM1111111", phone="+374 91 111111", first_name="Nare"
    )
    waiting = actions.create_plan(plans.advisor, other, title="Tailoring", content=bakery())
    actions.submit_for_review(plans.advisor, waiting)
    for n in range(3):
        person = register(
            plans.world, national_id=f"AM22222{n}2", phone=f"+374 91 22222{n}", first_name="Ani"
        )
        actions.create_plan(plans.advisor, person, title=f"Shop {n}", content=bakery())
    client = login(plans.advisor)
    client.get(reverse("plans:home"))  # the session and the translations are loaded once
    with django_assert_num_queries(4):
        response = client.get(reverse("plans:home"))
    assert response.status_code == 200
    text = response.content.decode()
    review = text.split('id="to-review"')[1].split("</section>")[0]
    assert "Tailoring" in review and draft.title not in review
    by_status = text.split('id="by-status"')[1].split("</section>")[0]
    assert by_status.count("/plans/") == 5


def test_a_role_without_the_advise_right_gets_a_403_page(plans: Plans) -> None:
    response = login(plans.appraiser).get(reverse("plans:home"))
    assert response.status_code == 403
    assert "Your role does not allow this page." in response.content.decode()


def test_an_advisor_of_another_branch_or_organisation_gets_404_for_the_plan(plans: Plans) -> None:
    plan = plan_of(plans)
    for user in (plans.advisor_b, plans.other_advisor):
        client = login(user)
        assert client.get(reverse("plans:detail", args=[plan.pk])).status_code == 404
        assert client.get(reverse("plans:pdf", args=[plan.pk])).status_code == 404
        assert client.post(reverse("plans:submit", args=[plan.pk])).status_code == 404
    assert BusinessPlan.objects.get().status == PlanStatus.DRAFT


def test_the_plan_page_shows_the_cash_flow_table_the_chart_and_the_loan(plans: Plans) -> None:
    plan = plan_of(plans)
    text = plain(login(plans.advisor).get(reverse("plans:detail", args=[plan.pk])))
    assert "<svg" in text and text.count('class="income"') == 12
    assert "AMD 1,000,000" in text  # the loan needed
    assert "AMD 300,000" in text  # the net monthly cash flow
    assert "Start-Amd" in text  # the product suggested
    assert "Closing cash" in text and "March 2026" in text


def test_the_form_makes_a_plan_and_refuses_a_negative_quantity_writing_nothing(
    plans: Plans,
) -> None:
    client = login(plans.advisor)
    url = reverse("plans:new", args=[plans.person.pk])
    bad = bakery(revenue=[{"name": "Lavash", "unit_price": "300", "quantity": "-3000"}])
    response = client.post(url, form_data(bad))
    assert response.status_code == 200
    assert "Sales line 1, quantity: cannot be negative." in response.content.decode()
    assert BusinessPlan.objects.count() == 0
    response = client.post(url, form_data(bakery()))
    plan = BusinessPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    assert plan.current_version is not None
    assert plan.current_version.content["revenue"] == bakery()["revenue"]
    assert plan.current_version.content["costs"] == bakery()["costs"]


def test_sent_from_the_page_the_application_shows_the_plan_and_the_appraisal_starts_from_it(
    plans: Plans,
) -> None:
    plan = ready_plan(plans)
    response = login(plans.advisor).post(reverse("plans:send", args=[plan.pk]), {"term": ""})
    loan = Loan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("lending:detail", args=[loan.pk])
    page = plain(login(plans.appraiser).get(reverse("lending:detail", args=[loan.pk])))
    block = page.split('id="business-plan"')[1].split("</section>")[0]
    assert f"/plans/{plan.pk}/" in block
    assert "AMD 900,000" in block and "AMD 300,000" in block
    form = login(plans.appraiser).get(reverse("lending:appraise", args=[loan.pk]))
    fields = form.context["form"]
    assert fields["business_income"].value() == D("900000.00")
    assert fields["household_expenses"].value() == D("200000")


@pytest.mark.parametrize("step", ["submit", "send", "close"])
def test_a_role_without_the_advise_right_cannot_post_the_steps(plans: Plans, step: str) -> None:
    plan = plan_of(plans)
    response = login(plans.world.loan_officer_a).post(
        reverse(f"plans:{step}", args=[plan.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    assert BusinessPlan.objects.get().status == PlanStatus.DRAFT


def test_one_more_line_comes_with_the_formsets_new_count(plans: Plans) -> None:
    client = login(plans.advisor)
    response = client.get(reverse("plans:line", args=["costs"]), {"costs-TOTAL_FORMS": "2"})
    text = response.content.decode()
    assert response.status_code == 200
    assert 'name="costs-2-name"' in text and 'name="costs-2-seasonal"' in text
    assert 'id="id_costs-TOTAL_FORMS" value="3" hx-swap-oob="true"' in text
    assert (
        client.get(reverse("plans:line", args=["loans"]), {"loans-TOTAL_FORMS": "1"}).status_code
        == 400
    )
    assert login(plans.appraiser).get(reverse("plans:line", args=["costs"])).status_code == 403


def test_the_plan_page_makes_the_same_number_of_queries_with_one_version_or_three(
    plans: Plans,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(plan: BusinessPlan) -> int:
        client = login(plans.advisor)
        url = reverse("plans:detail", args=[plan.pk])
        client.get(url)  # the session and the translations are loaded once
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    one = plan_of(plans)
    other = register(
        plans.world, national_id="AM3333333", phone="+374 91 333333", first_name="Gohar"
    )
    three = actions.create_plan(plans.advisor, other, title="Tailoring", content=bakery())
    for _round in range(2):
        actions.submit_for_review(plans.advisor, three)
        actions.review_plan(plans.advisor, three, accept=False, note="More on the market.")
    assert count(one) == count(three) == 7
