"""Sandbox use cases: reset and summarise the emulator's world, and serve it over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from oncall_cli.errors import ConfigError
from oncall_cli.services.context import Context


def reset(context: Context, seed: int) -> dict[str, Any]:
    """Recreate the sandbox world from the seed data; an unreadable database file is deleted and recreated."""
    try:
        emulator = context.emulator
    except ConfigError:
        deps = context.deps
        if deps.emulator is not None:  # an injected emulator opened fine; the error is not about the file
            raise
        from oncall_cli.sandbox.emulator import Emulator, default_db_path

        # `context.emulator` failed, so it cached nothing: the next access returns this one.
        deps.emulator = Emulator.recreate(
            default_db_path(), now=deps.now, clock=deps.clock, sleep=deps.sleep, seed=seed
        )
        return status(context)
    emulator.reset(seed)
    return status(context)


def status(context: Context) -> dict[str, Any]:
    emulator = context.emulator
    summary: dict[str, Any] = {"db": emulator.db_path, "seed": emulator.seed, "seeded_at": emulator.seeded_at}
    summary.update(emulator.status())
    return summary


def serve(
    context: Context,
    *,
    host: str,
    port: int,
    allow_remote: bool,
    faults: Sequence[str],
    latency_ms: int,
    pending_polls: int | None = None,
    rate_limits: bool = False,
    ready: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Expose the emulator over HTTP until interrupted; faults as in `sandbox/faults.py`'s spec syntax.

    `ready` gets `{"url": ..., "faults": [...], "rate_limits": bool}` once the socket is bound (so port 0
    tells its port), and never when the host is refused or the port is taken. `pending_polls`: how many
    Opsgenie request-status polls answer "not processed yet" for every request; None keeps the default, a
    seeded random 0-2 each. `rate_limits`: apply Slack's per-method tiers and Opsgenie's per-domain quotas
    (sandbox/ratelimits.py) on the real clock.
    """
    from oncall_cli.sandbox.faults import Fault, parse_fault_spec
    from oncall_cli.sandbox.server import SandboxServer
    from oncall_cli.sandbox.server import serve as serve_http

    emulator = context.emulator
    for spec in faults:
        emulator.faults.add(parse_fault_spec(spec))
    from oncall_cli.sandbox.opsgenie import OpsgenieEmulator

    with emulator.locked() as db:
        OpsgenieEmulator.set_pending_polls(db, pending_polls)
    if latency_ms:
        emulator.faults.add(Fault(service="*", operation="*", kind="latency", latency_ms=latency_ms))
    emulator.rate_limits = rate_limits

    def bound(server: SandboxServer) -> None:
        if ready is not None:
            ready({"url": server.url, "faults": [f.describe() for f in emulator.faults.active],
                   "rate_limits": emulator.rate_limits})

    serve_http(emulator, host=host, port=port, allow_remote=allow_remote, ready=bound)
