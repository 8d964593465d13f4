"""The migration core: `compare` finds each kind of difference between two schedules, once, and nothing
between equal ones; `copy_plan` creates what the target lacks, and nothing the second time. Plain data: the
shifts are what each "service" would answer, computed with the core's own timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_cli.scheduling.migration import DIFFERENCE_KINDS, Action, Difference, compare, copy_plan
from oncall_cli.scheduling.model import Override, Rotation, Shift
from oncall_cli.scheduling.timeline import timeline

NY = "America/New_York"
Z = ZoneInfo(NY)
NOW = datetime(2027, 2, 3, 10, 0, tzinfo=Z)  # Wednesday, an hour before rot-b's hand-off
END = NOW + timedelta(weeks=12)  # across the spring DST change (2027-03-14)


def ny(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=Z)


ROT_A = Rotation("rot-a", ny(2027, 1, 4, 11), ("ada@x.io", "bob@x.io", "cy@x.io"))
ROT_B = Rotation("rot-b", ny(2027, 1, 6, 11), ("dee@x.io", None, "eve@x.io", "fay@x.io"))
COVER = Override("gus@x.io", ny(2027, 2, 10, 9), ny(2027, 2, 12, 17), ("rot-a",))
ROTATIONS = (ROT_A, ROT_B)
OVERRIDES = (COVER,)


class Side:
    """One schedule as a service holds it, and its timeline as that service computes it."""

    def __init__(
        self, rotations: Sequence[Rotation] = ROTATIONS, overrides: Sequence[Override] = OVERRIDES
    ) -> None:
        self.rotations = list(rotations)
        self.overrides = list(overrides)
        self.shifts: list[Shift] = timeline(self.rotations, self.overrides, NOW, END, NY)


def diff(source: Side, target: Side) -> list[Difference]:
    return compare(
        source.rotations,
        source.overrides,
        source.shifts,
        target.rotations,
        target.overrides,
        target.shifts,
        NOW,
        END,
    )


def kinds(found: list[Difference]) -> list[tuple[str, str]]:
    return [(d.kind, d.rotation) for d in found]


def with_rotation(rotation: Rotation) -> list[Rotation]:
    return [rotation if r.name == rotation.name else r for r in ROTATIONS]


# ---- equal ----------------------------------------------------------------------------------------------


def test_a_schedule_and_its_exact_copy_have_no_differences() -> None:
    assert diff(Side(), Side()) == []


def test_services_that_list_no_ones_periods_or_not_compare_equal() -> None:
    target = Side()
    target.shifts = [s for s in target.shifts if s.user is not None]
    assert diff(Side(), target) == []


def test_a_shift_split_in_pieces_by_the_service_compares_equal_to_the_whole_one() -> None:
    target = Side()
    first = next(s for s in target.shifts if s.user and s.end - s.start > timedelta(days=2))
    middle = first.start + timedelta(days=1)
    pieces = [replace(first, end=middle), replace(first, start=middle)]
    target.shifts = [p for s in target.shifts for p in (pieces if s == first else [s])]
    assert diff(Side(), target) == []


def test_emails_compare_without_case() -> None:
    upper = [replace(r, participants=tuple(p.upper() if p else p for p in r.participants)) for r in ROTATIONS]
    assert diff(Side(), Side(upper, [replace(COVER, user="GUS@X.IO")])) == []


def test_an_override_of_every_rotation_equals_one_that_names_them_all() -> None:
    everyone = Override("gus@x.io", ny(2027, 2, 10, 9), ny(2027, 2, 12, 17))
    named = replace(everyone, rotations=("rot-a", "rot-b"))
    assert diff(Side(overrides=[everyone]), Side(overrides=[named])) == []


def test_rotations_and_overrides_over_before_the_window_are_not_compared() -> None:
    old = Rotation("rot-old", ny(2026, 6, 1, 11), ("ada@x.io",), end=ny(2026, 12, 1, 11))
    past = Override("gus@x.io", ny(2027, 1, 10, 9), ny(2027, 1, 12, 17), ("rot-a",))
    assert diff(Side([*ROTATIONS, old], [*OVERRIDES, past]), Side()) == []


# ---- one test per kind ----------------------------------------------------------------------------------


def test_rotation_missing_when_the_target_has_no_rotation_of_that_name() -> None:
    found = diff(Side(), Side([ROT_A], [COVER]))
    assert kinds(found) == [("rotation_missing", "rot-b")]
    assert found[0].source == "dee@x.io, none, eve@x.io, fay@x.io"


def test_rotation_renamed_when_the_same_start_and_participants_have_another_name() -> None:
    renamed = replace(ROT_A, name="rot-a (migrated)")
    cover = replace(COVER, rotations=("rot-a (migrated)",))
    found = diff(Side(), Side([renamed, ROT_B], [cover]))
    assert kinds(found) == [("rotation_renamed", "rot-a")]
    assert (found[0].source, found[0].target) == ("rot-a", "rot-a (migrated)")


def test_participants_changed_when_someone_is_replaced() -> None:
    changed = replace(ROT_A, participants=("ada@x.io", "zed@x.io", "cy@x.io"))
    found = diff(Side(), Side(with_rotation(changed)))
    assert kinds(found) == [("participants_changed", "rot-a")]
    assert "bob@x.io" in found[0].detail and "zed@x.io" in found[0].detail


def test_order_changed_when_the_same_people_rotate_in_another_order() -> None:
    reordered = replace(ROT_A, participants=("bob@x.io", "ada@x.io", "cy@x.io"))
    found = diff(Side(), Side(with_rotation(reordered)))
    assert kinds(found) == [("order_changed", "rot-a")]
    assert found[0].source == "ada@x.io, bob@x.io, cy@x.io"
    assert found[0].target == "bob@x.io, ada@x.io, cy@x.io"


def test_placeholder_lost_when_the_target_dropped_a_no_one_participant() -> None:
    dropped = replace(ROT_B, participants=("dee@x.io", "eve@x.io", "fay@x.io"))
    found = diff(Side(), Side(with_rotation(dropped)))
    assert kinds(found) == [("placeholder_lost", "rot-b")]


def test_override_missing_when_the_target_lacks_one_and_its_shifts_are_not_reported_again() -> None:
    found = diff(Side(), Side(overrides=[]))
    assert kinds(found) == [("override_missing", "rot-a")]
    assert found[0].at == COVER.start
    assert "gus@x.io" in (found[0].source or "")


def test_override_extra_when_only_the_target_has_one() -> None:
    found = diff(Side(overrides=[]), Side())
    assert kinds(found) == [("override_extra", "rot-a")]
    assert "gus@x.io" in (found[0].target or "")


def test_handoff_moved_when_the_target_starts_at_11_utc_instead_of_11_new_york() -> None:
    utc_start = replace(ROT_B, start=datetime(2027, 1, 6, 11, tzinfo=UTC))
    found = diff(Side(), Side(with_rotation(utc_start)))
    assert kinds(found) == [("handoff_moved", "rot-b")]
    moved = found[0]
    # The source hands over at 11:00 New York, the copy at 06:00 New York (11:00 UTC in winter): the
    # first hand-off of the window the copy made the week before, before the window starts.
    assert moved.at == ny(2027, 2, 10, 11)
    assert moved.target == ny(2027, 2, 10, 6).isoformat()
    assert "(-5:00)" in moved.detail


def test_handoff_moved_when_the_target_keeps_utc_hand_offs_across_dst() -> None:
    # A schedule in UTC keeps 16:00 UTC: 11:00 New York in winter, 12:00 after 14 March.
    utc_side = Side()
    utc_side.shifts = timeline(ROTATIONS, OVERRIDES, NOW, END, "UTC")
    found = diff(Side(), utc_side)
    assert {(d.kind, d.rotation) for d in found} == {("handoff_moved", "rot-a"), ("handoff_moved", "rot-b")}
    assert all("(+1:00)" in d.detail for d in found)
    assert found[0].at is not None and found[0].at > ny(2027, 3, 14)


def test_shift_differs_when_the_target_computes_other_shifts_from_the_same_definition() -> None:
    daily = replace(ROT_A, type="daily")
    found = diff(Side(), Side(with_rotation(daily)))
    assert kinds(found) == [("shift_differs", "rot-a")]
    first = found[0]
    assert first.at is not None and NOW <= first.at < END
    assert first.source != first.target


def test_shift_differs_names_a_rotation_only_the_target_has() -> None:
    extra = Rotation("rot-c", ny(2027, 1, 4, 11), ("zed@x.io",))
    found = diff(Side(), Side([*ROTATIONS, extra]))
    assert kinds(found) == [("shift_differs", "rot-c")]
    assert found[0].target == "zed@x.io"


def test_every_kind_is_covered_by_a_test_above() -> None:
    tested = {
        name.removeprefix("test_").split("_when")[0].split("_names")[0]
        for name in globals()
        if name.startswith("test_")
    }
    assert set(DIFFERENCE_KINDS) <= tested


# ---- copy_plan ------------------------------------------------------------------------------------------


Schedule = tuple[list[Rotation], list[Override]]


def apply(actions: list[Action], target: Schedule) -> Schedule:
    """The target after the actions, as a service would hold it."""
    rotations, overrides = list(target[0]), list(target[1])
    for action in actions:
        if action.rotation is not None:
            rotations.append(action.rotation)
        if action.override is not None:
            overrides.append(action.override)
    return rotations, overrides


def test_copy_plan_creates_the_rotations_and_future_overrides_the_target_lacks() -> None:
    past = Override("gus@x.io", ny(2027, 1, 10, 9), ny(2027, 1, 12, 17), ("rot-a",))
    ended = Rotation("rot-old", ny(2026, 6, 1, 11), ("ada@x.io",), end=ny(2026, 12, 1, 11))
    plan = copy_plan([*ROTATIONS, ended], [past, COVER], [ROT_A], [], NOW)
    assert [(a.kind, a.rotation.name if a.rotation else None) for a in plan] == [
        ("create_rotation", "rot-b"),
        ("create_override", None),
    ]
    assert plan[0].rotation == ROT_B
    assert plan[1].override == replace(COVER, alias=None)
    assert plan[0].describe().startswith("create rotation rot-b (weekly x1, from 2027-01-06T11:00:00-05:00")
    assert plan[1].describe() == (
        "create override gus@x.io from 2027-02-10T09:00:00-05:00 to 2027-02-12T17:00:00-05:00 on rot-a"
    )


def test_copy_plan_applied_once_plans_nothing_the_second_time_and_the_copy_compares_equal() -> None:
    target: Schedule = ([], [])
    plan = copy_plan(ROTATIONS, OVERRIDES, *target, NOW)
    assert len(plan) == 3
    copied = apply(plan, target)
    assert copy_plan(ROTATIONS, OVERRIDES, *copied, NOW) == []
    assert diff(Side(), Side(*copied)) == []


def test_copy_plan_keeps_an_aliased_override_already_on_the_target() -> None:
    there = replace(COVER, alias="target-key", start=COVER.start.astimezone(UTC))
    assert copy_plan(ROTATIONS, OVERRIDES, list(ROTATIONS), [there], NOW) == []


# ---- properties -----------------------------------------------------------------------------------------

PEOPLE = ("ada@x.io", "bob@x.io", "cy@x.io", None)
starts = st.builds(
    lambda days, hour: ny(2027, 1, 1, hour) + timedelta(days=days),
    st.integers(min_value=0, max_value=60),
    st.sampled_from((0, 6, 11, 23)),
)
rotations = st.lists(
    st.builds(
        lambda start, people, kind, length: (start, tuple(people), kind, length),
        starts,
        st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4),
        st.sampled_from(("weekly", "daily")),
        st.integers(min_value=1, max_value=2),
    ),
    min_size=1,
    max_size=3,
).map(lambda items: [Rotation(f"rot-{i}", *item) for i, item in enumerate(items)])
overrides = st.lists(
    st.builds(
        lambda user, start, hours, every: Override(
            user, start, start + timedelta(hours=hours), () if every else ("rot-0",)
        ),
        st.sampled_from(PEOPLE),
        starts,
        st.integers(min_value=1, max_value=96),
        st.booleans(),
    ),
    max_size=3,
)


@settings(max_examples=60, deadline=None, database=None)
@given(rotations, overrides)
def test_a_schedule_compared_with_itself_has_no_differences(
    rotations: list[Rotation], overrides: list[Override]
) -> None:
    assert diff(Side(rotations, overrides), Side(rotations, overrides)) == []


@settings(max_examples=40, deadline=None, database=None)
@given(rotations, overrides)
def test_a_copy_made_by_the_plan_compares_equal_and_plans_nothing_more(
    rotations: list[Rotation], overrides: list[Override]
) -> None:
    copied = apply(copy_plan(rotations, overrides, [], [], NOW), ([], []))
    assert copy_plan(rotations, overrides, *copied, NOW) == []
    live = [r for r in rotations if r.end is None]
    assert diff(Side(rotations, overrides), Side(live, copied[1])) == []


@pytest.mark.parametrize("dropped", ["rot-a", "rot-b"])
def test_dropping_any_rotation_is_reported_as_missing(dropped: str) -> None:
    kept = [r for r in ROTATIONS if r.name != dropped]
    overrides = [o for o in OVERRIDES if dropped not in o.rotations]
    assert ("rotation_missing", dropped) in kinds(diff(Side(overrides=overrides), Side(kept, overrides)))
