"""The PagerDuty adapter: the schedule store and the people directory over the PagerDuty client.

With the incident adapter, the only modules above the client that import it or its wire models. PagerDuty's
specifics stop here:

- One person is on call per PagerDuty schedule, so the seats are two schedules, named like the seats' base
  rotations (settings `rotation_a`, `rotation_b`), both on one escalation policy. The store shows them as one
  schedule: a rotation named X is the layer named X of the schedule of X's seat (`rules.group_of`: `rot-a`,
  `rot-a-next` and `Holiday-a` are layers of the schedule `rot-a`).
- A round is a layer: `start` and `rotation_virtual_start` at the round's first hand-off,
  `rotation_turn_length_seconds` one turn (604800 for a week), `users` in order; ending a round sets `end`.
  A later layer wins where it has someone; where no layer is in effect nobody is on call (a layer gap).
- The `none` placeholder: a layer cannot leave a turn empty (every item of `users` is a user, and a layer
  covers all of its time), so a recurring empty turn has no faithful form in a v2 schedule; writing one is
  refused with a clear error. An uncovered stretch PagerDuty does have, a gap between layers, is read as no
  shift at all, exactly as the other services show a stretch no rotation covers, so `schedule check` and
  `whoisoncall` report it the same way on every backend.
- Overrides belong to a seat's schedule, not a layer: an override is shown on the layer in effect when it
  starts; its key is PagerDuty's override id.
- Who is on call is `GET /oncalls` for both seats' schedules at once; people are ids, mapped to emails
  with one paged `GET /users` per run. Start dates and managers have no place in PagerDuty: they come from
  the roster (`--roster`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from oncall_cli.errors import ConfigError, NotFoundError, RejectedError, UnavailableError, UsageError
from oncall_cli.scheduling.layers import stacked_shifts
from oncall_cli.scheduling.model import Engineer, Override, Rotation, RoundSettings, Shift
from oncall_cli.scheduling.rules import group_of
from oncall_cli.services.ports import UNKNOWN_START

if TYPE_CHECKING:
    from oncall_cli.clients.pagerduty import PagerDutyClient
    from oncall_cli.clients.pagerduty_models import LayerUser, Schedule, ScheduleLayer, User

SERVICE = "PagerDuty"
TURN_SECONDS = {"weekly": 604800, "daily": 86400, "hourly": 3600}
OVERRIDES_BACK = timedelta(days=400)
OVERRIDES_AHEAD = timedelta(days=2 * 366)
"""The window of `overrides()`: PagerDuty lists overrides only between `since` and `until`."""


@contextmanager
def _reachable(client: PagerDutyClient) -> Iterator[None]:
    """An unreachable API (no answer at all) is a bad `pagerduty.url`: exit 3 naming the setting."""
    try:
        yield
    except UnavailableError as exc:
        if "status" in exc.details:
            raise
        raise ConfigError(
            f"pagerduty.url: cannot reach PagerDuty at {client.base_url} ({exc.message})",
            hint="Check pagerduty.url (https://api.pagerduty.com, or ONCALL_PAGERDUTY_URL) and the network.",
            details=exc.details,
        ) from exc


def _turn(rotation: Rotation) -> int:
    if rotation.type not in TURN_SECONDS:
        raise UsageError(f"unknown rotation type {rotation.type!r}")
    return TURN_SECONDS[rotation.type] * rotation.length


def _kind(seconds: int) -> tuple[str, int]:
    """A layer's turn as the core's rotation type and length (a week: weekly 1)."""
    for kind in ("weekly", "daily", "hourly"):
        if seconds % TURN_SECONDS[kind] == 0:
            return kind, seconds // TURN_SECONDS[kind]
    raise RejectedError(f"a PagerDuty layer turns every {seconds} seconds; oncall handles whole hours only")


def _refuse_placeholder(name: str, participants: Sequence[str | None]) -> None:
    if any(p is None for p in participants):
        raise RejectedError(
            f"{name}: a PagerDuty schedule layer cannot leave a turn empty (the `none` placeholder)",
            hint="Name a person for every turn, or end the round (a gap between layers is uncovered time).",
        )


class PagerDutyDirectory:
    """PagerDuty users and the team's membership; start dates and managers come from the roster."""

    service = SERVICE
    creates_accounts = True
    keeps_start_dates = False
    facts_source = "the roster (--roster; PagerDuty keeps no start dates or managers)"

    def __init__(self, client: PagerDutyClient, *, team: str, fallback_tz: str) -> None:
        self.client = client
        self.team_name = team
        self.fallback_tz = fallback_tz
        self._users: dict[str, User] | None = None
        self._team_id: str | None = None

    # ---- ids and emails -----------------------------------------------------------------------------

    def _all(self) -> dict[str, User]:
        """Every user by id: one paged `GET /users` per run."""
        if self._users is None:
            with _reachable(self.client):
                self._users = {u.id: u for u in self.client.list_users()}
        return self._users

    def email_of(self, user_id: str) -> str:
        """The user's email (the id itself for a user this run cannot see)."""
        user = self._all().get(user_id)
        return user.email if user is not None else user_id

    def id_of(self, email: str) -> str:
        """The user id of an email; NotFoundError naming the email."""
        user = self._find_user(email)
        if user is None:
            raise NotFoundError(
                f"no PagerDuty user {email}", hint="Check the email, or add them to PagerDuty."
            )
        return user.id

    def _find_user(self, email: str) -> User | None:
        wanted = email.lower()
        if self._users is not None:
            return next((u for u in self._users.values() if u.email.lower() == wanted), None)
        with _reachable(self.client):
            found = self.client.list_users(query=email)
        return next((u for u in found if u.email.lower() == wanted), None)

    def _engineer(self, user: User) -> Engineer:
        return Engineer(
            email=user.email,
            name=user.name or user.email,
            timezone=user.time_zone or self.fallback_tz,
            start_date=UNKNOWN_START,
            manager=None,
        )

    @property
    def team_id(self) -> str:
        if self._team_id is None:
            with _reachable(self.client):
                teams = self.client.list_teams(query=self.team_name)
            found = next((t for t in teams if t.name.lower() == self.team_name.lower()), None)
            if found is None:
                raise NotFoundError(
                    f"no PagerDuty team named {self.team_name!r}",
                    hint="Check the opsgenie.team setting (the team's name on every backend).",
                )
            self._team_id = found.id
        return self._team_id

    # ---- the port -----------------------------------------------------------------------------------

    def team(self) -> list[Engineer]:
        """The team's members in team order: `GET /teams/{id}/members`, records from the users read once."""
        users = self._all()
        members = self.client.list_team_members(team_id=self.team_id)
        return [self._engineer(users[m.user.id]) for m in members if m.user.id in users]

    def team_members(self) -> list[str]:
        return [self.email_of(m.user.id) for m in self.client.list_team_members(team_id=self.team_id)]

    def get(self, email: str) -> Engineer:
        user = self._find_user(email)
        if user is None:
            raise NotFoundError(
                f"no PagerDuty user {email}", hint="Check the email, or add them to PagerDuty."
            )
        return self._engineer(user)

    def find(self, email: str) -> Engineer | None:
        user = self._find_user(email)
        return None if user is None else self._engineer(user)

    def create(self, engineer: Engineer) -> None:
        """POST /users with the role `user`, acting as `pagerduty.from` (PagerDuty's `From`, an admin). The
        start date and manager stay in the roster: PagerDuty has no field for them."""
        try:
            user = self.client.create_user(
                name=engineer.name, email=engineer.email, time_zone=engineer.timezone
            )
        except RejectedError as exc:
            if "From" not in exc.message:
                raise
            raise RejectedError(
                f"pagerduty.from: PagerDuty refused {self.client.from_email!r} as the user who creates "
                f"{engineer.email} ({exc.message})",
                hint="Set pagerduty.from (or me) to the email of a PagerDuty admin of the account.",
                details=exc.details,
            ) from exc
        if self._users is not None:
            self._users[user.id] = user

    def set_start_date(self, email: str, start: date) -> None:
        """Nothing to write: PagerDuty keeps no start date (the roster is where it lives)."""
        self.id_of(email)

    def add_to_team(self, email: str) -> None:
        self.client.add_team_user(team_id=self.team_id, user_id=self.id_of(email), role="responder")

    def delete(self, email: str) -> None:
        user_id = self.id_of(email)
        self.client.delete_user(user_id=user_id)
        if self._users is not None:
            self._users.pop(user_id, None)

    def delete_action(self, email: str, *, question: bool = False) -> str:
        return f"Delete the PagerDuty user {email}" if question else f"delete PagerDuty user {email}"


class PagerDutySchedule:
    """The two seats' PagerDuty schedules seen as one schedule whose rotations are their layers."""

    service = SERVICE

    def __init__(
        self,
        client: PagerDutyClient,
        people: PagerDutyDirectory,
        *,
        schedule: str,
        rounds: RoundSettings,
        now: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.people = people
        self.schedule_name = schedule
        self.rounds = rounds
        self.now = now
        self.seat_names: dict[str, str] = dict(zip(("A", "B"), rounds.rotation_names, strict=False))
        """Seat letter -> the name of its PagerDuty schedule (the seat's base rotation name)."""
        self._seats: dict[str, Schedule] | None = None
        self._override_seats: dict[str, str] = {}

    # ---- the seats' schedules -----------------------------------------------------------------------

    def _load(self) -> dict[str, Schedule]:
        """The seats' schedules: the targets of the first rule of the escalation policy named like the team's
        schedule (`opsgenie.schedule`), each seat the one named like its base rotation (else in rule order).
        Two requests, once per run: the policy by name, then the schedules with their layers."""
        if self._seats is None:
            with _reachable(self.client):
                policies = self.client.list_escalation_policies(query=self.schedule_name)
            policy = next((p for p in policies if p.name == self.schedule_name), None)
            if policy is None:
                raise NotFoundError(
                    f"no PagerDuty escalation policy named {self.schedule_name!r} (the team's schedule)",
                    hint="On PagerDuty the team's schedule is an escalation policy whose first rule targets "
                    "the two seats' schedules; check --schedule or opsgenie.schedule.",
                )
            first = policy.escalation_rules[0].targets if policy.escalation_rules else []
            targets = [t.id for t in first if t.type in ("schedule_reference", "schedule")]
            listed = {s.id: s for s in self.client.list_schedules(include_layers=True) if s.id in targets}
            ordered = [listed[t] for t in targets if t in listed]
            seats: dict[str, Schedule] = {}
            for letter, name in self.seat_names.items():
                found = next((s for s in ordered if s.name == name), None)
                if found is None:
                    found = next(
                        (
                            s
                            for s in ordered
                            if s not in seats.values() and s.name not in self.seat_names.values()
                        ),
                        None,
                    )
                if found is None:
                    raise NotFoundError(
                        f"the PagerDuty escalation policy {self.schedule_name!r} has no schedule for seat "
                        f"{letter} ({name!r})",
                        hint="Each seat is a PagerDuty schedule named like its rotation (rotation_a, "
                        "rotation_b), both targets of the policy's first rule.",
                    )
                seats[letter] = found
            self._seats = seats
        return self._seats

    def _seat_of(self, rotation: str) -> str:
        letter = group_of(rotation, self.rounds)
        if letter not in self.seat_names:
            raise UsageError(
                f"rotation {rotation!r} belongs to no seat: on PagerDuty each seat is a schedule, and a "
                f"rotation's name says its seat ({', '.join(self.seat_names.values())}, with a suffix)",
            )
        return letter

    @property
    def timezone(self) -> str:
        return self._load()["A"].time_zone

    def _layer_rotation(self, layer: ScheduleLayer, tz: str) -> Rotation:
        kind, length = _kind(layer.rotation_turn_length_seconds)
        z = ZoneInfo(tz)
        return Rotation(
            name=layer.name or layer.id or "?",
            start=layer.start.astimezone(z),
            participants=tuple(self.people.email_of(u.user.id) for u in layer.users),
            type=kind,
            length=length,
            end=layer.end.astimezone(z) if layer.end else None,
        )

    def rotations(self) -> list[Rotation]:
        return [
            self._layer_rotation(layer, seat.time_zone)
            for seat in self._load().values()
            for layer in seat.schedule_layers
        ]

    def _layer_at(self, seat: Schedule, at: datetime) -> str:
        """The name of the seat's layer in effect at `at` (the top one), else the next to start, else the
        first."""
        layers = seat.schedule_layers
        current = [x for x in layers if x.start <= at and (x.end is None or at < x.end)]
        later = sorted((x for x in layers if x.start > at), key=lambda x: x.start)
        chosen = current[-1] if current else (later[0] if later else (layers[0] if layers else None))
        return (chosen.name or chosen.id or "") if chosen is not None else self.seat_names.get("A", "")

    def overrides(self) -> list[Override]:
        now = self.now()
        out: list[Override] = []
        for seat in self._load().values():
            z = ZoneInfo(seat.time_zone)
            for o in self.client.list_overrides(
                schedule_id=seat.id, since=now - OVERRIDES_BACK, until=now + OVERRIDES_AHEAD
            ):
                if o.id:
                    self._override_seats[o.id] = seat.id
                out.append(
                    Override(
                        user=self.people.email_of(o.user.id),
                        start=o.start.astimezone(z),
                        end=o.end.astimezone(z),
                        rotations=(self._layer_at(seat, o.start),),
                        alias=o.id,
                    )
                )
        return out

    def timeline(self, start: datetime, end: datetime) -> list[Shift]:
        """PagerDuty's own on-calls of both seats (overrides applied) in ONE `GET /oncalls`, each cut at the
        turns of the layer that holds the seat then (its name and turn number; `override` where the person
        on call is not the layer's)."""
        seats = self._load()
        oncalls = self.client.list_oncalls(
            schedule_ids=[s.id for s in seats.values()], since=start, until=end
        )
        shifts: list[Shift] = []
        for seat in seats.values():
            tz = seat.time_zone
            z = ZoneInfo(tz)
            base = stacked_shifts(
                [
                    (
                        replace(self._layer_rotation(x, tz), start=x.rotation_virtual_start.astimezone(z)),
                        x.start,
                    )
                    for x in seat.schedule_layers
                ],
                start,
                end,
                tz,
            )
            stretches = sorted(
                {
                    (max(o.start, start), min(o.end, end), o.user.id)
                    for o in oncalls
                    if o.schedule is not None and o.schedule.id == seat.id and o.start and o.end
                }
            )
            for a, b, user_id in stretches:
                if a >= b:
                    continue
                email = self.people.email_of(user_id)
                covered = a
                for piece in base:
                    lo, hi = max(a, piece.start), min(b, piece.end)
                    if lo >= hi:
                        continue
                    if covered < lo:
                        shifts.append(
                            Shift(
                                self._layer_at(seat, covered),
                                email,
                                covered.astimezone(z),
                                lo.astimezone(z),
                                0,
                                True,
                            )
                        )
                    shifts.append(
                        Shift(
                            piece.rotation,
                            email,
                            lo.astimezone(z),
                            hi.astimezone(z),
                            piece.index,
                            email != piece.user,
                        )
                    )
                    covered = hi
                if covered < b:
                    shifts.append(
                        Shift(
                            self._layer_at(seat, covered),
                            email,
                            covered.astimezone(z),
                            b.astimezone(z),
                            0,
                            True,
                        )
                    )
        return sorted(shifts, key=lambda s: (s.start, s.rotation))

    def on_call(self, at: datetime | None = None) -> list[str]:
        """The emails PagerDuty puts on call in either seat at `at` (now): one `GET /oncalls`."""
        seats = self._load()
        when = at or self.now()
        oncalls = self.client.list_oncalls(
            schedule_ids=[s.id for s in seats.values()], since=when, until=when
        )
        return list(dict.fromkeys(self.people.email_of(o.user.id) for o in oncalls))

    # ---- writes -------------------------------------------------------------------------------------

    def _put(self, letter: str, layers: Sequence[ScheduleLayer]) -> None:
        seat = self._load()[letter]
        updated = self.client.update_schedule(
            schedule_id=seat.id,
            name=seat.name or self.seat_names[letter],
            time_zone=seat.time_zone,
            layers=layers,
        )
        self._load()[letter] = updated.model_copy(update={"escalation_policies": seat.escalation_policies})

    def _layer(self, name: str) -> tuple[str, int]:
        letter = self._seat_of(name)
        for index, layer in enumerate(self._load()[letter].schedule_layers):
            if layer.name == name:
                return letter, index
        raise NotFoundError(
            f"no rotation {name!r} in schedule {self.seat_names[letter]!r}",
            hint="List them with `oncall rotation list`.",
        )

    def _users(self, participants: Sequence[str | None]) -> list[LayerUser]:
        from oncall_cli.clients.pagerduty_models import LayerUser, Reference

        return [LayerUser(user=Reference.user(self.people.id_of(p))) for p in participants if p is not None]

    def create_rotation(self, rotation: Rotation) -> None:
        from oncall_cli.clients.pagerduty_models import ScheduleLayer

        _refuse_placeholder(rotation.name, rotation.participants)
        letter = self._seat_of(rotation.name)
        layer = ScheduleLayer(
            name=rotation.name,
            start=rotation.start,
            end=rotation.end,
            rotation_virtual_start=rotation.start,
            rotation_turn_length_seconds=_turn(rotation),
            users=self._users(rotation.participants),
        )
        self._put(letter, [*self._load()[letter].schedule_layers, layer])

    def update_rotation(
        self,
        name: str,
        *,
        participants: Sequence[str | None] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        letter, index = self._layer(name)
        layers = list(self._load()[letter].schedule_layers)
        changes: dict[str, object] = {}
        if participants is not None:
            _refuse_placeholder(name, participants)
            changes["users"] = self._users(participants)
        if start is not None:
            changes["start"] = start
            changes["rotation_virtual_start"] = start
        if end is not None:
            changes["end"] = end
        layers[index] = layers[index].model_copy(update=changes)
        self._put(letter, layers)

    def delete_rotation(self, name: str) -> None:
        letter, index = self._layer(name)
        layers = list(self._load()[letter].schedule_layers)
        del layers[index]
        self._put(letter, layers)

    def create_override(self, override: Override) -> str:
        if override.user is None:
            raise RejectedError(
                "a PagerDuty override needs a person: it cannot put nobody on call",
                hint="Name who takes the shift.",
            )
        letters = list(dict.fromkeys(self._seat_of(r) for r in override.rotations))
        if len(letters) != 1:
            raise UsageError("a PagerDuty override belongs to one seat's schedule: name one rotation")
        seat = self._load()[letters[0]]
        (created,) = self.client.create_overrides(
            schedule_id=seat.id,
            overrides=[(self.people.id_of(override.user), override.start, override.end)],
            time_zone=seat.time_zone,
        )
        assert created.id is not None
        self._override_seats[created.id] = seat.id
        return created.id

    def delete_override(self, key: str) -> None:
        if key not in self._override_seats:
            self.overrides()
        schedule_id = self._override_seats.get(key)
        if schedule_id is None:
            raise NotFoundError(f"no override {key!r} in the PagerDuty schedules of {self.schedule_name!r}")
        self.client.delete_override(schedule_id=schedule_id, override_id=key)
