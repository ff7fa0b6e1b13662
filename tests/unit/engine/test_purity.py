"""The engine is pure: no Django, and no float anywhere in its source."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import tandir.engine

ENGINE_DIR = Path(tandir.engine.__file__).parent
SOURCES = sorted(ENGINE_DIR.glob("*.py"))


def test_the_engine_has_modules_to_check() -> None:
    names = {path.stem for path in SOURCES}
    assert {"money", "calendar", "products", "schedule", "allocation", "disclosure"} <= names


def test_no_engine_module_imports_django() -> None:
    offenders = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            offenders += [f"{path.name}: {m}" for m in modules if m.split(".")[0] == "django"]
    assert offenders == []


def test_importing_the_engine_loads_no_django_module() -> None:
    code = (
        "import json, sys; import tandir.engine, tandir.schedule_cli; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'django')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []


def test_no_float_literal_or_float_call_in_the_engine() -> None:
    offenders = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, float | complex):
                offenders.append(f"{path.name}:{node.lineno} literal {node.value!r}")
            elif isinstance(node, ast.Name) and node.id == "float":
                offenders.append(f"{path.name}:{node.lineno} uses float")
            elif isinstance(node, ast.Attribute) and node.attr in {"from_float", "__float__"}:
                offenders.append(f"{path.name}:{node.lineno} uses {node.attr}")
    assert offenders == []


def test_true_division_never_meets_an_int_literal_alone() -> None:
    # `1 / 3` between two int literals would make a float; Decimal / int is fine.
    offenders = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Div)
                and isinstance(node.left, ast.Constant)
                and isinstance(node.right, ast.Constant)
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
