"""The sandbox's seed world: the engineers every service emulator knows, and the seeding of all of them.

Deterministic for one seed and one `now`, and relative to `now` so the demo always looks current:
- 24 engineers (`first.last@example.com`) in US Eastern and other zones; each has a manager;
- 17 veterans (started 1-6 years ago), 6 hires of the last 90 days, and one who starts next month;
- Opsgenie: team "Engineering", schedule "Engineering_schedule" (America/New_York) with running weekly
  rotations `rot-a` (Monday 11:00) and `rot-b` (Wednesday 11:00) of the veterans split by the playbook's
  rules (no `none` placeholder: a fresh sandbox passes `schedule check`), started some weeks before
  `now` (the recent and future hires are not in them yet); service "Artsy";
- Slack and Statuspage: see their emulators (same people, same emails);
- Jira site and JSM Operations (Atlassian): the same people as Atlassian accounts (`atlassian_account_id`),
  the platform team "Engineering" with the Opsgenie team's members, and the schedule "Engineering_schedule"
  whose rotations are a copy of Opsgenie's, as Atlassian's Opsgenie migration leaves them;
- alerts (`SEED_ALERTS`): a few open alerts, one acknowledged, each paging one seed engineer; Opsgenie and
  JSM Operations each hold the same ones (same tiny ids, messages, priorities, tags, responder and times).
- PagerDuty: see its emulator; its incident side (the services of Opsgenie's seed, priorities P1-P5) is
  seeded here from a stream of its own (`pagerduty_incidents.seed_incidents`).

The Opsgenie schedule is drawn once, by `opsgenie_plan`, from the Opsgenie stream: the Opsgenie emulator
stores it, and the JSM emulator (whose `seed_stream` is "opsgenie") replays the same draws to copy it.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oncall_cli.sandbox.base import SeedPerson, ServiceEmulator, new_id, new_uuid

TEAM_SIZE = 24
VETERANS = 17
RECENT_HIRES = 6
DOMAIN = "example.com"
DIRECTOR = f"cto@{DOMAIN}"
"""The managers' manager: outside the team, so every seed person has a manager."""
TEAM_NAME = "Engineering"
SCHEDULE_NAME = "Engineering_schedule"
SCHEDULE_TZ = "America/New_York"
OPSGENIE_SERVICES = (
    ("Artsy", "artsy.net: website, apps and APIs"),
    ("Gravity", "Core API"),
    ("Metaphysics", "GraphQL gateway"),
)
"""The Opsgenie services of the seed: (name, description)."""

_FIRST = ("Ada", "Grace", "Alan", "Barbara", "Dennis", "Edsger", "Frances", "Guido", "Hedy", "Ivan",
          "Joan", "Ken", "Linus", "Margaret", "Niklaus", "Radia", "Shafi", "Tim", "Ursula", "Vint",
          "Whitfield", "Xiaoyun", "Yukihiro", "Zaha", "Anita", "Bjarne", "Carla", "Donald", "Elena",
          "Fernando")
_LAST = ("Lovelace", "Hopper", "Turing", "Liskov", "Ritchie", "Dijkstra", "Allen", "Rossum", "Lamarr",
         "Sutherland", "Clarke", "Thompson", "Torvalds", "Hamilton", "Wirth", "Perlman", "Goldwasser",
         "Berners", "Franklin", "Cerf", "Diffie", "Wang", "Matsumoto", "Hadid", "Borg", "Stroustrup",
         "Mendes", "Knuth", "Petrova", "Corbato")
# Mostly US Eastern, then two each of the rest (24 in all).
_ZONES = ("America/New_York",) * 10 + tuple(z for z in (
    "America/Detroit", "America/Toronto", "Europe/London", "Europe/Berlin", "America/Chicago",
    "America/Los_Angeles", "America/Sao_Paulo") for _ in range(2))


def seed_people(rng: random.Random, today: date) -> list[SeedPerson]:
    """The 24 engineers, veterans first, then recent hires (newest last), then next month's hire."""
    firsts = rng.sample(_FIRST, TEAM_SIZE)
    lasts = rng.sample(_LAST, TEAM_SIZE)
    starts: list[date] = []
    for _ in range(VETERANS):
        starts.append(today - timedelta(days=rng.randint(365, 6 * 365)))
    starts.sort()
    # Hires spread over the last 90 days: one per 15-day band, newest last.
    for band in range(RECENT_HIRES):
        lo = 90 - 15 * band
        starts.append(today - timedelta(days=rng.randint(lo - 14, lo)))
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    starts.append(next_month + timedelta(days=(7 - next_month.weekday()) % 7))  # its first Monday
    emails = [f"{first.lower()}.{last.lower()}@{DOMAIN}" for first, last in zip(firsts, lasts, strict=True)]
    managers = emails[:3]
    zones = list(_ZONES)
    rng.shuffle(zones)
    people: list[SeedPerson] = []
    for i, (first, last, email, start) in enumerate(zip(firsts, lasts, emails, starts, strict=True)):
        manager = DIRECTOR if i < 3 else managers[i % 3]
        people.append(SeedPerson(
            email=email,
            name=f"{first} {last}",
            timezone=zones[i],
            start_date=start,
            manager=manager,
            slack_id=new_id(rng, "U", 10),
        ))
    return people


def team_members(people: Sequence[SeedPerson]) -> list[SeedPerson]:
    """The members of the seed's team "Engineering" (in Opsgenie and on the Atlassian platform): everyone."""
    return list(people)


@dataclass(frozen=True, slots=True)
class SeedRotation:
    """One rotation of the seed schedule, as Opsgenie holds it (`None` in `participants`: no-one)."""

    id: str
    """Opsgenie's rotation id (the JSM copy draws its own)."""
    name: str
    start: datetime
    type: str
    length: int
    participants: tuple[SeedPerson | None, ...]


@dataclass(frozen=True, slots=True)
class OpsgeniePlan:
    """The Opsgenie seed's ids and rotations, drawn from the Opsgenie stream in one fixed order."""

    user_ids: dict[str, str]
    """email -> Opsgenie user id."""
    team_id: str
    service_ids: tuple[str, ...]
    """One per `OPSGENIE_SERVICES`, in order."""
    schedule_id: str
    rotations: tuple[SeedRotation, ...]


def seed_rotations(rng: random.Random, people: Sequence[SeedPerson], now: datetime) -> list[SeedRotation]:
    """The seed schedule's running weekly rotations `rot-a` (Monday 11:00) and `rot-b` (Wednesday 11:00).

    Only veterans rotate (recent and future hires are not scheduled yet), split as the playbook splits them
    (R3: balanced within one, A filled with US Eastern engineers first, each half in shuffled order), with
    no `none` placeholder, so a fresh sandbox passes its own `schedule check`; each started 4 to 8 weeks
    before `now`, in `SCHEDULE_TZ`.
    """
    from oncall_cli.scheduling.rules import is_eastern

    today = now.date()
    veterans = [p for p in people if (today - p.start_date).days > 90]
    rng.shuffle(veterans)
    half = (len(veterans) + 1) // 2
    eastern = [p for p in veterans if is_eastern(p.timezone)]
    fill = eastern + [p for p in veterans if not is_eastern(p.timezone)]
    seat_a = {p.email for p in fill[:half]}
    groups: list[list[SeedPerson | None]] = [
        [p for p in veterans if p.email in seat_a],
        [p for p in veterans if p.email not in seat_a],
    ]
    z = ZoneInfo(SCHEDULE_TZ)
    local_now = now.astimezone(z)
    rotations: list[SeedRotation] = []
    for name, weekday, group in (("rot-a", 0, groups[0]), ("rot-b", 2, groups[1])):
        days_back = (local_now.weekday() - weekday) % 7 + 7 * rng.randint(4, 8)
        start_day = local_now.date() - timedelta(days=days_back)
        start = datetime.combine(start_day, time(11, 0), z)
        rotations.append(SeedRotation(new_uuid(rng), name, start, "weekly", 1, tuple(group)))
    return rotations


@dataclass(frozen=True, slots=True)
class SeedAlert:
    """One open alert of the seed: `responder` is an index into the seed people (who it pages, and who
    acknowledged it when `acknowledged`); `age` is how long before the seed's `now` it was created."""

    message: str
    priority: str
    tags: tuple[str, ...]
    age: timedelta
    responder: int
    acknowledged: bool = False


SEED_ALERTS: tuple[SeedAlert, ...] = (
    SeedAlert("Search latency p99 above 2s", "P3", ("search", "latency"), timedelta(minutes=45), 0),
    SeedAlert("Checkout API 5xx rate above 2%", "P2", ("checkout",), timedelta(minutes=20), 1),
    SeedAlert("Disk 85% full on db-02", "P4", ("database",), timedelta(hours=3), 0, acknowledged=True),
)
"""The seed's open alerts, tiny ids 1, 2, 3 in this order on both services."""
SEED_ALERT_ACK_AFTER = timedelta(minutes=5)
"""How long after its creation an acknowledged seed alert was acknowledged."""


def opsgenie_plan(rng: random.Random, people: Sequence[SeedPerson], now: datetime) -> OpsgeniePlan:
    """Every draw the Opsgenie seed makes up to its rotations, in order (ids of users, team, services and
    schedule, then `seed_rotations`): from an rng in one state, the Opsgenie and JSM seeds get one
    schedule."""
    user_ids = {person.email: new_uuid(rng) for person in people}
    team_id = new_uuid(rng)
    service_ids = tuple(new_uuid(rng) for _ in OPSGENIE_SERVICES)
    schedule_id = new_uuid(rng)
    rotations = tuple(seed_rotations(rng, people, now))
    return OpsgeniePlan(user_ids, team_id, service_ids, schedule_id, rotations)


def atlassian_account_id(person: SeedPerson) -> str:
    """The person's Atlassian account id (`712020:<uuid>`, the shape of today's account ids); derived from the
    email alone, so the Jira site and JSM Operations agree without reading each other's tables."""
    return "712020:" + new_uuid(random.Random(f"atlassian-account:{person.email.lower()}"))


def seed_world(db: sqlite3.Connection, services: Sequence[ServiceEmulator], seed: int, now: datetime) -> None:
    """Seed every service from one seed: the same people everywhere, each service its own rng stream.

    A service's stream is named after its prefix, or after its `seed_stream` attribute when it has one (the
    JSM emulator reads the Opsgenie stream to copy the Opsgenie schedule).
    """
    people = seed_people(random.Random(f"people:{seed}"), now.date())
    for service in services:
        stream = str(getattr(service, "seed_stream", service.prefix))
        service.seed(db, random.Random(f"{stream}:{seed}"), people, now)
    if any(service.prefix == "pagerduty" for service in services):
        from oncall_cli.sandbox.pagerduty_incidents import seed_incidents

        # Its own stream: the PagerDuty schedule seed keeps its draws.
        seed_incidents(db, random.Random(f"pagerduty-incidents:{seed}"))
