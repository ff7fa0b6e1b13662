"""The OpenAPI document, the offline docs page and the one error shape."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.api.conftest import BASE, assert_error_shape, token_for
from tests.api.openapi_check import errors, resolve

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def structural_problems(document: dict[str, Any]) -> list[str]:
    """The OpenAPI 3 rules a client generator relies on (no validator package is pinned)."""
    problems = []
    if not re.fullmatch(r"3\.\d+\.\d+", str(document.get("openapi"))):
        problems.append(f"openapi version {document.get('openapi')!r}")
    info = document.get("info", {})
    if not (isinstance(info.get("title"), str) and isinstance(info.get("version"), str)):
        problems.append("info needs a title and a version")
    operation_ids = []
    for template, item in document.get("paths", {}).items():
        if not template.startswith("/"):
            problems.append(f"path {template} must start with /")
        in_template = set(re.findall(r"\{([^}]+)\}", template))
        for method, operation in item.items():
            if method not in METHODS:
                problems.append(f"{template}: unknown method {method}")
                continue
            operation_ids.append(operation.get("operationId"))
            declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            if declared != in_template:
                problems.append(f"{method} {template}: path parameters {declared}")
            for parameter in operation.get("parameters", []):
                if parameter.get("in") not in {"query", "header", "path", "cookie"}:
                    problems.append(f"{method} {template}: parameter in {parameter.get('in')}")
                if parameter.get("in") == "path" and parameter.get("required") is not True:
                    problems.append(f"{method} {template}: path parameter not required")
            responses = operation.get("responses") or {}
            if not responses:
                problems.append(f"{method} {template}: no responses")
            for status, response in responses.items():
                if not re.fullmatch(r"[1-5](\d\d|XX)|default", status):
                    problems.append(f"{method} {template}: status {status}")
                if not isinstance(response.get("description"), str):
                    problems.append(f"{method} {template} {status}: no description")
    if len(operation_ids) != len(set(operation_ids)) or None in operation_ids:
        problems.append(f"operation ids not unique: {operation_ids}")
    for ref in refs(document):
        try:
            resolve(document, ref)
        except (KeyError, AssertionError):
            problems.append(f"dangling reference {ref}")
    return problems


def test_the_openapi_document_is_served_and_is_valid_openapi_3(db):
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert structural_problems(document) == []
    assert document["info"]["title"] == "Tandir API"
    assert document["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"}
    }
    assert {
        (template, method) for template, item in document["paths"].items() for method in item
    } == {
        ("/api/v1/beneficiaries", "get"),
        ("/api/v1/beneficiaries", "post"),
        ("/api/v1/beneficiaries/{beneficiary_id}", "get"),
        ("/api/v1/beneficiaries/{beneficiary_id}", "patch"),
        ("/api/v1/loans", "get"),
        ("/api/v1/loans/{loan_id}", "get"),
        ("/api/v1/loans/{loan_id}/repayments", "get"),
        ("/api/v1/loans/{loan_id}/repayments", "post"),
        ("/api/v1/network/figures", "get"),
    }


def test_every_error_answer_of_every_operation_is_documented_as_the_error_shape(openapi):
    for item in openapi["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                schema = response["content"]["application/json"]["schema"]
                if int(status) >= 400:
                    assert schema == {"$ref": "#/components/schemas/ErrorOut"}


def test_money_is_documented_as_a_decimal_string(openapi):
    money = openapi["components"]["schemas"]["MoneyOut"]["properties"]["amount"]
    assert money["type"] == "string"
    assert errors("120000.00", money, openapi) == []
    assert errors(120000.0, money, openapi) != []


def test_the_docs_page_works_without_the_internet(db):
    response = Client().get(f"{BASE}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    assert "/static/ninja/swagger-ui.css" in assets
    assert not [a for a in assets if re.match(r"(https?:)?//", a)], assets
    assert not re.search(r"https?://(?!www\.w3\.org)", html), "the page names an outside host"
    assert '"validatorUrl": null' in html
    assert '"url": "/api/v1/openapi.json"' in html
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a bundled file"


def test_an_unexpected_failure_still_answers_in_the_error_shape(world, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("tandir.api.registry.search_beneficiaries", broken)
    client = Client(raise_request_exception=False)
    response = client.get(
        f"{BASE}/beneficiaries", headers={"Authorization": f"Bearer {token_for(world.admin)}"}
    )
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "fire" not in response.content.decode()
    assert_error_shape(response.json())


@pytest.mark.parametrize("path", ["", "nothing-here", "beneficiaries/1/history"])
def test_paths_that_name_no_endpoint_answer_not_found_in_json(db, path):
    response = Client().get(f"{BASE}/{path}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
