"""The ports: what the use cases need from an on-call service, in the scheduling core's own terms.

Services type against these protocols only; each backend (services/backends/<vendor>.py) implements them
over its own client and is the only module that imports that client or its wire models. People are named
by email everywhere above the adapters: an adapter maps emails to the service's own ids (Opsgenie
usernames are emails; JSM participants are Atlassian accountIds). A `none` placeholder is `None`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from oncall_cli.scheduling.model import Engineer, Override, Rotation, Shift

UNKNOWN_START = date(1970, 1, 1)
"""The start date of a person whose service keeps none (read as a veteran)."""

BACKENDS: tuple[str, ...] = ("opsgenie", "jsm")
"""The values of the `backend` setting."""


class ScheduleStore(Protocol):
    """One schedule of the on-call service: its rotations, overrides and effective timeline.

    Rotations are addressed by name and overrides by the key `create_override` returned (Opsgenie's and
    JSM's override alias); an adapter looks ids up itself.
    """

    service: str
    """The service's name for messages: "Opsgenie", "Jira Service Management"."""
    schedule_name: str

    @property
    def timezone(self) -> str: ...
    def rotations(self) -> list[Rotation]: ...
    def overrides(self) -> list[Override]: ...
    def timeline(self, start: datetime, end: datetime) -> list[Shift]:
        """The service's own effective shifts (overrides applied) that meet [start, end)."""
        ...

    def on_call(self, at: datetime | None = None) -> list[str]:
        """The emails on call at `at` (now when None), as the service itself answers."""
        ...

    def create_rotation(self, rotation: Rotation) -> None: ...
    def update_rotation(
        self,
        name: str,
        *,
        participants: Sequence[str | None] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None: ...
    def delete_rotation(self, name: str) -> None: ...
    def create_override(self, override: Override) -> str: ...
    def delete_override(self, key: str) -> None: ...


class Directory(Protocol):
    """The people of the service and the team: records, membership, and the facts we keep per person.

    `Engineer.start_date` and `Engineer.manager` are kept where the service allows (Opsgenie user details,
    a Jira user property); `facts_source` names that place in messages.
    """

    service: str
    creates_accounts: bool
    """False where people are invited to the service outside `oncall` (JSM: Atlassian accounts)."""
    facts_source: str
    """Where start dates and managers live, for messages: "Opsgenie user details"."""
    team_name: str

    def team(self) -> list[Engineer]:
        """The team's members with their records, in team order."""
        ...

    def team_members(self) -> list[str]:
        """The emails of the team's members, in team order (no per-person reads)."""
        ...

    def get(self, email: str) -> Engineer:
        """The person's record; NotFoundError naming the email when the service has no such person."""
        ...

    def find(self, email: str) -> Engineer | None:
        """Like `get`, None for an unknown person."""
        ...

    def create(self, engineer: Engineer) -> None:
        """Create the person with their start date and manager, where the service allows it; a service that
        cannot (JSM: accounts are invited to the site) raises NotFoundError with the way to do it."""
        ...

    def set_start_date(self, email: str, start: date) -> None: ...
    def add_to_team(self, email: str) -> None: ...
    def delete(self, email: str) -> None:
        """Remove the person from the service where it allows (Opsgenie deletes the user; JSM removes them
        from the team, since Atlassian accounts are the organisation's)."""
        ...

    def delete_action(self, email: str, *, question: bool = False) -> str:
        """What `delete` does, for plans and the confirmation prompt (`question`)."""
        ...
