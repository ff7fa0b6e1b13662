"""Checks a JSON value against the API's own OpenAPI document.

A small JSON Schema subset (the one pydantic and django-ninja emit): $ref, anyOf/oneOf/allOf,
type, enum, const, properties, required, additionalProperties, items, pattern, lengths,
minimum/maximum and date formats. Enough to catch a response drifting from its documentation.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/"), f"only local references are used, got {ref}"
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name in ("object", "array", "string", "null"):
        return isinstance(value, _TYPES[name])
    if name == "boolean":
        return isinstance(value, bool)
    raise AssertionError(f"unknown JSON type {name}")


def errors(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "$") -> list[str]:
    """Every way `value` breaks `schema`, as readable lines; empty when it conforms."""
    if "$ref" in schema:
        return errors(value, resolve(root, schema["$ref"]), root, at)
    found: list[str] = []
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema["oneOf"]
        if all(errors(value, option, root, at) for option in options):
            found.append(f"{at}: {value!r} matches none of the allowed shapes")
    for part in schema.get("allOf", []):
        found += errors(value, part, root, at)
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is_type(value, k) for k in kinds):
            return [*found, f"{at}: expected {kind}, got {type(value).__name__} {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{at}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        found += _string_errors(value, schema, at)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{at}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{at}: {value} > {schema['maximum']}")
    if isinstance(value, dict):
        found += _object_errors(value, schema, root, at)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += errors(item, schema["items"], root, f"{at}[{index}]")
    return found


def _string_errors(value: str, schema: dict[str, Any], at: str) -> list[str]:
    found = []
    if "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{at}: {value!r} does not match {schema['pattern']}")
    if "minLength" in schema and len(value) < schema["minLength"]:
        found.append(f"{at}: {value!r} shorter than {schema['minLength']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(f"{at}: {value!r} longer than {schema['maxLength']}")
    parsers = {"date": datetime.date.fromisoformat, "date-time": datetime.datetime.fromisoformat}
    parse = parsers.get(schema.get("format", ""))
    if parse:
        try:
            parse(value)
        except ValueError:
            found.append(f"{at}: {value!r} is not a {schema['format']}")
    return found


def _object_errors(
    value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], at: str
) -> list[str]:
    found = [f"{at}: missing {name!r}" for name in schema.get("required", []) if name not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            found += errors(item, properties[name], root, f"{at}.{name}")
        elif extra is False:
            found.append(f"{at}: undocumented key {name!r}")
        elif isinstance(extra, dict):
            found += errors(item, extra, root, f"{at}.{name}")
    return found


def operation_for(document: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The documented operation serving `method path`, if any."""
    for template, operations in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return operations[method.lower()]
    return None


def response_errors(
    document: dict[str, Any], method: str, path: str, status: int, body: Any
) -> list[str]:
    """How a response breaks the documentation of its operation and status code."""
    operation = operation_for(document, method, path)
    if operation is None:
        # Unknown paths answer in the common error shape.
        schema: dict[str, Any] = {"$ref": "#/components/schemas/ErrorOut"}
    else:
        documented = operation["responses"].get(str(status))
        if documented is None:
            return [f"{method} {path}: status {status} is not documented"]
        schema = documented["content"]["application/json"]["schema"]
    return errors(body, schema, document)
