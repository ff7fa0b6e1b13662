"""Instruments, versions and responses through the actions: every validation rule, rights,
scope and consent."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandir.core.errors import Conflict, NotAllowed, NotFound
from tandir.impact import actions, seed
from tandir.impact.actions import AnswersRefused
from tandir.impact.answers import check_one
from tandir.impact.models import (
    Answer,
    Instrument,
    InstrumentVersion,
    Question,
    QuestionType,
    Response,
    ResponseSource,
)
from tandir.orgs.models import Role
from tandir.registry.actions import record_consent, withdraw_consent
from tests.factories import World, make_user, register
from tests.impact.factories import BASELINE_ANSWERS, FOLLOW_UP_ANSWERS, Impact, person

DAY = datetime.date(2026, 1, 5)


def _record(impact: Impact, who, instrument=None, answers=None, **kwargs):
    return actions.record_response(
        kwargs.pop("user", impact.world.me_officer),
        instrument=instrument or impact.baseline,
        beneficiary=who,
        taken_on=kwargs.pop("taken_on", DAY),
        answers=BASELINE_ANSWERS if answers is None else answers,
        **kwargs,
    )


def _errors(excinfo: pytest.ExceptionInfo[AnswersRefused]) -> dict[str, str]:
    return excinfo.value.details["fields"]


# --- Seeding ----------------------------------------------------------------------------------


def test_seeding_makes_the_baseline_and_the_follow_ups_each_with_a_published_version(
    impact: Impact,
) -> None:
    codes = list(
        Instrument.objects.filter(organization=impact.world.org)
        .order_by("kind", "months_after")
        .values_list("code", "kind", "anchor", "months_after")
    )
    assert codes == [
        ("baseline", "baseline", "", None),
        ("follow-up-6", "follow_up", "disbursement", 6),
        ("follow-up-12", "follow_up", "disbursement", 12),
    ]
    baseline = InstrumentVersion.objects.get(instrument=impact.baseline)
    assert (baseline.number, baseline.published) == (1, True)
    assert list(baseline.questions.values_list("code", flat=True)) == [
        q["code"] for q in seed.OUTCOME_QUESTIONS if q["baseline"]
    ]
    twelve = InstrumentVersion.objects.get(instrument=impact.follow_up_12)
    assert twelve.questions.count() == len(seed.OUTCOME_QUESTIONS) == 11
    scale = twelve.questions.get(code="quality_of_life")
    assert (scale.type, scale.min_value, scale.max_value, scale.required) == (
        "scale",
        Decimal(1),
        Decimal(5),
        True,
    )
    change = twelve.questions.get(code="income_change")
    assert [c["name"] for c in change.choices] == ["better", "same", "worse"]


def test_seeding_twice_adds_nothing(impact: Impact) -> None:
    again = actions.seed_instruments(impact.world.me_officer, impact.world.org)
    assert [i.pk for i in again] == [
        impact.baseline.pk,
        impact.follow_up_6.pk,
        impact.follow_up_12.pk,
    ]
    assert InstrumentVersion.objects.filter(organization=impact.world.org).count() == 3
    assert Question.objects.filter(organization=impact.world.org).count() == 7 + 11 + 11


def test_seeding_needs_the_right_and_the_own_organisation(world: World) -> None:
    with pytest.raises(NotAllowed):
        actions.seed_instruments(world.intake_a, world.org)
    with pytest.raises(NotFound):
        actions.seed_instruments(world.me_officer, world.other_org)


# --- Recording a response ---------------------------------------------------------------------


def test_a_baseline_is_stored_typed_with_the_currency(impact: Impact) -> None:
    who = person(impact.world, 1)
    response = _record(impact, who)
    assert (response.currency, response.source, response.branch_id) == (
        "AMD",
        ResponseSource.WEB,
        impact.world.branch_a.pk,
    )
    stored = {a.code: (a.number, a.text) for a in Answer.objects.filter(response=response)}
    assert stored == {
        "household_income_monthly": (Decimal("150000"), ""),
        "business_operating": (None, "yes"),
        "business_revenue_monthly": (Decimal("300000"), ""),
        "business_profit_monthly": (Decimal("-5000.50"), ""),
        "paid_employees": (Decimal(1), ""),
        "family_workers": (Decimal(2), ""),
        "quality_of_life": (Decimal(3), ""),
    }
    assert all(a.organization_id == impact.world.org.pk for a in Answer.objects.all())


def test_every_field_error_is_reported_at_once(impact: Impact) -> None:
    who = person(impact.world, 1)
    bad = {
        "household_income_monthly": "12.345",  # AMD has 2 decimals
        "income_change": "much better",  # not a choice name
        "business_operating": "",  # required
        "business_revenue_monthly": "-1",  # below 0
        "paid_employees": "1.5",  # a whole number
        "family_workers": "51",  # above 50
        "quality_of_life": "6",  # a 1-5 scale
        "quality_of_life_change": "better",
        "satisfaction": "lots",  # not a number
        "complaint": "x" * 2001,
        "no_such_question": "1",
    }
    with pytest.raises(AnswersRefused) as excinfo:
        _record(impact, who, impact.follow_up_6, bad, taken_on=datetime.date(2099, 1, 1))
    errors = _errors(excinfo)
    assert set(errors) == {
        "household_income_monthly",
        "income_change",
        "business_operating",
        "business_revenue_monthly",
        "paid_employees",
        "family_workers",
        "quality_of_life",
        "satisfaction",
        "complaint",
        "no_such_question",
        "taken_on",
    }
    assert "2 decimals" in errors["household_income_monthly"]
    assert "better, same, worse" in errors["income_change"]
    assert errors["business_operating"] == "this question must be answered"
    assert errors["quality_of_life"] == "give a value from 1 to 5"
    assert errors["family_workers"] == "give a value from 0 to 50"
    assert errors["business_revenue_monthly"] == "give a value of at least 0"
    assert errors["paid_employees"] == "give a whole number"
    assert errors["taken_on"] == "the interview date is in the future"
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_numbers_are_taken_as_str_int_or_decimal_and_choices_in_any_case(impact: Impact) -> None:
    who = person(impact.world, 1)
    answers = {
        **FOLLOW_UP_ANSWERS,
        "household_income_monthly": Decimal("210000.50"),
        "paid_employees": 3,
        "income_change": " Better ",
        "business_profit_monthly": "1 500,25",
    }
    response = _record(impact, who, impact.follow_up_6, answers)
    stored = {a.code: a for a in response.answers.all()}
    assert stored["household_income_monthly"].number == Decimal("210000.50")
    assert stored["paid_employees"].number == 3
    assert stored["income_change"].text == "better"
    assert stored["business_profit_monthly"].number == Decimal("1500.25")
    assert "complaint" not in stored  # blank, not required: not stored


def test_money_follows_the_organisations_minor_unit(world: World) -> None:
    world.org.currency = "JPY"
    world.org.save()
    impact = Impact(world, *actions.seed_instruments(world.me_officer, world.org))
    who = person(world, 1)
    with pytest.raises(AnswersRefused) as excinfo:
        _record(impact, who, answers={**BASELINE_ANSWERS, "household_income_monthly": "10.5"})
    assert "JPY amounts have at most 0 decimals" in _errors(excinfo)["household_income_monthly"]
    whole = {**BASELINE_ANSWERS, "business_profit_monthly": "-5000"}
    assert _record(impact, who, answers=whole).currency == "JPY"


@settings(max_examples=60, deadline=None)
@given(value=st.decimals(min_value=-10, max_value=10, places=3, allow_nan=False))
def test_a_scale_takes_exactly_its_whole_points(value: Decimal) -> None:
    question = Question(
        code="q", type=QuestionType.SCALE, min_value=Decimal(1), max_value=Decimal(5)
    )
    stored, problem = check_one(question, str(value), "USD")
    accepted = value == value.to_integral_value() and 1 <= value <= 5
    assert (problem is None) is accepted
    assert (stored is not None and stored.number == value) is accepted


def test_a_role_without_the_right_is_refused(impact: Impact) -> None:
    who = person(impact.world, 1)
    with pytest.raises(NotAllowed):
        _record(impact, who, user=impact.world.loan_officer_a)
    assert not Response.objects.exists()


def test_another_organisations_person_is_not_found(impact: Impact) -> None:
    world = impact.world
    stranger = register(
        world,
        officer=world.other_intake,
        branch=world.other_branch.pk,
        phone="+374 94 999999",
        national_id="ZZ999",
        projects=[],
    )
    with pytest.raises(NotFound):
        _record(impact, stranger)
    # Nor may the other organisation's officer answer our instrument.
    with pytest.raises(NotFound):
        _record(impact, stranger, user=world.other_intake)


def test_a_person_of_another_branch_is_outside_an_intake_officers_scope(impact: Impact) -> None:
    world = impact.world
    theirs = person(world, 1, officer=world.admin, branch=world.branch_b.pk)
    with pytest.raises(NotFound):
        _record(impact, theirs, user=world.intake_a)
    assert _record(impact, theirs, user=world.me_officer).branch_id == world.branch_b.pk


def test_one_response_per_person_and_instrument(impact: Impact) -> None:
    who = person(impact.world, 1)
    _record(impact, who)
    with pytest.raises(Conflict):
        _record(impact, who, taken_on=DAY + datetime.timedelta(days=1))
    assert Response.objects.count() == 1


def test_a_follow_up_needs_consent_to_follow_up_surveys(impact: Impact) -> None:
    world = impact.world
    no_surveys = person(world, 1, surveys=False)
    # The baseline needs only consent to programme use.
    _record(impact, no_surveys)
    with pytest.raises(NotAllowed) as excinfo:
        _record(impact, no_surveys, impact.follow_up_6, FOLLOW_UP_ANSWERS)
    assert excinfo.value.code == "no_consent"
    record_consent(world.me_officer, no_surveys, follow_up_surveys=True, network_sharing=False)
    assert _record(impact, no_surveys, impact.follow_up_6, FOLLOW_UP_ANSWERS).pk


def test_nobody_is_surveyed_after_withdrawing_consent(impact: Impact) -> None:
    world = impact.world
    who = person(world, 1)
    withdraw_consent(world.me_officer, who, reason="Does not want calls")
    with pytest.raises(NotAllowed):
        _record(impact, who, impact.follow_up_12, FOLLOW_UP_ANSWERS)
    with pytest.raises(NotAllowed):
        _record(impact, who)
    assert not Response.objects.exists()


def test_an_instrument_without_a_published_version_takes_no_answers(impact: Impact) -> None:
    world = impact.world
    draft = actions.create_instrument(
        world.me_officer, code="exit", name="Exit survey", kind="follow_up",
        anchor="completion", months_after=3,
    )  # fmt: skip
    with pytest.raises(Conflict):
        _record(impact, person(world, 1), draft, {})


# --- Versions ---------------------------------------------------------------------------------


def test_a_new_version_copies_the_questions_and_answers_follow_the_published_one(
    impact: Impact,
) -> None:
    world = impact.world
    officer = world.me_officer
    draft = actions.new_version(officer, impact.baseline)
    assert draft.number == 2 and not draft.published
    assert actions.new_version(officer, impact.baseline) == draft  # one draft at a time
    assert list(draft.questions.values_list("code", flat=True)) == list(
        InstrumentVersion.objects.get(instrument=impact.baseline, number=1).questions.values_list(
            "code", flat=True
        )
    )
    employees = draft.questions.get(code="paid_employees")
    actions.change_question(
        officer,
        employees,
        {"label": "Paid workers", "required": True, "min_value": "0", "max_value": "20"},
    )
    added = actions.add_question(
        officer, draft, code="savings", type="choice", label="Do you save?",
        choices="yes = Yes\nno = No",
    )  # fmt: skip
    # Before publishing, answers still follow version 1 (savings is unknown there).
    with pytest.raises(AnswersRefused) as excinfo:
        _record(impact, person(world, 1), answers={**BASELINE_ANSWERS, "savings": "yes"})
    assert set(_errors(excinfo)) == {"savings"}
    actions.publish_version(officer, draft)
    who = person(world, 2)
    with pytest.raises(AnswersRefused) as excinfo:
        _record(impact, who, answers={**BASELINE_ANSWERS, "paid_employees": "", "savings": "m"})
    assert set(_errors(excinfo)) == {"paid_employees", "savings"}
    response = _record(impact, who, answers={**BASELINE_ANSWERS, "savings": "no"})
    assert response.version == draft
    assert response.answers.get(code="savings").question == added


def test_published_versions_and_seeded_questions_keep_their_meaning(impact: Impact) -> None:
    officer = impact.world.me_officer
    published = InstrumentVersion.objects.get(instrument=impact.follow_up_6, number=1)
    with pytest.raises(Conflict):
        actions.change_question(
            officer, published.questions.get(code="complaint"), {"label": "Other"}
        )
    draft = actions.new_version(officer, impact.follow_up_6)
    with pytest.raises(Conflict):
        actions.remove_question(officer, draft.questions.get(code="income_change"))
    with pytest.raises(AnswersRefused) as excinfo:
        actions.change_question(
            officer,
            draft.questions.get(code="income_change"),
            {"label": "Income is", "choices": "up = Up\ndown = Down"},
        )
    assert "choices" in _errors(excinfo)
    relabelled = actions.change_question(
        officer,
        draft.questions.get(code="income_change"),
        {"label": "Income is", "choices": "better = Higher\nsame = Same\nworse = Lower"},
    )
    assert relabelled.choices[0] == {"name": "better", "label": "Higher"}
    with pytest.raises(AnswersRefused) as excinfo:
        actions.add_question(officer, draft, code="satisfaction", type="text", label="Again")
    assert set(_errors(excinfo)) == {"code", "type"}
    with pytest.raises(AnswersRefused) as excinfo:
        actions.add_question(officer, draft, code="9lives", type="text", label="Bad name")
    assert set(_errors(excinfo)) == {"code"}
    extra = actions.add_question(officer, draft, code="notes", type="text", label="Notes")
    actions.remove_question(officer, extra)
    assert not draft.questions.filter(code="notes").exists()


def test_only_survey_managers_change_instruments(impact: Impact) -> None:
    world = impact.world
    manager = make_user(world.org, Role.BRANCH_MANAGER, [world.branch_a], "bm2")
    with pytest.raises(NotAllowed):
        actions.new_version(manager, impact.baseline)
    with pytest.raises(NotAllowed):
        actions.create_instrument(manager, code="x", name="X", kind="baseline")


def test_date_and_text_questions_of_an_added_version(impact: Impact) -> None:
    officer = impact.world.me_officer
    draft = actions.new_version(officer, impact.baseline)
    actions.add_question(
        officer, draft, code="business_started_on", type="date", label="Business started on",
        required=True,
    )  # fmt: skip
    actions.add_question(officer, draft, code="business_name", type="text", label="Name")
    actions.publish_version(officer, draft)
    who = person(impact.world, 1)
    with pytest.raises(AnswersRefused) as excinfo:
        _record(impact, who, answers={**BASELINE_ANSWERS, "business_started_on": "31/02/2020"})
    assert _errors(excinfo) == {"business_started_on": "not a date (write it as 2026-03-14)"}
    response = _record(
        impact,
        who,
        answers={
            **BASELINE_ANSWERS,
            "business_started_on": "14.03.2019",
            "business_name": " Arev ",
        },
    )
    stored = {a.code: a for a in response.answers.all()}
    assert stored["business_started_on"].date == datetime.date(2019, 3, 14)
    assert stored["business_name"].text == "Arev"
