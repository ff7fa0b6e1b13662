"""Registering and changing beneficiaries through the API: every refusal has its own code."""

from __future__ import annotations

import pytest

from tandir.api.models import IdempotencyKey
from tandir.core.models import TargetGroup
from tandir.registry.models import Beneficiary, Enrolment
from tests.api.conftest import new_person
from tests.factories import register


def error(response) -> dict:
    return response.json()["error"]


# --- Registering ------------------------------------------------------------------------------


def test_registering_creates_the_person_with_household_consent_and_enrolment(world, client_for):
    response = client_for(world.intake_a).post("beneficiaries", new_person(world))
    assert response.status_code == 201
    body = response.json()
    person = Beneficiary.objects.get()
    assert body["id"] == person.pk
    assert body["status"] == "registered"
    assert body["projects"] == ["SR1"]
    assert body["household"]["monthly_income"] == {"amount": "120000.00", "currency": "AMD"}
    assert person.registered_by == world.intake_a
    assert person.phone == "+37491123456"
    consent = person.consents.get()
    assert (consent.programme_use, consent.follow_up_surveys, consent.network_sharing) == (
        True,
        True,
        False,
    )


def test_staff_of_one_branch_may_leave_the_branch_out(world, client_for):
    body = new_person(world)
    del body["branch"]
    response = client_for(world.intake_a).post("beneficiaries", body)
    assert response.status_code == 201
    assert response.json()["branch"]["id"] == world.branch_a.pk


def test_staff_of_the_whole_organisation_must_name_the_branch(world, client_for):
    body = new_person(world)
    del body["branch"]
    response = client_for(world.admin).post("beneficiaries", body)
    assert response.status_code == 422
    assert list(error(response)["fields"]) == ["branch"]


def test_form_errors_come_back_per_field_in_the_apis_own_names(world, client_for):
    body = new_person(
        world,
        date_of_birth="2020-01-01",
        phone="12",
        household={"members_count": 2, "dependants": 2, "head_sex": "female"},
        consent={"programme_use": False},
    )
    response = client_for(world.intake_a).post("beneficiaries", body)
    assert response.status_code == 422
    assert error(response)["code"] == "invalid"
    assert set(error(response)["fields"]) == {
        "date_of_birth",
        "phone",
        "household.dependants",
        "consent.programme_use",
    }
    assert not Beneficiary.objects.exists()


def test_an_income_without_a_currency_is_invalid_on_the_currency(world, client_for):
    household = {
        "members_count": 3,
        "head_sex": "male",
        "monthly_income": {"amount": "100.5", "currency": ""},
    }
    response = client_for(world.intake_a).post(
        "beneficiaries", new_person(world, household=household)
    )
    assert response.status_code == 422
    assert list(error(response)["fields"]) == ["household.monthly_income.currency"]


def test_a_branch_outside_the_officers_scope_is_not_a_valid_choice(world, client_for):
    response = client_for(world.intake_a).post(
        "beneficiaries", new_person(world, branch=world.other_branch.pk)
    )
    assert response.status_code == 422
    assert list(error(response)["fields"]) == ["branch"]


def test_an_unknown_target_group_or_project_code_is_invalid(world, client_for):
    response = client_for(world.intake_a).post(
        "beneficiaries", new_person(world, target_groups=["martians"], projects=["NOPE"])
    )
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {"target_groups", "projects"}


def test_a_protected_category_may_be_set_by_a_role_with_the_right(world, client_for):
    response = client_for(world.manager_a).post(
        "beneficiaries", new_person(world, target_groups=["victim_of_trafficking", "refugee"])
    )
    assert response.status_code == 201
    assert response.json()["target_groups"] == ["refugee", "victim_of_trafficking"]


def test_youth_is_derived_from_the_age_and_cannot_be_ticked(world, client_for):
    client = client_for(world.intake_a)
    ticked = client.post("beneficiaries", new_person(world, target_groups=["youth"]))
    assert ticked.status_code == 422
    assert list(error(ticked)["fields"]) == ["target_groups"]
    young = client.post("beneficiaries", new_person(world, date_of_birth="2004-02-02"))
    assert young.json()["target_groups"] == ["youth"]


def test_missing_and_mistyped_fields_are_invalid_before_the_form_runs(world, client_for):
    body = new_person(world, sex="other", date_of_birth="12/04/1990")
    del body["last_name"]
    body["household"] = {"members_count": "many", "head_sex": "female"}
    response = client_for(world.intake_a).post("beneficiaries", body)
    assert response.status_code == 422
    assert error(response)["code"] == "invalid"
    assert set(error(response)["fields"]) == {
        "last_name",
        "sex",
        "date_of_birth",
        "household.members_count",
    }


def test_money_sent_as_a_json_number_is_refused(world, client_for):
    household = {
        "members_count": 3,
        "head_sex": "male",
        "monthly_income": {"amount": 100.1, "currency": "AMD"},
    }
    response = client_for(world.intake_a).post(
        "beneficiaries", new_person(world, household=household)
    )
    assert response.status_code == 422
    assert list(error(response)["fields"]) == ["household.monthly_income.amount"]


def test_a_body_that_is_not_json_is_malformed(world, client_for):
    response = client_for(world.intake_a).post("beneficiaries", raw=b"{not json")
    assert response.status_code == 400
    assert error(response)["code"] == "malformed"


def test_a_loan_officer_may_not_register_and_nothing_is_written(world, client_for):
    response = client_for(world.loan_officer_a).post("beneficiaries", new_person(world))
    assert response.status_code == 403
    assert error(response)["code"] == "not_allowed"
    assert not Beneficiary.objects.exists()


def test_re_registering_a_phone_is_refused_with_the_existing_record(world, client_for):
    existing = register(world)
    body = new_person(world, first_name="Other", last_name="Person", national_id=None)
    response = client_for(world.intake_a).post("beneficiaries", body)
    assert response.status_code == 409
    assert error(response)["code"] == "duplicate_phone"
    assert error(response)["existing_id"] == existing.pk
    assert Beneficiary.objects.count() == 1


def test_re_registering_a_national_id_is_refused_with_the_existing_record(world, client_for):
    existing = register(world)
    body = new_person(world, first_name="Other", last_name="Person", phone="+37499000000")
    response = client_for(world.intake_a).post("beneficiaries", body)
    assert response.status_code == 409
    assert error(response)["code"] == "duplicate_national_id"
    assert error(response)["existing_id"] == existing.pk


def test_a_similar_person_warns_with_candidates_until_confirmed(world, client_for):
    first = register(world)
    body = new_person(
        world, first_name="Анаит", last_name="Петросян", phone="+37499000001", national_id=None
    )
    client = client_for(world.intake_a)
    warned = client.post("beneficiaries", body)
    assert warned.status_code == 409
    assert error(warned)["code"] == "possible_duplicate"
    assert error(warned)["candidate_ids"] == [first.pk]
    assert Beneficiary.objects.count() == 1

    confirmed = client.post("beneficiaries", {**body, "confirm_possible_duplicate": True})
    assert confirmed.status_code == 201
    assert Beneficiary.objects.get(pk=confirmed.json()["id"]).possible_duplicate_of == first


# --- Idempotency ------------------------------------------------------------------------------


def test_replaying_an_idempotency_key_returns_the_first_answer_and_registers_once(
    world, client_for
):
    client = client_for(world.intake_a)
    headers = {"Idempotency-Key": "form-7f3a"}
    first = client.post("beneficiaries", new_person(world), headers=headers)
    again = client.post("beneficiaries", new_person(world), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Beneficiary.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused(world, client_for):
    client = client_for(world.intake_a)
    headers = {"Idempotency-Key": "form-7f3a"}
    client.post("beneficiaries", new_person(world), headers=headers)
    response = client.post("beneficiaries", new_person(world, first_name="Ani"), headers=headers)
    assert response.status_code == 422
    assert error(response)["code"] == "idempotency_key_reused"
    assert Beneficiary.objects.count() == 1


def test_a_refused_request_keeps_no_key_so_the_corrected_retry_goes_through(world, client_for):
    client = client_for(world.intake_a)
    headers = {"Idempotency-Key": "form-1"}
    refused = client.post("beneficiaries", new_person(world, phone="12"), headers=headers)
    assert refused.status_code == 422
    assert not IdempotencyKey.objects.exists()
    accepted = client.post("beneficiaries", new_person(world), headers=headers)
    assert accepted.status_code == 201


def test_idempotency_keys_belong_to_one_user(world, client_for):
    headers = {"Idempotency-Key": "shared"}
    client_for(world.intake_a).post("beneficiaries", new_person(world), headers=headers)
    other = new_person(world, phone="+37499222222", national_id="AM2222222", first_name="Mane")
    response = client_for(world.manager_a).post("beneficiaries", other, headers=headers)
    assert response.status_code == 201
    assert Beneficiary.objects.count() == 2


# --- Changing ---------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(world, client_for):
    person = register(world)
    response = client_for(world.intake_a).patch(
        f"beneficiaries/{person.pk}",
        {"first_name": "Ani", "household": {"dependants": 1}},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["first_name"], body["last_name"]) == ("Ani", "Petrosyan")
    assert body["name_latin"] == "Ani Petrosyan"
    assert body["household"] == {
        "members_count": 4,
        "dependants": 1,
        "head_sex": "female",
        "monthly_income": {"amount": "120000.00", "currency": "AMD"},
    }
    person.refresh_from_db()
    assert person.first_name == "Ani"
    assert person.national_id == "AM1234567"


def test_patch_can_clear_the_income_and_the_national_id(world, client_for):
    person = register(world)
    response = client_for(world.intake_a).patch(
        f"beneficiaries/{person.pk}",
        {"national_id": None, "household": {"monthly_income": None}},
    )
    assert response.status_code == 200
    assert response.json()["national_id"] is None
    assert response.json()["household"]["monthly_income"] is None


def test_patch_enrols_in_more_projects_and_keeps_existing_enrolments(world, client_for):
    from tandir.orgs.models import Project

    second = Project.objects.create(
        organization=world.org,
        name="Youth start",
        code="YS",
        budget_amount="1000.00",
        budget_currency="USD",
        starts_on="2026-01-01",
        ends_on="2026-12-31",
    )
    person = register(world)
    response = client_for(world.intake_a).patch(
        f"beneficiaries/{person.pk}", {"projects": [second.code]}
    )
    assert response.json()["projects"] == ["SR1", "YS"]
    assert Enrolment.objects.filter(beneficiary=person).count() == 2


def test_patch_leaving_out_target_groups_keeps_them_all_protected_included(world, client_for):
    victim = register(
        world,
        target_groups=[
            TargetGroup.objects.get(code="victim_of_trafficking").pk,
            TargetGroup.objects.get(code="refugee").pk,
        ],
    )
    client = client_for(world.manager_a)
    response = client.patch(f"beneficiaries/{victim.pk}", {"first_name": "Lusine"})
    assert response.status_code == 200
    assert set(victim.target_groups.values_list("code", flat=True)) == {
        "refugee",
        "victim_of_trafficking",
    }
    replaced = client.patch(f"beneficiaries/{victim.pk}", {"target_groups": ["idp"]})
    assert replaced.json()["target_groups"] == ["idp"]


def test_patch_with_invalid_values_changes_nothing(world, client_for):
    person = register(world)
    response = client_for(world.intake_a).patch(
        f"beneficiaries/{person.pk}", {"first_name": "", "household": {"members_count": 0}}
    )
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {"first_name", "household.members_count"}
    person.refresh_from_db()
    assert person.first_name == "Anahit"


def test_patch_to_another_persons_phone_is_refused(world, client_for):
    register(world)
    other = register(
        world, first_name="Mane", last_name="Karapetyan", phone="+37499333333", national_id=""
    )
    response = client_for(world.intake_a).patch(
        f"beneficiaries/{other.pk}", {"phone": "+374 91 123456"}
    )
    assert response.status_code == 409
    assert error(response)["code"] == "duplicate_phone"


def test_patch_outside_the_scope_is_404_even_for_a_role_that_may_not_edit(world, client_for):
    person = register(world)
    assert (
        client_for(world.loan_officer_b)
        .patch(f"beneficiaries/{person.pk}", {"first_name": "X"})
        .status_code
        == 404
    )
    assert (
        client_for(world.other_intake)
        .patch(f"beneficiaries/{person.pk}", {"first_name": "X"})
        .status_code
        == 404
    )


def test_patch_by_a_loan_officer_in_scope_is_not_allowed(world, client_for):
    person = register(world)
    response = client_for(world.loan_officer_a).patch(
        f"beneficiaries/{person.pk}", {"first_name": "X"}
    )
    assert response.status_code == 403
    assert error(response)["code"] == "not_allowed"
    person.refresh_from_db()
    assert person.first_name == "Anahit"


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_an_unknown_path_under_the_api_answers_not_found_in_json(world, client_for, method):
    response = client_for(world.intake_a).request(method, "beneficiaries/not-a-number", {})
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"
