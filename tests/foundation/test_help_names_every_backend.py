"""Help that names an on-call service names all three (Opsgenie, JSM, PagerDuty) or none of them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from oncall_cli.cli.main import app


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


@pytest.mark.parametrize("args", [(), ("migrate",)])
def test_group_help_names_pagerduty_with_the_others(args: tuple[str, ...]) -> None:
    text = _help(*args)
    assert "Opsgenie" in text and "JSM" in text and "PagerDuty" in text, text


@pytest.mark.parametrize(
    ("args", "wording"),
    [
        (("schedule", "new"), "Create the rotations on the on-call service."),
        (("incident", "raise"), "Opsgenie or PagerDuty service"),
        (("incident", "raise"), "Raise an incident: on-call service incident"),
    ],
)
def test_option_help_is_not_opsgenie_only(args: tuple[str, ...], wording: str) -> None:
    text = _help(*args)
    assert wording in text and "in Opsgenie" not in text, text
