"""docs/sandbox.md cannot drift: it must equal what scripts/sandbox_coverage.py renders from the emulators'
route tables (and, for "not emulated", the vendors' full specs in shared/specs)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    path = REPO / "scripts" / "sandbox_coverage.py"
    spec = importlib.util.spec_from_file_location("sandbox_coverage", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sandbox_coverage"] = module
    spec.loader.exec_module(module)
    return module


def test_docs_sandbox_md_lists_every_emulated_operation() -> None:
    script = _script()
    text = (REPO / "docs" / "sandbox.md").read_text()
    for operations in script.emulated().values():
        for operation in operations:
            assert f"| `{operation}` |" in text, f"{operation} missing: run scripts/sandbox_coverage.py"


def test_docs_sandbox_md_is_what_the_script_renders() -> None:
    script = _script()
    try:
        specs = script.default_specs_dir()
    except SystemExit:
        pytest.skip("shared/specs is not here")
    assert (REPO / "docs" / "sandbox.md").read_text() == script.render(specs), \
        "docs/sandbox.md is stale: run scripts/sandbox_coverage.py"
