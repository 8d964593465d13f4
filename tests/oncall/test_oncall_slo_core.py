"""The SLO tiers and the handoff arithmetic, hand-worked: every expected value below was worked out on paper
from the playbook (business 09-17 on work days -> 10 min; waking 07-19 on work days, 09-17 on other days
-> 30 min; otherwise no objective; the strictest tier of the on-call engineers' local times)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from oncall_cli.scheduling import slo
from oncall_cli.scheduling.slo import Tier

NY, LONDON, LA, TOKYO = "America/New_York", "Europe/London", "America/Los_Angeles", "Asia/Tokyo"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ---- one engineer ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected", "why"),
    [
        (utc(2027, 2, 1, 14, 30), Tier.BUSINESS, "Mon 09:30 EST"),
        (utc(2027, 2, 1, 14, 0), Tier.BUSINESS, "Mon 09:00 EST: business hours start inclusive"),
        (utc(2027, 2, 1, 13, 59), Tier.WAKING, "Mon 08:59 EST"),
        (utc(2027, 2, 1, 21, 59), Tier.BUSINESS, "Mon 16:59 EST"),
        (utc(2027, 2, 1, 22, 0), Tier.WAKING, "Mon 17:00 EST: business hours end exclusive"),
        (utc(2027, 2, 1, 23, 59), Tier.WAKING, "Mon 18:59 EST"),
        (utc(2027, 2, 2, 0, 0), Tier.NONE, "Mon 19:00 EST: waking hours end exclusive"),
        (utc(2027, 2, 1, 11, 59), Tier.NONE, "Mon 06:59 EST"),
        (utc(2027, 2, 1, 12, 0), Tier.WAKING, "Mon 07:00 EST"),
        (utc(2027, 2, 6, 15, 0), Tier.WAKING, "Sat 10:00 EST: weekend waking hours are 09-17"),
        (utc(2027, 2, 6, 13, 0), Tier.NONE, "Sat 08:00 EST: too early on a weekend"),
        (utc(2027, 2, 6, 22, 0), Tier.NONE, "Sat 17:00 EST"),
        (utc(2027, 2, 7, 21, 59), Tier.WAKING, "Sun 16:59 EST"),
    ],
)
def test_tier_of_one_new_york_engineer(instant: datetime, expected: Tier, why: str) -> None:
    assert slo.tier_at(instant, [NY]) is expected, why


# ---- two engineers in different zones: the strictest tier wins ------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected", "why"),
    [
        (utc(2027, 2, 1, 16, 30), Tier.BUSINESS, "London 16:30 business, LA 08:30 waking"),
        (utc(2027, 2, 1, 17, 30), Tier.BUSINESS, "London 17:30 waking, LA 09:30 business"),
        (utc(2027, 2, 1, 8, 0), Tier.WAKING, "London Mon 08:00 waking, LA Mon 00:00 none"),
        (utc(2027, 2, 1, 3, 0), Tier.NONE, "London Mon 03:00, LA Sun 19:00: neither"),
        (utc(2027, 2, 1, 20, 0), Tier.BUSINESS, "London 20:00 none, LA 12:00 business"),
    ],
)
def test_two_engineers_london_and_los_angeles(instant: datetime, expected: Tier, why: str) -> None:
    assert slo.tier_at(instant, [LONDON, LA]) is expected, why
    assert slo.tier_at(instant, [LA, LONDON]) is expected, "order of engineers does not matter"


def test_one_engineer_already_in_the_weekend_the_other_still_at_work() -> None:
    # Fri 2027-02-05 23:30Z: Tokyo is Sat 08:30 (weekend, before 09:00: none); New York Fri 18:30 (waking).
    instant = utc(2027, 2, 5, 23, 30)
    assert slo.tier_at(instant, [TOKYO]) is Tier.NONE
    assert slo.tier_at(instant, [NY]) is Tier.WAKING
    assert slo.tier_at(instant, [TOKYO, NY]) is Tier.WAKING


# ---- daylight saving time -------------------------------------------------------------------------------


def test_us_spring_forward_moves_the_same_utc_instant_into_business_hours() -> None:
    # 13:30Z: Fri 2027-03-12 is 08:30 EST (UTC-5); Mon 2027-03-15, after the 14 March change, 09:30 EDT.
    assert slo.tier_at(utc(2027, 3, 12, 13, 30), [NY]) is Tier.WAKING
    assert slo.tier_at(utc(2027, 3, 15, 13, 30), [NY]) is Tier.BUSINESS


def test_between_the_us_and_uk_changes_new_york_and_london_are_four_hours_apart() -> None:
    # Mon 2027-03-22 (US on EDT since 14 March, UK still on GMT until 28 March) 21:30Z:
    # New York 17:30 EDT (waking), London 21:30 GMT (none).
    assert slo.tier_at(utc(2027, 3, 22, 21, 30), [NY, LONDON]) is Tier.WAKING
    # 08:30Z: London 08:30 GMT on 22 March (waking) but 09:30 BST on 29 March (business).
    assert slo.tier_at(utc(2027, 3, 22, 8, 30), [LONDON]) is Tier.WAKING
    assert slo.tier_at(utc(2027, 3, 29, 8, 30), [LONDON]) is Tier.BUSINESS


def test_us_fall_back_on_a_sunday() -> None:
    # 13:30Z: Sun 2027-10-31 is 09:30 EDT (weekend waking); Sun 2027-11-07, after the change, 08:30 EST.
    assert slo.tier_at(utc(2027, 10, 31, 13, 30), [NY]) is Tier.WAKING
    assert slo.tier_at(utc(2027, 11, 7, 13, 30), [NY]) is Tier.NONE
    # The repeated hour 01:00-02:00 local on 7 November is night either way.
    assert slo.tier_at(utc(2027, 11, 7, 5, 30), [NY]) is Tier.NONE
    assert slo.tier_at(utc(2027, 11, 7, 6, 30), [NY]) is Tier.NONE


# ---- holidays -------------------------------------------------------------------------------------------


def test_a_holiday_counts_as_a_non_work_day() -> None:
    christmas_eve = [date(2027, 12, 24)]  # a Friday
    assert slo.tier_at(utc(2027, 12, 24, 15, 0), [NY]) is Tier.BUSINESS  # 10:00 EST, no holiday list
    assert slo.tier_at(utc(2027, 12, 24, 15, 0), [NY], christmas_eve) is Tier.WAKING
    assert slo.tier_at(utc(2027, 12, 24, 13, 0), [NY]) is Tier.WAKING  # 08:00 EST
    assert slo.tier_at(utc(2027, 12, 24, 13, 0), [NY], christmas_eve) is Tier.NONE


def test_a_holiday_applies_to_each_engineers_own_local_date() -> None:
    # 2027-12-27 (Monday) is a holiday. At 23:30Z New York is still on Monday 18:30 (holiday: none),
    # Tokyo is already on Tuesday 08:30 (work day, waking).
    holidays = [date(2027, 12, 27)]
    instant = utc(2027, 12, 27, 23, 30)
    assert slo.tier_at(instant, [NY], holidays) is Tier.NONE
    assert slo.tier_at(instant, [TOKYO], holidays) is Tier.WAKING
    assert slo.tier_at(instant, [NY, TOKYO], holidays) is Tier.WAKING


def test_work_days() -> None:
    assert slo.is_work_day(date(2027, 2, 5))  # Friday
    assert not slo.is_work_day(date(2027, 2, 6))  # Saturday
    assert not slo.is_work_day(date(2027, 2, 5), [date(2027, 2, 5)])


def test_tier_needs_an_aware_instant_and_a_zone() -> None:
    from oncall_cli.errors import UsageError

    with pytest.raises(UsageError):
        slo.tier_at(datetime(2027, 2, 1, 10, 0), [NY])
    with pytest.raises(ValueError, match="time zone"):
        slo.tier_at(utc(2027, 2, 1, 10, 0), [])


# ---- judging and attainment -----------------------------------------------------------------------------

CREATED = utc(2027, 2, 1, 15, 0)  # Mon 10:00 EST: business, 10 minutes
NIGHT = utc(2027, 2, 2, 4, 0)  # Mon 23:00 EST: no objective
EVENING = utc(2027, 2, 1, 23, 0)  # Mon 18:00 EST: waking, 30 minutes
LATER = utc(2027, 2, 10)


def response(created: datetime, ack: datetime | None, name: str = "1") -> slo.Response:
    return slo.Response(incident=name, created=created, acknowledged=ack, zones=(NY,))


def test_acknowledged_exactly_at_the_objective_is_met_a_second_later_is_missed() -> None:
    met = slo.judge(response(CREATED, CREATED + timedelta(minutes=10)), now=LATER)
    assert (met.tier, met.objective, met.outcome) == (Tier.BUSINESS, timedelta(minutes=10), "met")
    assert met.response_time == timedelta(minutes=10)
    late = slo.judge(response(CREATED, CREATED + timedelta(minutes=10, seconds=1)), now=LATER)
    assert late.outcome == "missed"


def test_never_acknowledged_is_missed_once_the_objective_has_run_out_else_pending() -> None:
    assert slo.judge(response(EVENING, None), now=EVENING + timedelta(minutes=31)).outcome == "missed"
    assert slo.judge(response(EVENING, None), now=EVENING + timedelta(minutes=20)).outcome == "pending"


def test_no_objective_at_night() -> None:
    judged = slo.judge(response(NIGHT, NIGHT + timedelta(hours=3)), now=LATER)
    assert (judged.tier, judged.objective, judged.outcome) == (Tier.NONE, None, "no_objective")


def test_attainment_per_tier_counts_met_over_judged_and_lists_every_tier() -> None:
    judgements = [
        slo.judge(response(CREATED, CREATED + timedelta(minutes=5), "a"), now=LATER),
        slo.judge(response(CREATED, CREATED + timedelta(minutes=50), "b"), now=LATER),
        slo.judge(response(CREATED, None, "c"), now=LATER),
        slo.judge(response(EVENING, EVENING + timedelta(minutes=29), "d"), now=LATER),
        slo.judge(response(EVENING, None, "e"), now=EVENING + timedelta(minutes=1)),
        slo.judge(response(NIGHT, None, "f"), now=LATER),
    ]
    business, waking, none = slo.attainment(judgements)
    assert (business.tier, business.incidents, business.met, business.missed) == (Tier.BUSINESS, 3, 1, 2)
    assert business.attainment == pytest.approx(1 / 3)
    assert (waking.incidents, waking.met, waking.missed, waking.pending) == (2, 1, 0, 1)
    assert waking.attainment == 1.0
    assert (none.incidents, none.attainment, none.objective) == (1, None, None)


def test_first_acknowledgement_ignores_actions_before_creation() -> None:
    actions = [CREATED - timedelta(minutes=1), None, CREATED + timedelta(minutes=7), CREATED + timedelta(1)]
    assert slo.first_acknowledgement(CREATED, actions) == CREATED + timedelta(minutes=7)
    assert slo.first_acknowledgement(CREATED, [None]) is None


# ---- handoffs -------------------------------------------------------------------------------------------

MON_WED = [0, 2]
ELEVEN = time(11, 0)


def test_last_and_next_handoff_before_the_monday_handoff() -> None:
    now = utc(2027, 2, 1, 15, 0)  # Mon 10:00 EST
    assert slo.last_handoff(now, MON_WED, ELEVEN, NY) == utc(2027, 1, 27, 16, 0)  # Wed 11:00 EST
    assert slo.next_handoff(now, MON_WED, ELEVEN, NY) == utc(2027, 2, 1, 16, 0)  # Mon 11:00 EST


def test_at_the_handoff_instant_it_is_the_last_handoff() -> None:
    now = utc(2027, 2, 1, 16, 0)
    assert slo.last_handoff(now, MON_WED, ELEVEN, NY) == now
    assert slo.next_handoff(now, MON_WED, ELEVEN, NY) == utc(2027, 2, 3, 16, 0)


def test_handoffs_keep_wall_clock_time_across_dst() -> None:
    now = utc(2027, 3, 15, 14, 0)  # Mon 10:00 EDT, the day after the change
    last = slo.last_handoff(now, MON_WED, ELEVEN, NY)
    nxt = slo.next_handoff(now, MON_WED, ELEVEN, NY)
    assert last == utc(2027, 3, 10, 16, 0)  # Wed 11:00 EST
    assert nxt == utc(2027, 3, 15, 15, 0)  # Mon 11:00 EDT
    assert (last.hour, nxt.hour) == (11, 11)


def shift_incident(
    name: str,
    created: datetime,
    status: str = "open",
    resolved: datetime | None = None,
    priority: str = "P3",
    postmortem: bool = False,
) -> slo.ShiftIncident:
    return slo.ShiftIncident(name, created, status, resolved, priority, postmortem)


SINCE, UNTIL = utc(2027, 2, 1, 16), utc(2027, 2, 3, 15)


def test_classify_opened_resolved_and_active() -> None:
    incidents = [
        shift_incident("old-open", SINCE - timedelta(days=3)),
        shift_incident("new-open", SINCE + timedelta(hours=1)),
        shift_incident("new-resolved", SINCE + timedelta(hours=2), "resolved", SINCE + timedelta(hours=3)),
        shift_incident(
            "old-resolved-in-shift", SINCE - timedelta(days=1), "closed", SINCE + timedelta(hours=1)
        ),
        shift_incident(
            "old-resolved-before", SINCE - timedelta(days=2), "resolved", SINCE - timedelta(hours=1)
        ),
        shift_incident("after", UNTIL + timedelta(minutes=1)),
    ]
    classes = slo.classify(incidents, SINCE, UNTIL)
    assert classes.opened == ("new-open", "new-resolved")
    assert classes.resolved == ("old-resolved-in-shift", "new-resolved")
    assert classes.active == ("old-open", "new-open")


def test_follow_ups_are_resolved_p1_and_p2_without_a_postmortem() -> None:
    resolved = SINCE - timedelta(days=3)
    incidents = [
        shift_incident("p1", SINCE - timedelta(days=4), "resolved", resolved, "P1"),
        shift_incident("p1-done", SINCE - timedelta(days=4), "resolved", resolved, "P1", postmortem=True),
        shift_incident("p2", SINCE - timedelta(days=4), "closed", resolved, "P2"),
        shift_incident("p3", SINCE - timedelta(days=4), "resolved", resolved, "P3"),
        shift_incident("p1-open", SINCE - timedelta(days=4), "open", None, "P1"),
    ]
    p1, p2 = slo.follow_ups(incidents, now=UNTIL)
    assert (p1.incident, p1.required, p1.due, p1.overdue) == ("p1", True, resolved + timedelta(days=2), True)
    assert (p2.incident, p2.required, p2.due, p2.overdue) == ("p2", False, None, False)
