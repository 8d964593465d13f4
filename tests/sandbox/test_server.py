"""The sandbox over real HTTP on loopback: a server on port 0 in a thread, real httpx requests, shut down."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from oncall_cli.errors import UsageError
from oncall_cli.sandbox.emulator import Emulator
from oncall_cli.sandbox.server import SandboxServer, is_loopback, make_server, serve_in_thread

from .conftest import NOW, OG_AUTH


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    emulator = Emulator(now=lambda: NOW)
    srv, thread = serve_in_thread(emulator, "127.0.0.1", 0)
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)
        emulator.close()
    assert not thread.is_alive()


def test_real_requests_over_loopback(server: SandboxServer) -> None:
    with httpx.Client(base_url=server.url + "/opsgenie", timeout=5) as http:
        account = http.get("/v2/account", headers=OG_AUTH)
        assert account.status_code == 200 and account.json()["data"]["name"] == "oncall-sandbox"
        assert http.get("/v2/account").status_code == 401
        created = http.post(
            "/v2/users",
            json={"username": "http@example.com", "fullName": "Over HTTP", "role": {"name": "user"}},
            headers=OG_AUTH,
        )
        assert created.status_code == 201
        assert (
            http.get("/v2/users/http@example.com", headers=OG_AUTH).json()["data"]["fullName"] == "Over HTTP"
        )
        schedule = http.get(
            "/v2/schedules/Engineering schedule".replace(" ", "_"),
            params={"identifierType": "name"},
            headers=OG_AUTH,
        )
        assert schedule.status_code == 200


def test_a_drop_fault_closes_the_socket(server: SandboxServer) -> None:
    server.emulator.faults.add_spec("opsgenie:GET /v2/account#1=drop")
    with httpx.Client(base_url=server.url + "/opsgenie", timeout=5) as http:
        with pytest.raises(httpx.TransportError):
            http.get("/v2/account", headers=OG_AUTH)
        assert http.get("/v2/account", headers=OG_AUTH).status_code == 200


def test_non_loopback_host_is_refused_without_allow_remote() -> None:
    with Emulator(now=lambda: NOW) as emulator, pytest.raises(UsageError) as info:
        make_server(emulator, "0.0.0.0", 0)
    assert "--allow-remote" in (info.value.hint or "") and "--host" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
