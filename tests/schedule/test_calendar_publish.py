"""`oncall calendar publish DIR`: the feed round-trips through icalendar, equals `schedule show`, and a
re-publish changes only what changed (issue 17, item 1)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from conftest import ALL_BACKENDS, SandboxCli

pytestmark = pytest.mark.backends(*ALL_BACKENDS)

NY = ZoneInfo("America/New_York")
Row = tuple[str, str, datetime, datetime]


def _events(path: Path) -> dict[str, Any]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def _as_shifts(events: dict[str, Any], start: datetime, end: datetime) -> list[Row]:
    """(rotation, user, start, end) of each event, clipped to the window `schedule show` covers."""
    out = []
    for e in events.values():
        rotation, _, rest = str(e["DESCRIPTION"]).partition(" shift ")
        user = rest.split(": ", 1)[1].removesuffix(" (override)")
        lo, hi = e.decoded("DTSTART"), e.decoded("DTEND")
        out.append((rotation, user, max(lo, start, key=_utc), min(hi, end, key=_utc)))
    return sorted(out, key=lambda s: (_utc(s[2]), s[0]))


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _shown(cli: SandboxCli, weeks: int) -> tuple[list[Row], datetime, datetime]:
    view = cli.json("schedule", "show", "--weeks", str(weeks))
    shifts = [
        (
            s["rotation"],
            s["user"] or "nobody (placeholder)",
            datetime.fromisoformat(s["start"]),
            datetime.fromisoformat(s["end"]),
        )
        for s in view["shifts"]
    ]
    start, end = datetime.fromisoformat(view["from"]), datetime.fromisoformat(view["to"])
    # `schedule show` cuts the first shift at now and the service's window may run past `to`: clip both.
    clipped = [(r, u, max(lo, start, key=_utc), min(hi, end, key=_utc)) for r, u, lo, hi in shifts]
    return sorted(clipped, key=lambda s: (_utc(s[2]), s[0])), start, end


def _same(a: list[Row], b: list[Row]) -> None:
    assert [(r, u, _utc(s), _utc(e)) for r, u, s, e in a] == [(r, u, _utc(s), _utc(e)) for r, u, s, e in b]


def _mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in directory.iterdir()}


def test_the_feed_equals_schedule_show_over_26_weeks_and_lists_every_engineer(
    sandbox_cli: SandboxCli, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    report = sandbox_cli.json("calendar", "publish", str(out))
    assert report["dry_run"] is False
    shown, start, end = _shown(sandbox_cli, 26)
    team = _events(out / "team.ics")
    _same(_as_shifts(team, start, end), shown)
    users = sorted({u for _, u, _, _ in shown if "@" in u})
    assert sorted(p.name for p in out.glob("*@*.ics")) == [f"{u}.ics" for u in users]
    for user in users:
        mine = _events(out / f"{user}.ics")
        assert set(mine) <= set(team) and mine
        assert all(user in str(e["DESCRIPTION"]) for e in mine.values())
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="team.ics"' in index and all(f'href="{u}.ics"' in index for u in users)
    assert all(int(e["SEQUENCE"]) == 0 for e in team.values())


def test_times_stay_11_eastern_across_both_dst_changes(sandbox_cli: SandboxCli, tmp_path: Path) -> None:
    out = tmp_path / "site"
    sandbox_cli.json("calendar", "publish", str(out), "--weeks", "40")  # Feb to Nov 2027: both changes
    shown, start, end = _shown(sandbox_cli, 40)
    team = _events(out / "team.ics")
    _same(_as_shifts(team, start, end), shown)
    starts = [e.decoded("DTSTART") for e in team.values()]
    offsets = {s.utcoffset() for s in starts}
    assert len(offsets) == 2  # EST and EDT
    assert any(s.month == 3 for s in starts) and any(s.month == 11 and s.day >= 8 for s in starts)
    assert all((s.astimezone(NY).hour, s.astimezone(NY).minute) == (11, 0) for s in starts)


def test_a_second_publish_writes_nothing(sandbox_cli: SandboxCli, tmp_path: Path) -> None:
    out = tmp_path / "site"
    sandbox_cli.json("calendar", "publish", str(out))
    before = _mtimes(out)
    sandbox_cli.clock.advance(minutes=30)  # later, but before the next hand-off (11:00)
    again = sandbox_cli.json("calendar", "publish", str(out))
    assert again["written"] == [] and not any(f["changed"] for f in again["files"])
    assert again["events"] == {"added": [], "updated": [], "removed": []}
    assert _mtimes(out) == before


def test_dry_run_writes_nothing(sandbox_cli: SandboxCli, tmp_path: Path) -> None:
    out = tmp_path / "site"
    report = sandbox_cli.json("calendar", "publish", str(out), "--dry-run")
    assert report["dry_run"] is True and report["written"] == []
    assert all(f["changed"] for f in report["files"])
    assert not out.exists()


def test_a_republish_after_a_swap_changes_exactly_the_two_events(
    sandbox_cli: SandboxCli, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    sandbox_cli.json("calendar", "publish", str(out))
    before = _events(out / "team.ics")
    mtimes = _mtimes(out)
    shown, _, _ = _shown(sandbox_cli, 26)
    now = sandbox_cli.clock.now()
    later = [s for s in shown if _utc(s[2]) > now]
    a = next(u for r, u, _, _ in later if r == "rot-a")
    b = next(u for r, u, _, _ in later if r == "rot-b" and u != a)
    swap = sandbox_cli.json("override", "swap", a, b)
    assert len(swap["overrides"]) == 2
    sandbox_cli.clock.advance(minutes=5)

    report = sandbox_cli.json("calendar", "publish", str(out))
    after = _events(out / "team.ics")
    assert set(after) == set(before)  # same UIDs: calendars update the events, nothing duplicated
    changed = {uid for uid in after if after[uid].to_ical() != before[uid].to_ical()}
    assert len(changed) == 2 and sorted(changed) == sorted(report["events"]["updated"])
    assert report["events"]["added"] == [] and report["events"]["removed"] == []
    for uid in changed:
        assert int(after[uid]["SEQUENCE"]) == int(before[uid]["SEQUENCE"]) + 1
        assert after[uid].decoded("LAST-MODIFIED") > before[uid].decoded("LAST-MODIFIED")
    assert sorted(report["written"]) == sorted(["team.ics", f"{a}.ics", f"{b}.ics"])
    assert {n: t for n, t in _mtimes(out).items() if n not in report["written"]} == {
        n: t for n, t in mtimes.items() if n not in report["written"]
    }
    # And the feed still equals `schedule show`, overrides applied.
    shown, start, end = _shown(sandbox_cli, 26)
    _same(_as_shifts(after, start, end), shown)
    # A third publish changes nothing.
    assert sandbox_cli.json("calendar", "publish", str(out))["written"] == []


def test_weeks_out_of_range_exits_2(sandbox_cli: SandboxCli, tmp_path: Path) -> None:
    assert sandbox_cli("calendar", "publish", str(tmp_path), "--weeks", "0").exit_code == 2
