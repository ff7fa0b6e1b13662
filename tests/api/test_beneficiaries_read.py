"""Listing, searching and reading beneficiaries through the API, within the user's scope."""

from __future__ import annotations

import pytest

from tandir.core.models import AccessLog, TargetGroup
from tandir.registry.actions import change_status
from tests.factories import register


def names(response) -> list[str]:
    return [f"{p['first_name']} {p['last_name']}" for p in response.json()["items"]]


@pytest.fixture
def people(world):
    """Three people in branch A and one in branch B."""
    return {
        "anahit": register(world),
        "armen": register(
            world,
            first_name="Армен",
            last_name="Саргсян",
            sex="male",
            phone="+37477000001",
            national_id="AM7654321",
            district=world.district_b.pk,
            projects=[],
        ),
        "gayane": register(
            world,
            first_name="Gayane",
            last_name="Hakobyan",
            phone="+37455000002",
            national_id="",
            date_of_birth="2004-02-02",
        ),
        "in_b": register(
            world,
            officer=world.admin,
            first_name="Narek",
            last_name="Grigoryan",
            sex="male",
            phone="+37493000003",
            national_id="AM0000003",
            branch=world.branch_b.pk,
        ),
    }


def test_the_list_shows_every_record_in_scope_in_name_order(world, people, client_for):
    response = client_for(world.intake_a).get("beneficiaries")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert (body["limit"], body["offset"]) == (25, 0)
    assert names(response) == ["Gayane Hakobyan", "Anahit Petrosyan", "Армен Саргсян"]


def test_a_record_shows_every_documented_field_with_money_as_a_decimal_string(
    world, people, client_for
):
    person = people["anahit"]
    response = client_for(world.intake_a).get(f"beneficiaries/{person.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": person.pk,
        "first_name": "Anahit",
        "patronymic": "",
        "last_name": "Petrosyan",
        "name_latin": "Anahit Petrosyan",
        "sex": "female",
        "date_of_birth": "1990-04-12",
        "phone": person.phone,
        "id_document": "national_id",
        "national_id": "AM1234567",
        "branch": {"id": world.branch_a.pk, "name": "Branch A"},
        "district": {"id": world.district_a.pk, "name": "Gyumri"},
        "target_groups": [],
        "status": "registered",
        "registered_on": person.registered_on.isoformat(),
        "projects": ["SR1"],
        "household": {
            "members_count": 4,
            "dependants": 2,
            "head_sex": "female",
            "monthly_income": {"amount": "120000.00", "currency": "AMD"},
        },
        "merged_into": None,
    }


def test_a_name_written_in_latin_finds_a_person_registered_in_cyrillic(world, people, client_for):
    response = client_for(world.intake_a).get("beneficiaries", q="Sargsyan")
    assert names(response) == ["Армен Саргсян"]


def test_search_finds_a_person_by_phone_and_by_national_id(world, people, client_for):
    client = client_for(world.intake_a)
    assert names(client.get("beneficiaries", q="55000002")) == ["Gayane Hakobyan"]
    assert names(client.get("beneficiaries", q="am1234567")) == ["Anahit Petrosyan"]


def test_filters_narrow_the_list(world, people, client_for):
    client = client_for(world.intake_a)
    assert names(client.get("beneficiaries", sex="male")) == ["Армен Саргсян"]
    assert names(client.get("beneficiaries", district=world.district_b.pk)) == ["Армен Саргсян"]
    assert names(client.get("beneficiaries", project="SR1")) == [
        "Gayane Hakobyan",
        "Anahit Petrosyan",
    ]
    change_status(world.manager_a, people["gayane"], "in_training")
    assert names(client.get("beneficiaries", status="in_training")) == ["Gayane Hakobyan"]


def test_a_filter_on_a_target_group_lists_only_its_members(world, people, client_for):
    people["armen"].target_groups.add(TargetGroup.objects.get(code="refugee"))
    client = client_for(world.intake_a)
    assert names(client.get("beneficiaries", target_group="refugee")) == ["Армен Саргсян"]


def test_a_filter_naming_an_unknown_project_or_group_matches_nobody(world, people, client_for):
    client = client_for(world.intake_a)
    assert client.get("beneficiaries", project="NOPE").json()["count"] == 0
    assert client.get("beneficiaries", target_group="nope").json()["count"] == 0


def test_an_unknown_status_filter_is_invalid(world, people, client_for):
    response = client_for(world.intake_a).get("beneficiaries", status="rich")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["status"]


def test_pages_are_cut_by_limit_and_offset_and_count_every_match(world, people, client_for):
    client = client_for(world.intake_a)
    first = client.get("beneficiaries", limit=2).json()
    second = client.get("beneficiaries", limit=2, offset=2).json()
    assert first["count"] == second["count"] == 3
    assert [p["first_name"] for p in first["items"]] == ["Gayane", "Anahit"]
    assert [p["first_name"] for p in second["items"]] == ["Армен"]


@pytest.mark.parametrize("query", [{"limit": 201}, {"limit": 0}, {"offset": -1}])
def test_a_page_larger_than_200_or_out_of_range_is_invalid(world, client_for, query):
    response = client_for(world.intake_a).get("beneficiaries", **query)
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == list(query)


def test_the_list_makes_a_fixed_number_of_queries_however_many_people(
    world, client_for, django_assert_max_num_queries, django_assert_num_queries
):
    refugee = TargetGroup.objects.get(code="refugee")
    for n in range(30):
        person = register(
            world,
            first_name=f"Person{n}",
            last_name=f"Family{n}",
            phone=f"+3749100{n:04d}",
            national_id=f"AM9{n:06d}",
        )
        person.target_groups.add(refugee)
    client = client_for(world.loan_officer_a)
    client.get("beneficiaries", limit=5)  # the token's first use records last_used_at
    # token + count + page + target groups + enrolments with their projects
    with django_assert_max_num_queries(5):
        response = client.get("beneficiaries", limit=200)
    assert response.status_code == 200
    assert response.json()["count"] == 30
    with django_assert_num_queries(5):
        small = client.get("beneficiaries", limit=3)
    assert small.status_code == 200


def test_young_people_do_not_add_a_query_each_to_the_list(
    world, client_for, django_assert_max_num_queries
):
    for n in range(10):
        register(
            world,
            first_name=f"Young{n}",
            last_name=f"Family{n}",
            phone=f"+3749100{n:04d}",
            national_id=f"AM9{n:06d}",
            date_of_birth="2004-02-02",
        )
    client = client_for(world.loan_officer_a)
    client.get("beneficiaries", limit=1)
    with django_assert_max_num_queries(5):
        response = client.get("beneficiaries")
    assert response.status_code == 200


def test_a_loan_officer_of_branch_b_gets_404_for_a_branch_a_beneficiary(world, people, client_for):
    person = people["anahit"]
    assert client_for(world.loan_officer_a).get(f"beneficiaries/{person.pk}").status_code == 200
    response = client_for(world.loan_officer_b).get(f"beneficiaries/{person.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    listed = client_for(world.loan_officer_b).get("beneficiaries").json()
    assert [p["first_name"] for p in listed["items"]] == ["Narek"]


def test_a_record_that_does_not_exist_answers_exactly_like_one_out_of_scope(
    world, people, client_for
):
    client = client_for(world.loan_officer_b)
    out_of_scope = client.get(f"beneficiaries/{people['anahit'].pk}")
    missing = client.get("beneficiaries/999999")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()


def test_another_organisation_never_sees_our_beneficiaries(world, people, client_for):
    client = client_for(world.other_intake)
    assert client.get("beneficiaries").json() == {
        "count": 0,
        "limit": 25,
        "offset": 0,
        "items": [],
    }
    assert client.get("beneficiaries", q="Petrosyan").json()["count"] == 0
    for person in people.values():
        assert client.get(f"beneficiaries/{person.pk}").status_code == 404


def test_a_network_analyst_sees_no_individual_records(world, people, client_for):
    client = client_for(world.analyst)
    assert client.get("beneficiaries").json()["count"] == 0
    assert client.get(f"beneficiaries/{people['anahit'].pk}").status_code == 404


def test_administrators_and_me_officers_see_the_whole_organisation(world, people, client_for):
    assert client_for(world.admin).get("beneficiaries").json()["count"] == 4
    assert client_for(world.me_officer).get("beneficiaries").json()["count"] == 4


@pytest.fixture
def victim(world):
    return register(
        world,
        first_name="Lusine",
        last_name="Avetisyan",
        phone="+37499111111",
        national_id="AM5555555",
        target_groups=[
            TargetGroup.objects.get(code="victim_of_trafficking").pk,
            TargetGroup.objects.get(code="refugee").pk,
        ],
    )


def test_a_role_without_the_right_never_sees_a_protected_category(world, victim, client_for):
    client = client_for(world.loan_officer_a)
    detail = client.get(f"beneficiaries/{victim.pk}").json()
    assert detail["target_groups"] == ["refugee"]
    listed = client.get("beneficiaries").json()["items"]
    assert [p["target_groups"] for p in listed] == [["refugee"]]
    assert client.get("beneficiaries", target_group="victim_of_trafficking").json()["count"] == 0
    assert not AccessLog.objects.exists()


def test_a_role_with_the_right_sees_the_category_and_each_view_is_logged(world, victim, client_for):
    client = client_for(world.intake_a)
    detail = client.get(f"beneficiaries/{victim.pk}").json()
    assert detail["target_groups"] == ["refugee", "victim_of_trafficking"]
    listed = client.get("beneficiaries", target_group="victim_of_trafficking").json()
    assert [p["id"] for p in listed["items"]] == [victim.pk]
    logs = list(AccessLog.objects.order_by("id").values_list("user", "record_id", "channel"))
    assert logs == [(world.intake_a.pk, victim.pk, "api")] * 2
