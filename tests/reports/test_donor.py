"""The donor report of a small project built by hand (tests/reports/donor_factories.py says who
did what), every figure worked out here from its definition; scope and rights; the page, the
drill-down and the command line's JSON."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from html import escape
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from tandir.core.errors import NotAllowed, NotFound
from tandir.core.models import TargetGroup
from tandir.orgs.models import Project as ProjectModel
from tandir.orgs.models import StaffUser
from tandir.registry.models import BeneficiaryTargetGroup
from tandir.reports.donor import access_project, donor_report
from tests.factories import World, make_user
from tests.reports.donor_factories import FROM, Project, build_project

D = Decimal


@pytest.fixture
def project(world: World) -> Project:
    return build_project(world)


def client_for(user: StaffUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_figure_follows_from_its_definition(project: Project) -> None:
    start, end = project.period
    report = donor_report(project.world.project, start, end)
    got = report.as_json()

    # p1–p4 and lending's own person were enrolled today; p5 is not in the project.
    assert got["registered"] == 5
    # p1 and p3 completed; of the four who started (p1–p4), p2 dropped out: 1 / 4.
    assert got["completed_training"] == 2
    assert got["drop_out_rate_percent"] == "25.00"
    # p4's plan was sent to appraisal today, p1's before the loan it financed.
    assert (got["plans_prepared"], got["plans_financed"]) == (2, 1)
    # Three loans of 1,000 USD; p1 and p3 share a household: two families.
    assert got["loans_disbursed"] == 3
    assert got["amount_disbursed"] == "3000.00"
    assert got["amount_disbursed_by_currency"] == {"USD": "3000.00"}
    assert got["currency"] == "USD"
    assert got["families"] == 2
    # All 30 installments of 100 fell due in the period (Dec 2025 – Sep 2026): 3,000 due.
    # On time: p1's 1,000 paid ahead of every due date; p2's 500 came after its dates.
    assert got["on_time_repayment_rate_percent"] == "33.33"
    # Collected by the end: 1,000 + 500 of 3,000.
    assert got["cumulative_repayment_rate_percent"] == "50.00"
    # Follow-up 12 fell due (2026-11-15) for p1, p2, p3; p1 and p2 answered.
    assert got["income_increase_percent"] == {
        "percent": "50.00",
        "yes": 1,
        "answered": 2,
        "due": 3,
    }
    assert got["quality_of_life_better_percent"] == {
        "percent": "100.00",
        "yes": 2,
        "answered": 2,
        "due": 3,
    }
    # Measured: 200 + 200 at baseline, 300 + 150 at follow-up; only p1's rose.
    assert got["income_measured"] == {
        "people": 2,
        "currency": "AMD",
        "mean_before": "200.00",
        "mean_after": "225.00",
        "rose_percent": "50.00",
    }
    # Paid employees (2 + 1) − (0 + 1) = 2; family workers (1 + 0) − (1 + 1) = −1, apart.
    assert got["jobs_created"] == 2
    assert got["family_workers_added"] == -1
    assert got["businesses_operating_12m_percent"] == "100.00"
    # Only the association the programme helped form, with p1 in it; not p2's old one.
    assert got["associations_formed"] == 1
    # Reached: p1, p3 (completed) and p2 (loan): two women, one young (p1, 25).
    assert got["women_percent"] == "66.67"
    assert got["youth_percent"] == "33.33"

    figures = report.figures
    assert (figures["women"].numerator, figures["women"].denominator) == (2, 3)
    assert (figures["cumulative_repayment_rate"].numerator,) == (D("1500"),)
    assert figures["cumulative_repayment_rate"].denominator == D("3000")
    assert all(str(f.definition) for f in report.headline)


def test_breakdowns_by_channel_target_group_sex_and_branch(project: Project) -> None:
    start, end = project.period
    report = donor_report(project.world.project, start, end)
    channels = dict(report.registered_by_channel)
    assert channels["Media (TV, radio, press, social)"] == 3  # p1, p3, lending's person
    assert channels["Information event"] == 1  # p2
    assert channels["Referral (person or organisation)"] == 1  # p4
    assert dict(report.registered_by_group)["Youth"] == 2  # p1 (25), p4 (22)
    parts = {dimension: rows for dimension, _label, rows in report.disaggregations}
    by_sex = {row["category"]: row for row in parts["sex"]}
    assert by_sex["Female"]["registered"] == 3
    assert by_sex["Female"]["borrowers"] == 2
    assert by_sex["Female"]["amounts"] == {"USD": D("2000.00")}
    assert by_sex["Male"]["loans"] == 1
    by_branch = {row["category"]: row for row in parts["branch"]}
    assert by_branch["Branch B"]["registered"] == 1
    assert by_branch["Branch A"]["completed_training"] == 2
    by_district = {row["category"]: row for row in parts["district"]}
    assert by_district["Gyumri"]["loans"] == 3
    by_group = {row["category"]: row for row in parts["target_group"]}
    assert by_group["Youth"]["completed_training"] == 1
    # Every person and loan is in one category of each dimension but the target groups.
    figures = report.figures
    for dimension in ("sex", "branch", "district"):
        rows = parts[dimension]
        assert sum(row["registered"] for row in rows) == figures["registered"].value
        assert sum(row["completed_training"] for row in rows) == figures["completed_training"].value
        assert sum(row["loans"] for row in rows) == figures["loans_disbursed"].value


def test_a_branch_manager_sees_the_figures_of_their_branch_and_others_see_nothing(
    project: Project,
) -> None:
    world = project.world
    start, end = project.period
    mine = donor_report(world.project, start, end, user=world.manager_a).as_json()
    # p4 (branch B) is left out: four registered; three started training, one dropped out.
    assert mine["registered"] == 4
    assert mine["drop_out_rate_percent"] == "33.33"
    assert mine["loans_disbursed"] == 3
    assert donor_report(world.project, start, end, user=world.manager_a).whole_organization is False

    with pytest.raises(NotAllowed):
        access_project(world.intake_a, world.project.pk)
    other = ProjectModel.objects.create(
        organization=world.other_org, name="Other", code="OT", budget_amount=D(1),
        budget_currency="USD", starts_on=FROM, ends_on=end,
    )  # fmt: skip
    with pytest.raises(NotFound):
        access_project(world.me_officer, other.pk)
    assert client_for(world.intake_a).get("/reports/donor/").status_code == 403
    assert client_for(world.analyst).get("/reports/donor/").status_code == 403


def test_the_page_prints_figures_definitions_and_drills_down_to_the_records(
    project: Project, django_assert_max_num_queries: Any
) -> None:
    world = project.world
    start, end = project.period
    query = f"project={world.project.pk}&date_from={start}&date_to={end}&currency="
    client = client_for(world.me_officer)
    with django_assert_max_num_queries(60):
        page = client.get(f"/reports/donor/?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Completed training" in html
    assert "whose training place was completed" in html  # the definition under the figure
    assert "33.33" in html and "USD" in html
    assert escape(f"/reports/donor/records/completed_training/?{query}") in html

    listed = client.get(f"/reports/donor/records/completed_training/?{query}")
    assert listed.status_code == 200
    text = listed.content.decode()
    assert "Anahit1 Petrosyan1" in text and "Anahit3 Petrosyan3" in text
    assert "Petrosyan2" not in text
    loans = client.get(f"/reports/donor/records/loans/?{query}").content.decode()
    assert all(loan.reference in loans for loan in project.loans.values())
    assert client.get(f"/reports/donor/records/nothing/?{query}").status_code == 404

    # Branch A's manager drills down within branch A: p4 is not listed among the registered.
    manager = client_for(world.manager_a)
    registered = manager.get(f"/reports/donor/records/registered/?{query}").content.decode()
    assert "Anahit1" in registered and "Aram4" not in registered


def test_the_page_asks_a_fixed_number_of_queries(
    project: Project, django_assert_num_queries: Any
) -> None:
    world = project.world
    start, end = project.period
    query = f"project={world.project.pk}&date_from={start}&date_to={end}&currency="
    client = client_for(world.me_officer)
    client.get(f"/reports/donor/?{query}")
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(f"/reports/donor/?{query}")


# One GROUP BY of the people and one of the loans serve every count, share and disaggregation.
PAGE_QUERIES = 22


def test_the_command_prints_the_contract_json(project: Project) -> None:
    start, end = project.period
    out = io.StringIO()
    call_command(
        "report", "donor", "--project", "SR1", "--from", start.isoformat(), "--to",
        end.isoformat(), "--format", "json", stdout=out,
    )  # fmt: skip
    got = json.loads(out.getvalue())
    for key in (
        "completed_training",
        "loans_disbursed",
        "amount_disbursed",
        "families",
        "on_time_repayment_rate_percent",
        "cumulative_repayment_rate_percent",
        "income_increase_percent",
        "quality_of_life_better_percent",
        "jobs_created",
        "businesses_operating_12m_percent",
        "associations_formed",
        "women_percent",
        "youth_percent",
    ):
        assert key in got
    assert set(got["income_increase_percent"]) >= {"due", "answered", "percent"}
    assert got["amount_disbursed"] == "3000.00"
    assert got["women_percent"] == "66.67"


def test_target_groups_count_each_person_in_every_group_and_protected_ones_only_for_those_allowed(
    project: Project,
) -> None:
    world = project.world
    refugee = TargetGroup.objects.get(code="refugee")
    trafficked = TargetGroup.objects.get(code="victim_of_trafficking")
    p1, p2, p4 = (project.people[name] for name in ("p1", "p2", "p4"))
    BeneficiaryTargetGroup.objects.filter(beneficiary__in=[p1, p2, p4]).delete()
    BeneficiaryTargetGroup.objects.bulk_create(
        BeneficiaryTargetGroup(organization_id=world.org.pk, beneficiary=b, targetgroup=g)
        for b, g in [(p1, refugee), (p1, trafficked), (p2, refugee), (p4, trafficked)]
    )
    start, end = project.period
    seen = donor_report(world.project, start, end, user=world.me_officer)
    by_group = dict(seen.registered_by_group)
    # p1 counts in both of her groups; p4 (branch B) too, for a reader of the whole book.
    assert (by_group["Refugee"], by_group["Victim of trafficking"]) == (2, 2)
    parts = {dimension: rows for dimension, _label, rows in seen.disaggregations}
    groups = {row["category"]: row for row in parts["target_group"]}
    assert groups["Refugee"]["borrowers"] == 2  # p1 and p2 borrowed
    assert groups["Victim of trafficking"]["completed_training"] == 1  # p1 completed

    accountant = make_user(world.org, "accountant", [world.branch_a, world.branch_b], "accounts")
    hidden = donor_report(world.project, start, end, user=accountant)
    assert "Victim of trafficking" not in dict(hidden.registered_by_group)
    assert dict(hidden.registered_by_group)["Refugee"] == 2
    rows = {dimension: rows for dimension, _label, rows in hidden.disaggregations}
    assert "Victim of trafficking" not in {row["category"] for row in rows["target_group"]}
