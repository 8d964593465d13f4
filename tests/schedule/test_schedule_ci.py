"""`oncall schedule check --format github|junit`: output a CI system understands, same exit codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ALL_BACKENDS, PLACEHOLDER_BACKENDS, SandboxCli, explain
from oncall_cli.scheduling.check import CHECKED_RULES

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def _break_rot_b(cli: SandboxCli) -> None:
    """A `none` placeholder in rot-b: an R10 violation (and nothing else)."""
    store = cli.context().schedule_store()
    rot_b = next(r for r in store.rotations() if r.name == "rot-b")
    store.update_rotation("rot-b", participants=(*rot_b.participants[:1], None, *rot_b.participants[1:]))


def test_github_format_prints_a_notice_and_exits_0_on_a_good_schedule(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("schedule", "check", "--format", "github")
    assert result.exit_code == 0, explain(result)
    assert result.stdout.startswith("::notice title=oncall schedule check::no problems from ")
    assert "::error" not in result.stdout


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_github_format_prints_one_error_annotation_per_violation_and_exits_9(sandbox_cli: SandboxCli) -> None:
    _break_rot_b(sandbox_cli)
    violations = sandbox_cli.json("schedule", "check", code=9)["violations"]
    result = sandbox_cli("schedule", "check", "--format", "github")
    assert result.exit_code == 9, explain(result)
    lines = result.stdout.splitlines()
    assert len(lines) == len(violations) >= 1
    for line, v in zip(lines, violations, strict=True):
        assert line.startswith(f"::error title={v['rule']} ")
        # Colons and commas in the title are escaped; the message follows the second `::`.
        title, message = line.removeprefix("::error ").split("::", 1)
        assert ":" not in title.removeprefix("title=") and "," not in title.removeprefix("title=")
        assert message == f"[{v['rule']}] {v['message']}".replace("%", "%25")


@pytest.mark.backends(*PLACEHOLDER_BACKENDS)
def test_junit_output_has_one_test_case_per_rule_and_a_failure_for_each_broken_rule(
    sandbox_cli: SandboxCli, tmp_path: Path
) -> None:
    _break_rot_b(sandbox_cli)
    report = tmp_path / "reports" / "check.xml"
    result = sandbox_cli("schedule", "check", "--format", "junit", "--output", str(report))
    assert result.exit_code == 9, explain(result)
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name", "").split(" ")[0] for c in cases] == [rule for rule, _ in CHECKED_RULES]
    failed = {c.get("name", "").split(" ")[0] for c in cases if c.find("failure") is not None}
    assert "R10" in failed
    assert suite.get("tests") == str(len(CHECKED_RULES)) and suite.get("failures") == str(len(failed))
    r10 = next(c for c in cases if c.get("name", "").startswith("R10 "))
    failure = r10.find("failure")
    assert failure is not None and failure.get("type") == "R10"
    assert "nobody is on call" in (failure.text or "")


def test_junit_on_a_good_schedule_passes_every_case_and_a_rerun_leaves_the_file_alone(
    sandbox_cli: SandboxCli, tmp_path: Path
) -> None:
    report = tmp_path / "check.xml"
    first = sandbox_cli("schedule", "check", "--format", "junit", "--output", str(report), "--json")
    assert first.exit_code == 0, explain(first)
    root = ET.parse(report).getroot()
    assert all(c.find("failure") is None for c in root.iter("testcase"))
    stamp = report.stat().st_mtime_ns
    report.touch()
    touched = report.stat().st_mtime_ns
    second = sandbox_cli("schedule", "check", "--format", "junit", "--output", str(report))
    assert second.exit_code == 0, explain(second)
    assert report.stat().st_mtime_ns == touched >= stamp  # same bytes: not written again


def test_junit_without_output_prints_the_xml(sandbox_cli: SandboxCli) -> None:
    result = sandbox_cli("schedule", "check", "--format", "junit")
    assert result.exit_code == 0, explain(result)
    assert ET.fromstring(result.stdout).tag == "testsuites"


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "sarif"),
        ("--output", "x.xml"),
        ("--format", "github", "--json"),
    ],
)
def test_bad_format_combinations_exit_2(sandbox_cli: SandboxCli, args: tuple[str, ...]) -> None:
    result = sandbox_cli("schedule", "check", *args)
    assert result.exit_code == 2, explain(result)
