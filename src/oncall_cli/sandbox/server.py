"""Serve the sandbox over real HTTP (`oncall sandbox serve`): stdlib ThreadingHTTPServer -> Emulator.handle.

    http://127.0.0.1:8765/opsgenie     ONCALL_OPSGENIE_URL
    http://127.0.0.1:8765/statuspage   ONCALL_STATUSPAGE_URL (the client appends /v1)
    http://127.0.0.1:8765/slack        ONCALL_SLACK_URL (methods at /slack/<method>)
    http://127.0.0.1:8765/atlassian    the api.atlassian.com gateway (JSM Operations at
                                       /atlassian/jsm/ops/api/<SANDBOX_CLOUD_ID>/v1/..., the JSM Incident API
                                       at /atlassian/jsm/incidents/cloudId/<SANDBOX_CLOUD_ID>/v1/...)
    http://127.0.0.1:8765/jira         a Jira site https://<site>.atlassian.net (/jira/rest/api/3/...,
                                       /jira/rest/servicedeskapi/..., /jira/_edge/tenant_info,
                                       /jira/gateway/api/public/teams/v1/...)

Loopback only unless `allow_remote`: the sandbox accepts any key, so it must not face a network by accident.
A "drop" fault closes the socket without an answer.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from oncall_cli.errors import UsageError
from oncall_cli.sandbox.emulator import Dropped, Emulator

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
log = logging.getLogger("oncall.sandbox")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`."""
    if host in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = f"http://{self.headers.get('Host') or 'sandbox'}{self.path}"
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in ("host", "content-length")]
        request = httpx.Request(self.command, url, headers=headers, content=body)
        try:
            response = self.server.emulator.handle(request)
        except Dropped:
            # Close without a byte of answer: the client sees a dropped connection.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except Exception:  # a bug in the emulator (e.g. a response that breaks the spec): answer 500
            log.exception("sandbox error on %s %s", self.command, self.path)
            response = httpx.Response(500, json={"message": "sandbox internal error (see the server log)"})
        content = response.content
        self.send_response(response.status_code)
        for key, value in response.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


class SandboxServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one `Emulator`."""

    daemon_threads = True

    def __init__(self, emulator: Emulator, address: tuple[str, int]):
        self.emulator = emulator
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        raw, port = self.server_address[:2]
        host = raw.decode() if isinstance(raw, bytes) else str(raw)
        host_text = f"[{host}]" if ":" in host else host
        return f"http://{host_text}:{port}"


def make_server(
    emulator: Emulator, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, allow_remote: bool = False
) -> SandboxServer:
    """Bind (without serving yet); refuses a non-loopback host unless `allow_remote`. Port 0 picks one."""
    if not is_loopback(host) and not allow_remote:
        raise UsageError(
            f"Refusing to serve the sandbox on {host}: it accepts any API key.",
            hint="Use --host 127.0.0.1 (the default), or pass --allow-remote to expose it on purpose.",
        )
    try:
        return SandboxServer(emulator, (host, port))
    except OSError as exc:
        raise UsageError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="Pick another --port, or stop what is using this one.",
        ) from exc


def serve(
    emulator: Emulator,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    allow_remote: bool = False,
    ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C) or `server.shutdown()` from another thread; `ready` gets the server
    once it is bound (its `.url` tells the port when `port` is 0)."""
    server = make_server(emulator, host, port, allow_remote=allow_remote)
    try:
        if ready is not None:
            ready(server)
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()


def serve_in_thread(
    emulator: Emulator, host: str = DEFAULT_HOST, port: int = 0
) -> tuple[SandboxServer, threading.Thread]:
    """Start serving in a daemon thread (tests, `make demo`); stop with `server.shutdown()`."""
    server = make_server(emulator, host, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="oncall-sandbox", daemon=True
    )
    thread.start()
    return server, thread
