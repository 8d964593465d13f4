"""The sandbox's seed world: the engineers every service emulator knows, and the seeding of all three.

Deterministic for one seed and one `now`, and relative to `now` so the demo always looks current:
- 24 engineers (`first.last@example.com`) in US Eastern and other zones; each has a manager;
- 17 veterans (started 1-6 years ago), 6 hires of the last 90 days, and one who starts next month;
- Opsgenie: team "Engineering", schedule "Engineering_schedule" (America/New_York) with running weekly
  rotations `rot-a` (Monday 11:00) and `rot-b` (Wednesday 11:00) of the veterans, one `none` placeholder,
  started some weeks before `now` (the recent and future hires are not in them yet); service "Artsy";
- Slack and Statuspage: see their emulators (same people, same emails).
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from oncall_cli.sandbox.base import SeedPerson, ServiceEmulator, new_id

TEAM_SIZE = 24
VETERANS = 17
RECENT_HIRES = 6
DOMAIN = "example.com"
DIRECTOR = f"cto@{DOMAIN}"
"""The managers' manager: outside the team, so every seed person has a manager."""

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


def seed_world(db: sqlite3.Connection, services: Sequence[ServiceEmulator], seed: int, now: datetime) -> None:
    """Seed every service from one seed: the same people everywhere, each service its own rng stream."""
    people = seed_people(random.Random(f"people:{seed}"), now.date())
    for service in services:
        service.seed(db, random.Random(f"{service.prefix}:{seed}"), people, now)
