"""`oncall remind upcoming`: one Slack DM per upcoming shift, a dry run by default, never sent twice."""

from __future__ import annotations

from datetime import datetime

import pytest

from conftest import ALL_BACKENDS, SandboxCli
from oncall_cli.clients.slack import SlackClient
from oncall_cli.sandbox.emulator import SANDBOX_URLS

pytestmark = pytest.mark.backends(*ALL_BACKENDS)


def _dm_texts(cli: SandboxCli, email: str) -> list[str]:
    import httpx

    slack = SlackClient(httpx.Client(transport=cli.emulator.transport()), token="xoxb-t",
                        base_url=SANDBOX_URLS["slack"])
    user = slack.users_lookup_by_email(email=email).id
    channel = slack.conversations_open(users=user).id
    return [m.text or "" for m in slack.conversations_history(channel=channel, limit=100).messages]


def test_dry_run_by_default_lists_who_gets_what_and_sends_nothing(sandbox_cli: SandboxCli) -> None:
    report = sandbox_cli.json("remind", "upcoming", "--days", "2")
    assert report["dry_run"] is True and report["sent"] == []
    now = sandbox_cli.clock.now()
    assert report["reminders"], "the seeded schedule has a hand-off within two days"
    for r in report["reminders"]:
        start = datetime.fromisoformat(r["start"])
        assert now <= start and (start - now).days < 2
        assert r["status"] == "would_send" and r["partners"]
        assert r["text"].startswith(f"Reminder: your on-call shift in {r['rotation']} starts ")
        assert "oncall override take " in r["text"] and f"oncall override swap {r['user']}" in r["text"]
        assert all(p in r["text"] for p in r["partners"])
        assert _dm_texts(sandbox_cli, r["user"]) == []


def test_apply_sends_each_reminder_once_and_a_second_run_sends_nothing(sandbox_cli: SandboxCli) -> None:
    first = sandbox_cli.json("remind", "upcoming", "--apply")
    assert first["dry_run"] is False and first["sent"]
    assert all(r["status"] == "sent" for r in first["reminders"])
    for r in first["reminders"]:
        assert _dm_texts(sandbox_cli, r["user"]) == [r["text"]]
    sandbox_cli.clock.advance(hours=1)
    second = sandbox_cli.json("remind", "upcoming", "--apply")
    assert second["sent"] == []
    assert {r["status"] for r in second["reminders"]} <= {"already_sent"}
    for r in first["reminders"]:
        assert len(_dm_texts(sandbox_cli, r["user"])) == 1


def test_dry_run_with_apply_sends_nothing(sandbox_cli: SandboxCli) -> None:
    report = sandbox_cli.json("remind", "upcoming", "--apply", "--dry-run")
    assert report["dry_run"] is True and report["sent"] == []


def test_days_out_of_range_exits_2(sandbox_cli: SandboxCli) -> None:
    assert sandbox_cli("remind", "upcoming", "--days", "0").exit_code == 2
