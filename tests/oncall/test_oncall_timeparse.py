"""The one parser of user-entered times: what each form means, DST edges, and errors naming the flag."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from oncall_cli.errors import ExitCode, UsageError
from oncall_cli.services.timeparse import day_start, parse_date, parse_time

NY = "America/New_York"
NOW = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)  # Mon 10:00 EST


def at(text: str, **kw: object) -> datetime:
    return parse_time(text, flag="--at", tz=NY, now=NOW, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-02-01T11:00:00+01:00", datetime(2027, 2, 1, 10, 0, tzinfo=UTC)),
        ("2027-02-01T10:00Z", datetime(2027, 2, 1, 10, 0, tzinfo=UTC)),
        ("2027-02-01 11:00", datetime(2027, 2, 1, 16, 0, tzinfo=UTC)),
        ("2027-02-01T11:00:30", datetime(2027, 2, 1, 16, 0, 30, tzinfo=UTC)),
        ("  2027-02-01   11:00 ", datetime(2027, 2, 1, 16, 0, tzinfo=UTC)),
        ("2027-02-01", datetime(2027, 2, 1, 5, 0, tzinfo=UTC)),
        ("now", NOW),
        ("NOW", NOW),
        ("today", datetime(2027, 2, 1, 5, 0, tzinfo=UTC)),
        ("yesterday 09:30", datetime(2027, 1, 31, 14, 30, tzinfo=UTC)),
        ("tomorrow 11:00", datetime(2027, 2, 2, 16, 0, tzinfo=UTC)),
        ("11:00", datetime(2027, 2, 1, 16, 0, tzinfo=UTC)),
        ("-2h", NOW - timedelta(hours=2)),
        ("+30m", NOW + timedelta(minutes=30)),
        ("2h ago", NOW - timedelta(hours=2)),
        ("-1w", datetime(2027, 1, 25, 15, 0, tzinfo=UTC)),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    parsed = at(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_a_time_without_offset_is_given_back_in_the_profile_zone() -> None:
    assert at("2027-02-01 11:00").isoformat() == "2027-02-01T11:00:00-05:00"
    assert at("2027-02-01T11:00+01:00").isoformat() == "2027-02-01T11:00:00+01:00"


def test_bare_clock_time_policy() -> None:
    # It is 10:00: "11:00" is later today; in the past it is yesterday's; 09:00 in the future is tomorrow's.
    assert at("11:00", clock="past") == datetime(2027, 1, 31, 16, 0, tzinfo=UTC)
    assert at("09:00", clock="past") == datetime(2027, 2, 1, 14, 0, tzinfo=UTC)
    assert at("09:00", clock="future") == datetime(2027, 2, 2, 14, 0, tzinfo=UTC)


def test_days_move_the_wall_clock_across_dst() -> None:
    monday_noon_edt = datetime(2027, 3, 15, 16, 0, tzinfo=UTC)  # 12:00 EDT
    three_days_back = parse_time("-3d", flag="--since", tz=NY, now=monday_noon_edt)
    assert three_days_back.isoformat() == "2027-03-12T12:00:00-05:00"  # 12:00 EST: 71 hours earlier
    assert monday_noon_edt - three_days_back == timedelta(hours=71)


def test_a_wall_time_skipped_by_dst_is_refused_and_a_repeated_one_means_the_first() -> None:
    with pytest.raises(UsageError, match=r"--at: 2027-03-14 02:30 does not exist in America/New_York"):
        at("2027-03-14 02:30")
    assert at("2027-11-07 01:30").utcoffset() == timedelta(hours=-4)  # EDT, the first 01:30


@pytest.mark.parametrize("text", ["", "yesterday 25:00", "next tuesday", "2027-13-01", "12:61", "+-2h", "5h"])
def test_bad_input_is_a_usage_error_naming_the_flag(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        at(text)
    assert caught.value.message.startswith("--at:")
    assert caught.value.exit_code is ExitCode.USAGE


def test_dates() -> None:
    def d(text: str) -> date:
        return parse_date(text, flag="--since", tz=NY, now=NOW)

    assert d("2027-01-15") == date(2027, 1, 15)
    assert d("today") == date(2027, 2, 1)
    assert d("yesterday") == date(2027, 1, 31)
    assert d("-7d") == date(2027, 1, 25)
    assert d("2w ago") == date(2027, 1, 18)
    # 03:00Z on 1 February is still 31 January in New York.
    late_evening = datetime(2027, 2, 1, 3, tzinfo=UTC)
    assert parse_date("today", flag="--until", tz=NY, now=late_evening) == date(2027, 1, 31)
    with pytest.raises(UsageError, match=r"^--since: 'soon' is not a date"):
        d("soon")


def test_day_start_is_local_midnight() -> None:
    assert day_start(date(2027, 3, 14), NY).isoformat() == "2027-03-14T00:00:00-05:00"
    # Where DST starts at midnight the day starts at 01:00 (America/Santiago, 2027-09-05).
    start = day_start(date(2027, 9, 5), "America/Santiago")
    assert start.date() == date(2027, 9, 5) and start.hour in (0, 1)
