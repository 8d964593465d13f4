"""The emulator core: routing, auth, persistence, seeding, reset, thread safety, state inspection."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, timedelta
from pathlib import Path

import httpx
import pytest

from oncall_cli.errors import ConfigError
from oncall_cli.sandbox.emulator import SANDBOX_URLS, Emulator, default_db_path
from oncall_cli.sandbox.faults import Fault
from oncall_cli.sandbox.seed import seed_people

from .conftest import NOW, OG, OG_AUTH, SLACK, SLACK_AUTH, SP


def test_sandbox_urls_route_by_first_path_segment() -> None:
    assert SANDBOX_URLS == {
        "opsgenie": "http://sandbox.oncall.invalid/opsgenie",
        "statuspage": "http://sandbox.oncall.invalid/statuspage",
        "slack": "http://sandbox.oncall.invalid/slack",
        "atlassian": "http://sandbox.oncall.invalid/atlassian",
        "jira": "http://sandbox.oncall.invalid/jira",
        "pagerduty": "http://sandbox.oncall.invalid/pagerduty",
    }


def test_unknown_service_prefix_is_404(http: httpx.Client) -> None:
    assert http.get("http://sandbox.oncall.invalid/victorops/v2/users").status_code == 404


def test_opsgenie_without_geniekey_is_401_in_opsgenie_shape(http: httpx.Client) -> None:
    response = http.get(OG + "/v2/account", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    assert set(response.json()) == {"message", "took", "requestId"}


def test_slack_without_bearer_is_not_authed(http: httpx.Client, emulator: Emulator) -> None:
    if "slack" not in emulator.services:
        pytest.skip("sandbox/slack.py not there yet")
    response = http.post(SLACK + "/auth.test")
    assert response.status_code == 200
    assert response.json() == {"ok": False, "error": "not_authed"}


def test_statuspage_without_oauth_is_401(http: httpx.Client, emulator: Emulator) -> None:
    if "statuspage" not in emulator.services:
        pytest.skip("sandbox/statuspage.py not there yet")
    response = http.get(SP + "/v1/pages", headers={"Authorization": "GenieKey x"})
    assert response.status_code == 401
    assert "error" in response.json() or "message" in response.json()


def test_any_key_is_accepted(http: httpx.Client) -> None:
    assert (
        http.get(OG + "/v2/account", headers={"Authorization": "GenieKey anything-at-all"}).status_code == 200
    )


def test_state_persists_in_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "sandbox.db"
    with Emulator(db, now=lambda: NOW) as first, first.client() as http:
        created = http.post(
            OG + "/v2/users",
            json={"username": "kept@example.com", "fullName": "Kept", "role": {"name": "user"}},
            headers=OG_AUTH,
        )
        assert created.status_code == 201
    with Emulator(db, now=lambda: NOW + timedelta(days=3), seed=99) as second, second.client() as http:
        assert http.get(OG + "/v2/users/kept@example.com", headers=OG_AUTH).status_code == 200
        assert second.seed == 1  # an existing world is not re-seeded
        assert second.seeded_at == NOW


def test_a_reopened_database_builds_a_service_when_first_used_and_makes_sure_of_its_tables(
    tmp_path: Path,
) -> None:
    db = tmp_path / "sandbox.db"
    Emulator(db, now=lambda: NOW).close()
    # A database written before the Slack emulator had this table (an upgrade): the next use creates it.
    with Emulator(db, now=lambda: NOW) as older, older.locked() as conn:
        conn.execute("DROP TABLE slack_channels")
    with Emulator(db, now=lambda: NOW) as emulator, emulator.client() as http:
        response = http.post(SLACK + "/conversations.list", headers=SLACK_AUTH)
        assert response.status_code == 200 and response.json()["ok"] is True
        assert emulator.query("SELECT name FROM sqlite_master WHERE name = 'slack_channels'")
        assert set(emulator.services) == set(SANDBOX_URLS)
        assert emulator.status()["services"].keys() == SANDBOX_URLS.keys()


def test_an_unreadable_database_file_is_a_config_error_naming_it_and_the_fix(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    db.write_bytes(b"this is not a database, just garbage bytes " * 100)
    with pytest.raises(ConfigError) as caught:
        Emulator(db, now=lambda: NOW)
    assert str(db) in caught.value.message
    assert caught.value.hint == "Run `oncall sandbox reset` (it recreates the file)."
    assert caught.value.exit_code == 3


def test_recreate_replaces_an_unreadable_file_and_its_wal_and_shm(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    for name in ("sandbox.db", "sandbox.db-wal", "sandbox.db-shm"):
        (tmp_path / name).write_bytes(b"garbage" * 500)
    with Emulator.recreate(db, now=lambda: NOW, seed=2) as fresh:
        assert fresh.seed == 2 and fresh.seeded_at == NOW
        assert fresh.status()["services"]["opsgenie"]
    with Emulator(db, now=lambda: NOW) as reopened:
        assert reopened.seed == 2


def test_same_seed_and_now_give_the_same_world() -> None:
    with (
        Emulator(now=lambda: NOW, seed=7) as a,
        Emulator(now=lambda: NOW, seed=7) as b,
        Emulator(now=lambda: NOW, seed=8) as c,
    ):
        for prefix in a.services:
            assert a.snapshot(prefix) == b.snapshot(prefix)
        assert a.snapshot("opsgenie") != c.snapshot("opsgenie")


def test_reset_reseeds_and_forgets_changes_and_faults(emulator: Emulator, http: httpx.Client) -> None:
    before = emulator.snapshot("opsgenie")
    http.post(
        OG + "/v2/users",
        json={"username": "gone@example.com", "fullName": "Gone", "role": {"name": "user"}},
        headers=OG_AUTH,
    )
    emulator.faults.add(Fault(kind="latency", latency_ms=5))
    emulator.reset(seed=1)
    assert emulator.snapshot("opsgenie") == before
    assert emulator.faults.active == [] and emulator.calls == []
    emulator.reset(seed=2)
    assert emulator.seed == 2 and emulator.snapshot("opsgenie") != before


def test_status_summarises_every_service(emulator: Emulator) -> None:
    status = emulator.status()
    assert status["seed"] == 1 and status["db"] == ":memory:"
    assert status["services"]["opsgenie"]["users"] == 24
    assert set(status["services"]) == set(emulator.services)


def test_calls_are_recorded_for_tests(emulator: Emulator, http: httpx.Client) -> None:
    http.get(OG + "/v2/account", headers=OG_AUTH)
    http.get(OG + "/v2/account", headers=OG_AUTH)
    assert [(c.operation, c.status, c.number) for c in emulator.calls] == [
        ("GET /v2/account", 200, 1),
        ("GET /v2/account", 200, 2),
    ]


def test_concurrent_writes_are_serialised(emulator: Emulator) -> None:
    artsy = emulator.query("SELECT id FROM opsgenie_services WHERE name = 'Artsy'")[0]["id"]
    errors: list[BaseException] = []

    def create(i: int) -> None:
        try:
            with emulator.client() as http:
                r = http.post(
                    OG + "/v1/incidents/create",
                    json={"message": f"m{i}", "serviceId": artsy},
                    headers=OG_AUTH,
                )
                assert r.status_code == 202
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not errors
    tiny = sorted(r["tiny_id"] for r in emulator.query("SELECT tiny_id FROM opsgenie_incidents"))
    assert tiny == list(range(1, 17))


def test_latency_is_slept_outside_the_lock_so_calls_overlap() -> None:
    """The one real-sleep test: 10 concurrent calls with 50 ms latency take about 50 ms, not 500 ms."""
    with Emulator(now=lambda: NOW) as em:
        em.faults.add(Fault(kind="latency", latency_ms=50))
        results: list[int] = []

        def call() -> None:
            with em.client() as http:
                results.append(http.get(OG + "/v2/account", headers=OG_AUTH).status_code)

        threads = [threading.Thread(target=call) for _ in range(10)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
        elapsed = time.perf_counter() - started
    assert results == [200] * 10
    assert elapsed < 0.4


def test_seed_people_cover_the_playbook_cases() -> None:
    import random

    today = NOW.date()
    people = seed_people(random.Random("people:1"), today)
    assert len(people) == 24
    assert len({p.email for p in people}) == 24 and all(p.email.endswith("@example.com") for p in people)
    assert all(p.manager for p in people)
    zones = {p.timezone for p in people}
    assert "America/New_York" in zones and len(zones) >= 6
    recent = [p for p in people if 0 <= (today - p.start_date).days <= 90]
    future = [p for p in people if p.start_date > today]
    assert len(recent) >= 3 and len(future) == 1
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert (future[0].start_date.year, future[0].start_date.month) == (next_month.year, next_month.month)
    assert len({p.slack_id for p in people}) == 24


def test_recent_and_future_hires_are_not_in_the_rotations(emulator: Emulator) -> None:
    today = NOW.astimezone(UTC).date()
    users = {r["username"]: r for r in emulator.snapshot("opsgenie")["opsgenie_users"]}
    rotating = {
        p["username"]
        for r in emulator.snapshot("opsgenie")["opsgenie_rotations"]
        for p in r["data"]["participants"]
        if p["type"] == "user"
    }
    for username, row in users.items():
        start = date.fromisoformat(row["data"]["details"]["start_date"][0])
        if (today - start).days <= 90:
            assert username not in rotating
    assert len(rotating) == 17


def test_default_db_path_is_in_the_user_data_dir(isolated_dirs: object) -> None:
    path = default_db_path()
    assert path.name == "sandbox.db" and "oncall" in str(path)


def test_the_atlassian_ids_agree_with_the_sandbox_profile() -> None:
    """The sandbox does not import config (STYLE.md); the sandbox profile must name the emulator's site."""
    from oncall_cli import config
    from oncall_cli.sandbox.emulator import SANDBOX_CLOUD_ID, SANDBOX_ORG_ID

    assert config.SANDBOX_CLOUD_ID == SANDBOX_CLOUD_ID
    assert config.SANDBOX_ORG_ID == SANDBOX_ORG_ID
