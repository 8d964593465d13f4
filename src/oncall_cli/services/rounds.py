"""The playbook settings of a profile, as the scheduling core takes them."""

from __future__ import annotations

from datetime import time

from oncall_cli.config import Settings, weekday_index
from oncall_cli.scheduling.model import RoundSettings


def round_settings(settings: Settings) -> RoundSettings:
    """The playbook settings of a profile, as the scheduling core takes them."""
    return RoundSettings(
        timezone=settings.text("timezone"),
        handoff=time.fromisoformat(settings.text("handoff_time")),
        rotation_names=(settings.text("rotation_a"), settings.text("rotation_b")),
        next_suffix=settings.text("next_suffix"),
        weekdays=(weekday_index(settings.text("weekday_a")), weekday_index(settings.text("weekday_b"))),
        new_hire_days=settings.number("new_hire_days"),
        new_engineer_days=settings.number("new_engineer_days"),
        holiday_rotation_names=(settings.text("holiday_a"), settings.text("holiday_b")),
        min_gap_weeks=settings.number("min_gap_weeks"),
        avoid_same_team=settings.text("pair_same_team") == "avoid",
    )
