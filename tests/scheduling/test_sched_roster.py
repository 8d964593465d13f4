"""Roster parsing: good files load, bad files raise one UsageError naming file, entry and field."""

from __future__ import annotations

import random
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from oncall_cli.errors import UsageError
from oncall_cli.scheduling.planner import plan_round
from oncall_cli.scheduling.roster import parse_roster

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster.toml"


def entry(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"email": "ada@example.com", "name": "Ada", "timezone": "America/New_York",
                            "start_date": date(2024, 1, 1)}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


def error(data: dict[str, Any]) -> UsageError:
    with pytest.raises(UsageError) as info:
        parse_roster(data, "team.toml")
    return info.value


def test_a_full_entry_is_parsed() -> None:
    (e,) = parse_roster({"engineers": [entry(new=True, team="core", manager="grace@example.com",
                                              unavailable=[[date(2027, 1, 1), date(2027, 1, 5)]])]}, "x")
    assert (e.email, e.new, e.team, e.manager) == ("ada@example.com", True, "core", "grace@example.com")
    assert e.unavailable == ((date(2027, 1, 1), date(2027, 1, 5)),)


def test_the_example_roster_parses_and_plans() -> None:
    with EXAMPLE.open("rb") as f:
        engineers = parse_roster(tomllib.load(f), str(EXAMPLE))
    assert len(engineers) == 14
    plan = plan_round(engineers, today=date(2026, 11, 22), rng=random.Random(1))
    assert {d.user for d in plan.deferred} >= {"katherine@example.com"}
    assert not any(w.startswith("[R7]") for w in plan.warnings)


def test_unknown_time_zone_names_file_entry_and_field() -> None:
    err = error({"engineers": [entry(), entry(email="bob@example.com", timezone="Mars/Olympus")]})
    assert "team.toml" in err.message and "engineers[1]" in err.message and "bob@example.com" in err.message
    assert "'timezone'" in err.message and "Mars/Olympus" in err.message


def test_missing_email_names_the_entry_by_index() -> None:
    err = error({"engineers": [entry(email=None)]})
    assert "team.toml: engineers[0]: field 'email': missing" in err.message


def test_duplicate_email_points_at_the_first_occurrence() -> None:
    err = error({"engineers": [entry(), entry(name="Other")]})
    assert "engineers[1] (ada@example.com): field 'email': duplicate of engineers[0]" in err.message


@pytest.mark.parametrize("bad", ["2024-13-01", "yesterday", 20240101, datetime(2024, 1, 1, 9)])
def test_bad_start_date(bad: object) -> None:
    err = error({"engineers": [entry(start_date=bad)]})
    assert "field 'start_date'" in err.message and "engineers[0] (ada@example.com)" in err.message


def test_iso_string_dates_are_accepted() -> None:
    (e,) = parse_roster({"engineers": [entry(start_date="2024-02-03")]}, "x")
    assert e.start_date == date(2024, 2, 3)


def test_unknown_key_is_refused() -> None:
    err = error({"engineers": [entry(start="2024-01-01")]})
    assert "field 'start': unknown key" in err.message


def test_unknown_top_level_key_catches_a_misspelt_table() -> None:
    err = error({"engineer": [entry()]})
    assert "unknown top-level key 'engineer'" in err.message


@pytest.mark.parametrize(("field", "value"), [
    ("unavailable", [[date(2027, 1, 5), date(2027, 1, 1)]]),
    ("unavailable", [date(2027, 1, 5)]),
    ("new", "yes"),
    ("name", ""),
    ("email", "not-an-email"),
])
def test_bad_optional_fields(field: str, value: object) -> None:
    err = error({"engineers": [entry(**{field: value})]})
    assert f"field '{field}'" in err.message


def test_several_problems_make_one_error_that_counts_them() -> None:
    err = error({"engineers": [entry(timezone="X/Y"), entry(email="b@example.com", start_date="nope")]})
    assert "and 1 more problem" in err.message
    assert len(err.details["problems"]) == 2 and err.details["source"] == "team.toml"


def test_R13_team_must_be_a_non_empty_string_naming_the_field() -> None:
    with pytest.raises(UsageError) as caught:
        parse_roster({"engineers": [entry(team=3)]}, "team.toml")
    assert "team.toml: engineers[0] (ada@example.com): field 'team'" in caught.value.message
