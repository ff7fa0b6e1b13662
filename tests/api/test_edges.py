"""The edges a fuzzer found: numbers beyond the database, bodies that are not objects, a youth's
change, unknown paths and methods, and limits the OpenAPI document did not state."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models

from tandir.registry.models import Beneficiary
from tests.api.conftest import ClientFor, new_person
from tests.factories import World, register

# One past the largest integer a database column of Tandir can hold.
TOO_BIG = 2**63


def error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


# --- Numbers beyond the database ----------------------------------------------------------


def test_an_offset_beyond_the_largest_database_integer_is_a_field_error(
    world: World, client_for: ClientFor
) -> None:
    client = client_for(world.intake_a)
    response = client.get("beneficiaries", offset=TOO_BIG)
    assert response.status_code == 422
    assert list(error(response)["fields"]) == ["offset"]
    largest = client.get("beneficiaries", offset=TOO_BIG - 1)
    assert largest.status_code == 200
    assert largest.json()["items"] == []


@pytest.mark.parametrize("value", [TOO_BIG, 0, -5])
def test_a_district_filter_outside_the_range_of_ids_is_a_field_error(
    world: World, client_for: ClientFor, value: int
) -> None:
    response = client_for(world.intake_a).get("beneficiaries", district=value)
    assert response.status_code == 422
    assert list(error(response)["fields"]) == ["district"]


@pytest.mark.parametrize("field", ["branch", "district", "locality"])
def test_an_id_in_a_body_beyond_the_largest_database_integer_is_a_field_error(
    world: World, client_for: ClientFor, field: str
) -> None:
    response = client_for(world.intake_a).post(
        "beneficiaries", new_person(world, **{field: TOO_BIG})
    )
    assert response.status_code == 422
    assert list(error(response)["fields"]) == [field]
    assert not Beneficiary.objects.exists()


@pytest.mark.parametrize("text", ["a\x00b", "\x00"])
@pytest.mark.parametrize("name", ["q", "project", "target_group"])
def test_a_nul_character_in_a_query_filter_is_a_field_error(
    world: World, client_for: ClientFor, name: str, text: str
) -> None:
    # PostgreSQL refuses text with NUL in it; the filter must not reach the database.
    response = client_for(world.intake_a).get("beneficiaries", **{name: text})
    assert response.status_code == 422
    assert list(error(response)["fields"]) == [name]


# --- Bodies that are not objects ----------------------------------------------------------


@pytest.mark.parametrize("raw", [b"null", b"[]", b"1", b'"Ani"', b"true"])
def test_a_patch_body_that_is_not_a_json_object_is_malformed_and_changes_nothing(
    world: World, client_for: ClientFor, raw: bytes
) -> None:
    person = register(world)
    before = Beneficiary.objects.values().get(pk=person.pk)
    response = client_for(world.intake_a).patch(f"beneficiaries/{person.pk}", raw=raw)
    assert response.status_code == 400
    assert error(response)["code"] == "malformed"
    assert Beneficiary.objects.values().get(pk=person.pk) == before


@pytest.mark.parametrize("raw", [b"null", b"[]", b"1"])
def test_a_registration_body_that_is_not_a_json_object_is_malformed(
    world: World, client_for: ClientFor, raw: bytes
) -> None:
    response = client_for(world.intake_a).post("beneficiaries", raw=raw)
    assert response.status_code == 400
    assert error(response)["code"] == "malformed"


@pytest.mark.parametrize(
    "household", ["four", 4, [], {"members_count": "4"}, {"members_count": True}]
)
def test_a_household_that_is_not_an_object_of_numbers_is_invalid_in_a_patch(
    world: World, client_for: ClientFor, household: Any
) -> None:
    person = register(world)
    response = client_for(world.intake_a).patch(
        f"beneficiaries/{person.pk}", {"household": household}
    )
    assert response.status_code == 422
    assert all(name.startswith("household") for name in error(response)["fields"])
    person.refresh_from_db()
    assert person.household is not None and person.household.members_count == 4


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("district", "1"),
        ("date_of_birth", 640000000),
        ("date_of_birth", "1990-04-12T00:00:00"),
        ("first_name", 7),
        ("target_groups", "refugee"),
    ],
)
def test_a_value_of_another_json_type_is_not_converted(
    world: World, client_for: ClientFor, field: str, value: Any
) -> None:
    response = client_for(world.intake_a).post("beneficiaries", new_person(world, **{field: value}))
    assert response.status_code == 422
    assert list(error(response)["fields"]) == [field]
    assert not Beneficiary.objects.exists()


def test_null_is_refused_for_a_field_that_cannot_be_empty(
    world: World, client_for: ClientFor
) -> None:
    person = register(world)
    response = client_for(world.intake_a).patch(
        f"beneficiaries/{person.pk}", {"first_name": None, "household": None}
    )
    assert response.status_code == 422
    assert set(error(response)["fields"]) == {"first_name", "household"}


# --- A youth's change ---------------------------------------------------------------------


def test_a_youth_can_be_changed_and_stays_youth(world: World, client_for: ClientFor) -> None:
    young = register(world, date_of_birth="2004-02-02")
    response = client_for(world.intake_a).patch(
        f"beneficiaries/{young.pk}", {"last_name": "Hakobyan"}
    )
    assert response.status_code == 200
    assert response.json()["last_name"] == "Hakobyan"
    assert response.json()["target_groups"] == ["youth"]
    assert not young.target_groups.filter(code="youth").exists()


def test_a_youth_keeps_ticked_groups_when_other_details_change(
    world: World, client_for: ClientFor
) -> None:
    client = client_for(world.intake_a)
    young = client.post(
        "beneficiaries", new_person(world, date_of_birth="2004-02-02", target_groups=["refugee"])
    ).json()
    response = client.patch(f"beneficiaries/{young['id']}", {"household": {"dependants": 1}})
    assert response.status_code == 200
    assert response.json()["target_groups"] == ["refugee", "youth"]


# --- Unknown paths and methods ------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
@pytest.mark.parametrize("path", ["nothing-here", "beneficiaries/null,null", ""])
def test_a_write_to_an_unknown_path_answers_not_found_in_json_not_a_csrf_page(
    world: World, client_for: ClientFor, method: str, path: str
) -> None:
    response = client_for(world.intake_a).request(method, path, {})
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


@pytest.mark.parametrize("path", ["beneficiaries/1%0A2", "nothing%0Ahere"])
def test_a_path_with_a_newline_answers_not_found_in_json(
    world: World, client_for: ClientFor, path: str
) -> None:
    response = client_for(world.intake_a).get(path)
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "beneficiaries/{id}", "GET, PATCH"),
        ("PUT", "beneficiaries/{id}", "GET, PATCH"),
        ("POST", "beneficiaries/{id}", "GET, PATCH"),
        ("PUT", "beneficiaries", "GET, POST"),
        ("DELETE", "beneficiaries", "GET, POST"),
    ],
)
def test_a_method_the_path_does_not_serve_answers_405_in_json_with_allow(
    world: World, client_for: ClientFor, method: str, path: str, allowed: str
) -> None:
    person = register(world)
    response = client_for(world.intake_a).request(method, path.format(id=person.pk), {})
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"
    assert response["Allow"] == allowed
    assert Beneficiary.objects.filter(pk=person.pk).exists()


# --- Limits the document states -----------------------------------------------------------


def body_schema(openapi: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = openapi["components"]["schemas"][name]
    return schema


def query_parameter(openapi: dict[str, Any], name: str) -> dict[str, Any]:
    operation = openapi["paths"]["/api/v1/beneficiaries"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == name]
    schema: dict[str, Any] = parameter["schema"]
    return schema


def text(schema: dict[str, Any]) -> dict[str, Any]:
    """The string branch of a property that may also be null."""
    (string,) = [s for s in schema.get("anyOf", [schema]) if s.get("type") == "string"]
    return string


@pytest.mark.parametrize("schema_name", ["BeneficiaryIn", "BeneficiaryPatch"])
@pytest.mark.parametrize(
    "name",
    ["first_name", "patronymic", "last_name", "phone", "national_id", "heard_via_detail"],
)
def test_the_document_states_the_length_of_each_text_as_the_model_has_it(
    openapi: dict[str, Any], schema_name: str, name: str
) -> None:
    schema = text(body_schema(openapi, schema_name)["properties"][name])
    column = Beneficiary._meta.get_field(name)
    assert isinstance(column, models.CharField)
    assert schema["maxLength"] == column.max_length
    required = name in ("first_name", "last_name")
    assert schema.get("minLength") == (1 if required else None)


def test_the_document_states_the_household_bounds_and_the_income_shape(
    openapi: dict[str, Any],
) -> None:
    household = body_schema(openapi, "HouseholdIn")["properties"]
    assert (household["members_count"]["minimum"], household["members_count"]["maximum"]) == (
        1,
        40,
    )
    assert (household["dependants"]["minimum"], household["dependants"]["maximum"]) == (0, 40)
    income = body_schema(openapi, "IncomeIn")["properties"]
    assert income["amount"]["type"] == "string"
    assert "AMD" in income["currency"]["enum"]


def test_the_document_states_the_bounds_of_ids_offset_and_filters(
    openapi: dict[str, Any],
) -> None:
    assert query_parameter(openapi, "offset")["maximum"] == TOO_BIG - 1
    assert query_parameter(openapi, "district")["minimum"] == 1
    assert query_parameter(openapi, "district")["maximum"] == TOO_BIG - 1
    assert query_parameter(openapi, "q")["maxLength"] == 310
    registration = body_schema(openapi, "BeneficiaryIn")["properties"]
    assert registration["district"]["maximum"] == TOO_BIG - 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"first_name": "A" * 101}, "first_name"),
        ({"first_name": "   "}, "first_name"),
        ({"heard_via_detail": "x" * 201}, "heard_via_detail"),
        ({"projects": ["P" * 31]}, "projects.0"),
        ({"target_groups": ["not a code"]}, "target_groups.0"),
        ({"household": {"members_count": 41, "head_sex": "male"}}, "household.members_count"),
        (
            {
                "household": {
                    "members_count": 3,
                    "head_sex": "male",
                    "monthly_income": {"amount": "-5", "currency": "AMD"},
                }
            },
            "household.monthly_income.amount",
        ),
        (
            {
                "household": {
                    "members_count": 3,
                    "head_sex": "male",
                    "monthly_income": {"amount": "5", "currency": "XXX"},
                }
            },
            "household.monthly_income.currency",
        ),
    ],
)
def test_a_value_beyond_a_stated_limit_is_refused_on_its_field(
    world: World, client_for: ClientFor, overrides: dict[str, Any], field: str
) -> None:
    response = client_for(world.intake_a).post("beneficiaries", new_person(world, **overrides))
    assert response.status_code == 422
    assert list(error(response)["fields"]) == [field]
    assert not Beneficiary.objects.exists()
