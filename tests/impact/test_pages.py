"""Impact pages: instruments and versions, the answers form (htmx and plain), the XLSForm
download, the upload, follow-up planning by scope, the 403 and 404 answers, query counts."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tandir.impact import actions
from tandir.impact.models import InstrumentVersion, Response
from tandir.orgs.models import StaffUser
from tests.factories import register
from tests.impact.factories import FOLLOW_UP_ANSWERS, Impact, person
from tests.lending_factories import build_lending, disbursed_loan

pytestmark = pytest.mark.django_db


def client_for(user: StaffUser) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _stranger(impact: Impact):
    world = impact.world
    return register(
        world, officer=world.other_intake, branch=world.other_branch.pk,
        phone="+374 94 999999", national_id="ZZ999", projects=[],
    )  # fmt: skip


def test_rights_decide_who_opens_which_page(impact: Impact) -> None:
    world = impact.world
    assert client_for(world.me_officer).get(reverse("impact:instruments")).status_code == 200
    assert client_for(world.intake_a).get(reverse("impact:instruments")).status_code == 403
    assert client_for(world.intake_a).get(reverse("impact:find")).status_code == 200
    # "Surveys" in the menu: an intake officer, who sees no reports, lands on data entry.
    landing = client_for(world.intake_a).get(reverse("impact:home"))
    assert landing.status_code == 302 and landing["Location"] == reverse("impact:find")
    for page in ("impact:home", "impact:find", "impact:upload"):
        assert client_for(world.analyst).get(reverse(page)).status_code == 403
        assert client_for(world.loan_officer_a).get(reverse(page)).status_code == 403
    other = _stranger(impact)
    me = client_for(world.me_officer)
    assert me.get(reverse("impact:person", args=[other.pk])).status_code == 404
    url = reverse("impact:respond", args=[other.pk, impact.baseline.pk])
    assert me.get(url).status_code == 404
    # Our instrument for the other organisation's officer: not found.
    theirs = client_for(world.other_intake)
    assert (
        theirs.get(reverse("impact:respond", args=[other.pk, impact.baseline.pk])).status_code
        == 404
    )


def test_the_instrument_pages_make_a_new_version_edit_and_publish_it(impact: Impact) -> None:
    client = client_for(impact.world.me_officer)
    listing = client.get(reverse("impact:instruments")).content.decode()
    assert "follow-up-12" in listing and impact.follow_up_12.name in listing
    detail = client.get(reverse("impact:instrument", args=[impact.follow_up_6.pk]))
    assert "household_income_monthly" in detail.content.decode()
    made = client.post(reverse("impact:version_new", args=[impact.follow_up_6.pk]))
    draft = InstrumentVersion.objects.get(instrument=impact.follow_up_6, number=2)
    assert made["Location"] == reverse("impact:version", args=[draft.pk])
    page = reverse("impact:version", args=[draft.pk])
    assert 'value="save-' in client.get(page).content.decode()
    question = draft.questions.get(code="family_workers")
    prefix = f"q{question.pk}"
    refused = client.post(
        page,
        {"step": f"save-{question.pk}", f"{prefix}-label": "Family", f"{prefix}-min_value": "5",
         f"{prefix}-max_value": "1", f"{prefix}-code": "x", f"{prefix}-type": "number"},
    )  # fmt: skip
    assert refused.status_code == 200
    assert "the highest value is below the lowest" in refused.content.decode()
    saved = client.post(
        page,
        {"step": f"save-{question.pk}", f"{prefix}-label": "Family helpers",
         f"{prefix}-required": "on", f"{prefix}-min_value": "0", f"{prefix}-max_value": "10"},
    )  # fmt: skip
    assert saved.status_code == 302
    question.refresh_from_db()
    assert (question.label, question.required, question.max_value) == ("Family helpers", True, 10)
    added = client.post(
        page,
        {"step": "add", "new-code": "sales_days", "new-type": "number",
         "new-label": "Days of sales last week", "new-min_value": "0", "new-max_value": "7"},
    )  # fmt: skip
    assert added.status_code == 302
    assert draft.questions.filter(code="sales_days").exists()
    xlsx = client.get(reverse("impact:xlsform", args=[draft.pk]))
    assert xlsx["Content-Disposition"] == 'attachment; filename="follow-up-6-v2.xlsx"'
    names = [
        r[1]
        for r in openpyxl.load_workbook(io.BytesIO(xlsx.content))["survey"].iter_rows(
            values_only=True
        )
    ]
    assert "sales_days" in names
    client.post(page, {"step": "publish"})
    draft.refresh_from_db()
    assert draft.published
    assert 'value="save-' not in client.get(page).content.decode()


def test_find_a_respondent_by_name_id_or_phone(impact: Impact) -> None:
    who = person(impact.world, 1)
    client = client_for(impact.world.intake_a)
    for text in ("Gayane1", "AN2000001", "200001"):
        page = client.get(reverse("impact:find"), {"q": text}, HTTP_HX_REQUEST="true")
        assert page.templates[0].name == "impact/_found.html"
        assert reverse("impact:person", args=[who.pk]) in page.content.decode()
    whole = client.get(reverse("impact:find"), {"q": "nobody-like-this"})
    assert "Nobody found." in whole.content.decode()


def _posted(**changes: Any) -> dict[str, Any]:
    data = {k: str(v) for k, v in FOLLOW_UP_ANSWERS.items()}
    data["taken_on"] = "2026-06-01"
    data.update(changes)
    return data


def test_the_answers_form_shows_each_error_beside_its_field_then_saves(impact: Impact) -> None:
    who = person(impact.world, 1)
    client = client_for(impact.world.me_officer)
    url = reverse("impact:respond", args=[who.pk, impact.follow_up_6.pk])
    form = client.get(url).content.decode()
    assert (
        'name="income_change" value="better"' in form and 'name="quality_of_life" value="5"' in form
    )
    bad = client.post(
        url, _posted(quality_of_life="", paid_employees="2.5"), HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 200
    assert bad.templates[0].name == "impact/_respond_form.html"
    html = bad.content.decode()
    # The two fields' errors, and the one line above the form that says to correct them.
    assert html.count('class="field-error"') == 3
    assert "this question must be answered" in html and "give a whole number" in html
    # What was typed stays in the form.
    assert 'value="210000"' in html
    assert not Response.objects.exists()
    good = client.post(url, _posted(), HTTP_HX_REQUEST="true")
    assert good.status_code == 204
    assert good["HX-Redirect"] == reverse("impact:person", args=[who.pk])
    response = Response.objects.get()
    assert response.taken_on == datetime.date(2026, 6, 1)
    assert response.answers.get(code="income_change").text == "better"
    # Without htmx: a plain redirect; and answered once only.
    again = client.get(url).content.decode()
    assert "Answered on" in again and "save-answers" not in again
    person_page = client.get(reverse("impact:person", args=[who.pk])).content.decode()
    assert "See the answers" in person_page


def test_the_answers_form_makes_a_fixed_number_of_queries(
    impact: Impact, django_assert_num_queries: Any
) -> None:
    who = person(impact.world, 1)
    client = client_for(impact.world.me_officer)
    url = reverse("impact:respond", args=[who.pk, impact.follow_up_12.pk])
    client.get(url)
    # Session, user, the person and their target groups (the registry's one lookup), the
    # instrument, its published version, the questions, whether the person answered already.
    with django_assert_num_queries(8):
        page = client.get(url)
    assert len(page.context["rows"]) == 11


def test_the_person_page_says_who_may_not_be_asked(impact: Impact) -> None:
    who = person(impact.world, 1, surveys=False)
    page = client_for(impact.world.me_officer).get(reverse("impact:person", args=[who.pk]))
    html = page.content.decode()
    assert "no consent to follow-up surveys" in html
    assert reverse("impact:respond", args=[who.pk, impact.baseline.pk]) in html


def test_the_upload_page_reports_every_bad_row(impact: Impact) -> None:
    person(impact.world, 1)
    client = client_for(impact.world.me_officer)
    header = (
        "beneficiary,date,household_income_monthly,income_change,business_operating,"
        "quality_of_life,quality_of_life_change\n"
    )
    bad = (
        header
        + "AN2000001,2026-06-01,100,up,yes,4,better\nAN999,2026-06-01,100,better,yes,4,better\n"
    ).encode()
    page = client.post(
        reverse("impact:upload"),
        {"instrument": impact.follow_up_6.pk, "file": SimpleUploadedFile("r.csv", bad)},
    )
    html = page.content.decode()
    assert "2 problems; nothing was imported." in html
    assert "nobody you serve has this number" in html
    good = (header + "AN2000001,2026-06-01,100,better,yes,4,better\n").encode()
    done = client.post(
        reverse("impact:upload"),
        {"instrument": impact.follow_up_6.pk, "file": SimpleUploadedFile("r.csv", good)},
    )
    assert done.status_code == 302 and Response.objects.count() == 1


def test_planning_shows_the_month_by_scope_with_fixed_queries(
    impact: Impact, django_assert_num_queries: Any
) -> None:
    world = impact.world
    lending = build_lending(world)
    people = [person(world, n) for n in range(1, 4)]
    for who in people:
        disbursed_loan(lending, lending.declining, on=datetime.date(2025, 11, 15), person=who)
    actions.record_response(
        world.me_officer, instrument=impact.follow_up_6, beneficiary=people[0],
        taken_on=datetime.date(2026, 5, 20), answers=FOLLOW_UP_ANSWERS,
    )  # fmt: skip
    url = reverse("impact:home") + "?month=2026-05"
    me = client_for(world.me_officer)
    me.get(url)
    # Session, user, the instruments, then per follow-up instrument (two): the due and
    # no-consent lists, the earlier and the exited drop-outs with their counts, the coverage.
    with django_assert_num_queries(17):
        page = me.get(url)
    plan = page.context["plans"][0]
    assert plan.instrument.code == "follow-up-6"
    assert (plan.coverage.due, plan.coverage.answered) == (3, 1)
    assert plan.coverage.response_rate_percent == Decimal("33.33")
    assert [line.answered for line in plan.due] == [True, False, False]
    html = page.content.decode()
    assert "33.33%" in html and "3 due" in html
    # Two more people due: the same number of queries.
    for n in (4, 5):
        disbursed_loan(
            lending, lending.declining, on=datetime.date(2025, 11, 20), person=person(world, n)
        )
    with django_assert_num_queries(17):
        page = me.get(url)
    assert page.context["plans"][0].coverage.due == 5
    # June: the May people are overdue drop-outs.
    june = me.get(reverse("impact:home") + "?month=2026-06").context["plans"][0]
    assert june.coverage.due == 0 and june.overdue_count == 4
    # The branch manager of branch B sees nobody; of branch A, everyone (all are in A).
    assert client_for(world.manager_a).get(url).context["plans"][0].coverage.due == 5
    assert client_for(world.manager_a).get(url).context["whole_organization"] is False
