"""Dependencies point one way: cli -> services -> {scheduling, clients, sandbox} -> errors (STYLE.md).

Every module under src/oncall_cli is parsed with `ast`, so imports inside functions, under
`if TYPE_CHECKING:` and through `importlib.import_module("...")` all count. Only the cli layer may name
clients or sandbox types, and only for type checking.

One exception skips the services layer on purpose: cli may import the scheduling core's frozen dataclasses
(`scheduling.model`) and `scheduling.planner.plan_to_json` as output models, because they are the `--json`
contract (docs/scheduling.md). Nothing else of the core: `CLI_SCHEDULING_NAMES` lists what is allowed.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

import oncall_cli

SRC = Path(oncall_cli.__file__).parent
PACKAGE = "oncall_cli"
STDLIB = frozenset(sys.stdlib_module_names)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. oncall_cli.cli.auth
    target: str  # the imported module, absolute, e.g. oncall_cli.clients.opsgenie or httpx.
    line: int
    type_checking: bool  # inside `if TYPE_CHECKING:`
    path: str = "<string>"

    @property
    def top(self) -> str:
        return self.target.split(".")[0]

    def describe(self) -> str:
        where = " (under TYPE_CHECKING)" if self.type_checking else ""
        return f"{self.module} imports {self.target}{where}  [{self.path}:{self.line}]"


def module_name(path: Path, root: Path = SRC, package: str = PACKAGE) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


KNOWN = frozenset(all_modules())


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_in(
    source: str,
    module: str,
    *,
    is_package: bool = False,
    known: Iterable[str] = KNOWN,
    path: str = "<string>",
) -> list[Import]:
    """Every import of `module`'s source, wherever it sits, resolved to absolute module names."""
    known = frozenset(known)
    found: list[Import] = []

    def visit(node: ast.AST, type_checking: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_checking)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, node.lineno, type_checking, path))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            if base == "__future__":
                return
            for alias in node.names:
                # `from oncall_cli import clients` imports the module oncall_cli.clients.
                candidate = f"{base}.{alias.name}"
                target = candidate if candidate in known else base
                found.append(Import(module, target, node.lineno, type_checking, path))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__"))
            )
        ):
            found.append(Import(module, node.args[0].value, node.lineno, type_checking, path))
        for child in ast.iter_child_nodes(node):
            visit(child, type_checking)

    visit(ast.parse(source), False)
    return found


@functools.cache
def all_imports() -> tuple[Import, ...]:
    out: list[Import] = []
    for name, path in all_modules().items():
        out.extend(
            imports_in(
                path.read_text(encoding="utf-8"),
                name,
                is_package=path.name == "__init__.py",
                path=str(path.relative_to(SRC.parent.parent)),
            )
        )
    return tuple(out)


def _in(target: str, *packages: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in packages)


def _ours(*names: str) -> tuple[str, ...]:
    return tuple(f"{PACKAGE}.{n}" for n in names)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(package)"


def violations(rule: Callable[[Import], bool], layers: tuple[str, ...]) -> list[str]:
    return [imp.describe() for imp in all_imports() if _layer(imp.module) in layers and not rule(imp)]


def _only(ours: tuple[str, ...], third_party: frozenset[str]) -> Callable[[Import], bool]:
    def allowed(imp: Import) -> bool:
        if imp.top == PACKAGE:
            return _in(imp.target, *ours)
        return imp.top in STDLIB or imp.top in third_party

    return allowed


def _never(*forbidden: str, type_checking_ok: bool = False) -> Callable[[Import], bool]:
    def allowed(imp: Import) -> bool:
        return (type_checking_ok and imp.type_checking) or not _in(imp.target, *forbidden)

    return allowed


CLI_RULE = "cli never imports clients or sandbox except under TYPE_CHECKING (it goes through services)"
RULES: dict[str, tuple[tuple[str, ...], Callable[[Import], bool]]] = {
    "scheduling imports only the stdlib, icalendar, and oncall_cli.errors/scheduling": (
        ("scheduling",),
        _only(_ours("errors", "scheduling"), frozenset({"icalendar"})),
    ),
    "clients import only oncall_cli.errors/redaction/private_files/clients, httpx and pydantic (+ stdlib)": (
        ("clients",),
        _only(_ours("errors", "redaction", "private_files", "clients"), frozenset({"httpx", "pydantic"})),
    ),
    "sandbox imports only oncall_cli.errors/redaction/scheduling/sandbox, httpx, jsonschema, platformdirs": (
        ("sandbox",),
        _only(
            _ours("errors", "redaction", "private_files", "scheduling", "sandbox"),
            frozenset({"httpx", "jsonschema", "platformdirs"}),
        ),
    ),
    "config, credentials, errors, redaction, private_files import no cli/services/clients/sandbox/"
    "scheduling": (
        ("config", "credentials", "errors", "redaction", "private_files"),
        _never(*_ours("cli", "services", "clients", "sandbox", "scheduling")),
    ),
    "errors is the bottom of the graph: it imports no oncall_cli module": (
        ("errors",),
        _never(PACKAGE),
    ),
    "services never import cli": (("services",), _never(*_ours("cli"))),
    CLI_RULE: (
        ("cli",),
        _never(*_ours("clients", "sandbox"), type_checking_ok=True),
    ),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_dependencies_point_one_way(rule: str) -> None:
    layers, allowed = RULES[rule]
    bad = violations(allowed, layers)
    assert not bad, f"Rule broken: {rule}\n  " + "\n  ".join(bad)


# cli -> scheduling: the explicit exception (module docstring). None means any name of that module.
CLI_SCHEDULING_NAMES: dict[str, frozenset[str] | None] = {
    # The frozen dataclasses are output models; `zone` renders their times in the schedule's zone.
    "oncall_cli.scheduling.model": None,
    # The `schedule new --json` contract.
    "oncall_cli.scheduling.planner": frozenset({"plan_to_json"}),
    # A display constant: the playbook states every handoff in Eastern time too.
    "oncall_cli.scheduling.rules": frozenset({"EASTERN_REFERENCE"}),
}


def cli_scheduling_imports() -> list[tuple[str, str, str, int]]:
    """(cli module, scheduling module, imported name, line) for every import of the core by the cli layer."""
    found: list[tuple[str, str, str, int]] = []
    for name, path in all_modules().items():
        if _layer(name) != "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if _in(node.module, f"{PACKAGE}.scheduling"):
                    found += [(name, node.module, alias.name, node.lineno) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [
                    (name, alias.name, "*", node.lineno)
                    for alias in node.names
                    if _in(alias.name, f"{PACKAGE}.scheduling")
                ]
    return found


def test_cli_imports_from_the_scheduling_core_only_its_output_models() -> None:
    bad = [
        f"{module} imports {name} from {target}  [line {line}]"
        for module, target, name, line in cli_scheduling_imports()
        if target not in CLI_SCHEDULING_NAMES
        or (CLI_SCHEDULING_NAMES[target] is not None and name not in (CLI_SCHEDULING_NAMES[target] or ()))
    ]
    assert not bad, "cli may import only the core's output models (see the module docstring):\n  " + (
        "\n  ".join(bad)
    )


def test_the_cli_scheduling_exception_is_in_use() -> None:
    """The allowance is not dead letter: the schedule command renders plan_to_json and the dataclasses."""
    seen = {(target, name) for _, target, name, _ in cli_scheduling_imports()}
    assert ("oncall_cli.scheduling.planner", "plan_to_json") in seen
    assert any(target == "oncall_cli.scheduling.model" for target, _ in seen)


# ---- the checker itself: a rule that cannot see an import proves nothing -----------------------------------


def test_checker_sees_every_module_of_every_layer() -> None:
    layers = {_layer(m) for m in KNOWN}
    assert {
        "cli",
        "services",
        "clients",
        "scheduling",
        "sandbox",
        "config",
        "credentials",
        "errors",
        "redaction",
    } <= layers
    assert "oncall_cli.clients._http" in KNOWN and "oncall_cli.cli.main" in KNOWN


def test_checker_finds_imports_inside_functions_and_under_type_checking() -> None:
    source = """
from __future__ import annotations
import typing
from typing import TYPE_CHECKING
from oncall_cli import clients, errors
from . import common
from ..services import context
if TYPE_CHECKING:
    from oncall_cli.sandbox.base import Thing
if typing.TYPE_CHECKING:
    import rich.console
else:
    import json
def command():
    import httpx
    from oncall_cli.clients.opsgenie import OpsgenieClient
    importlib.import_module("oncall_cli.sandbox.faults")
"""
    known = KNOWN | {"oncall_cli.cli.common", "oncall_cli.services.context"}
    found = {(i.target, i.type_checking) for i in imports_in(source, "oncall_cli.cli.x", known=known)}
    assert found == {
        ("typing", False),
        ("oncall_cli.clients", False),
        ("oncall_cli.errors", False),
        ("oncall_cli.cli.common", False),
        ("oncall_cli.services.context", False),
        ("oncall_cli.sandbox.base", True),
        ("rich.console", True),
        ("json", False),
        ("httpx", False),
        ("oncall_cli.clients.opsgenie", False),
        ("oncall_cli.sandbox.faults", False),
    }


def test_cli_rule_flags_a_runtime_client_import_but_not_a_type_checking_one() -> None:
    source = (
        "if TYPE_CHECKING:\n    from oncall_cli.clients.slack import SlackClient\n"
        "def f():\n    from oncall_cli.clients.slack import SlackClient\n"
    )
    _, allowed = RULES[CLI_RULE]
    verdicts = [allowed(i) for i in imports_in(source, "oncall_cli.cli.incident")]
    assert verdicts == [True, False]


def test_checker_sees_the_type_checking_imports_in_services_context() -> None:
    context = [i for i in all_imports() if i.module == "oncall_cli.services.context"]
    assert any(i.target.startswith("oncall_cli.clients.") and i.type_checking for i in context)
    assert any(i.target == "oncall_cli.clients._http" and not i.type_checking for i in context)


# ---- the backend seam: only an adapter speaks to an on-call service's client -----------------------------

ON_CALL_CLIENTS = _ours(
    "clients.opsgenie", "clients.opsgenie_models", "clients.jsm", "clients.jsm_models", "clients.jira",
    "clients.jira_models",
)
ADAPTERS = {
    "oncall_cli.services.backends.opsgenie": _ours("clients.opsgenie", "clients.opsgenie_models"),
    "oncall_cli.services.backends.opsgenie_incidents": _ours("clients.opsgenie", "clients.opsgenie_models"),
    "oncall_cli.services.backends.jsm": _ours("clients.jsm", "clients.jsm_models", "clients.jira",
                                              "clients.jira_models"),
    "oncall_cli.services.backends.opsgenie_alerts": _ours("clients.opsgenie", "clients.opsgenie_models"),
    "oncall_cli.services.backends.jsm_alerts": _ours("clients.jsm", "clients.jsm_models"),
}
STILL_OPSGENIE = frozenset(
    {
        # `context` builds the clients the adapters get (for types only, and lazily).
        "oncall_cli.services.context",
    }
)
INCIDENT_USE_CASES = frozenset(
    {"oncall_cli.services.reports", *(m for m in KNOWN if m.startswith("oncall_cli.services.incident."))}
)


def test_only_an_adapter_imports_an_on_call_services_client_or_its_models() -> None:
    bad = []
    for imp in all_imports():
        if _layer(imp.module) != "services" or not _in(imp.target, *ON_CALL_CLIENTS):
            continue
        if imp.module in ADAPTERS and _in(imp.target, *ADAPTERS[imp.module]):
            continue
        if imp.module in STILL_OPSGENIE and (
            _in(imp.target, *_ours("clients.opsgenie", "clients.opsgenie_models"))
            or imp.module == "oncall_cli.services.context"
        ):
            continue
        bad.append(imp.describe())
    assert not bad, "import the ports (services/ports.py), not a vendor client:\n  " + "\n  ".join(bad)


def test_the_schedule_use_cases_type_against_the_ports_only() -> None:
    schedule_services = {"oncall_cli.services." + n for n in ("schedule", "rotation", "overrides", "holiday",
                                                               "oncall", "migrate")}
    found = [i for i in all_imports() if i.module in schedule_services and _in(i.target, *_ours("services"))]
    adapters = [i.describe() for i in found if _in(i.target, "oncall_cli.services.backends")]
    assert adapters == [], "use cases choose no adapter: Context.schedule_store() / Context.directory do"
    assert any(i.target == "oncall_cli.services.ports" for i in found)


def test_the_incident_use_cases_reach_the_tracker_through_the_port_only() -> None:
    assert "oncall_cli.services.incident.raising" in INCIDENT_USE_CASES
    found = [i for i in all_imports() if i.module in INCIDENT_USE_CASES]
    vendors = [i.describe() for i in found if _in(i.target, *ON_CALL_CLIENTS)]
    assert vendors == [], "the incident use cases speak to Context.incidents (IncidentTracker), not a client"
    adapters = [i.describe() for i in found if _in(i.target, "oncall_cli.services.backends")]
    assert adapters == [], "use cases choose no adapter: Context.incidents does"
    assert any(i.target == "oncall_cli.services.ports" for i in found)
