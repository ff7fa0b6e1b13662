"""Fitness tests of the code's shape, like the engine's purity test: writes only in actions,
row locks only in locks modules, typed actions, and layers that depend one way."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tandir"

WRITES = {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
QUERYSET_WRITES = {"create", "update"}
# Files that write rows which are not business records, each for a stated reason.
WRITES_ALLOWED = {
    "api/auth.py": "when a token was last used",
    "api/idempotency.py": "stored answers to retried requests",
    "core/audit.py": "the access log",
    "core/bulk.py": "COPY and chunked UPDATEs for the rows that actions have checked",
    "core/models.py": "the many-to-many tables' organisation, filled in bulk_create",
    "orgs/management/commands/createadmin.py": "the first administrator of a new platform",
}


def python_files(folder: Path = SRC) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _receiver_text(node: ast.Attribute) -> str:
    return ast.unparse(node.value)


def write_calls(source: str, name_of_file: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        receiver = _receiver_text(node.func)
        if receiver.startswith("super()"):
            continue
        is_queryset = ".objects" in receiver or any(
            f".{verb}(" in receiver for verb in ("filter", "exclude", "all", "select_related")
        )
        if name in WRITES or (name in QUERYSET_WRITES and is_queryset):
            found.append(f"{name_of_file}:{node.lineno}: {receiver}.{name}()")
    return found


def test_business_records_are_written_only_in_actions() -> None:
    offending = []
    for path in python_files():
        relative = path.relative_to(SRC).as_posix()
        if path.name == "actions.py" or relative.startswith("demo/") or relative in WRITES_ALLOWED:
            continue
        offending += write_calls(path.read_text(encoding="utf-8"), relative)
    assert not offending, "writes outside actions.py:\n" + "\n".join(offending)


def test_the_fitness_test_sees_writes_and_not_dict_updates() -> None:
    source = (
        "Beneficiary.objects.filter(pk=1).update(status='x')\n"
        "person.save(update_fields=['status'])\n"
        "Consent.objects.create(beneficiary=person)\n"
        "data.update(a=1)\n"
    )
    assert len(write_calls(source, "sample.py")) == 3


def test_row_locks_live_in_one_locks_module_per_app() -> None:
    offending = []
    for path in python_files():
        if path.name == "locks.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "select_for_update":
                offending.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not offending, offending


ACTOR_NAMES = {"officer", "manager", "administrator", "user"}


def test_actions_are_typed_with_the_staff_user() -> None:
    untyped = []
    for path in SRC.rglob("actions.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            actor = node.args.args[0] if node.args.args else None
            if actor is None or actor.arg not in ACTOR_NAMES:
                continue
            if actor.annotation is None or ast.unparse(actor.annotation) != "StaffUser":
                untyped.append(f"{path.relative_to(SRC)}: {node.name}({actor.arg})")
            if node.returns is None:
                untyped.append(f"{path.relative_to(SRC)}: {node.name} has no return type")
    assert not untyped, untyped


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


# Each layer may use the layers before it, never one after it.
LAYERS = [
    "engine",
    "core",
    "orgs",
    "registry",
    "ledger",
    "lending",
    "cob",
    "jobs",
    "training",
    "plans",
    "associations",
    "events",
    "impact",
    "reports",
    "web",
    "api",
    "demo",
]


@pytest.mark.parametrize("layer", LAYERS)
def test_layers_depend_one_way(layer: str) -> None:
    later = LAYERS[LAYERS.index(layer) + 1 :]
    offending = []
    for path in python_files(SRC / layer):
        for module in imported_modules(path):
            if any(
                module == f"tandir.{name}" or module.startswith(f"tandir.{name}.") for name in later
            ):
                offending.append(f"{path.relative_to(SRC)} imports {module}")
    assert not offending, offending


def test_management_commands_live_in_the_app_they_serve() -> None:
    # core is the bottom layer: it serves no command of its own.
    assert not (SRC / "core" / "management").exists()
    assert (SRC / "demo" / "management" / "commands" / "demo.py").exists()
    assert (SRC / "web" / "management" / "commands" / "serve.py").exists()


def test_tandir_help_lists_every_command_of_ours(capsys: pytest.CaptureFixture[str]) -> None:
    from tandir.cli import main

    assert main(["--help"]) == 0
    usage = capsys.readouterr().out
    commands = {
        path.stem.replace("_", " ")
        for path in SRC.glob("*/management/commands/*.py")
        if path.stem != "__init__"
    }
    assert commands
    missing = sorted(name for name in commands if f"  {name}" not in usage)
    assert not missing, f"tandir --help does not list {missing}"
    for command in ("schedule", "compilemessages", "serve --production"):
        assert f"  {command}" in usage
