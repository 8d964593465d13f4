"""Sandbox use cases: reset and summarise the emulator's world, and serve it over real HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oncall_cli.services.context import Context


def reset(context: Context, seed: int) -> dict[str, Any]:
    """Recreate the sandbox world from the seed data."""
    context.emulator.reset(seed)
    return status(context)


def status(context: Context) -> dict[str, Any]:
    emulator = context.emulator
    summary: dict[str, Any] = {"db": emulator.db_path, "seed": emulator.seed, "seeded_at": emulator.seeded_at}
    summary.update(emulator.status())
    return summary


def serve(
    context: Context, *, host: str, port: int, allow_remote: bool, faults: Sequence[str], latency_ms: int
) -> None:
    """Expose the emulator over HTTP until interrupted; faults as in `sandbox/faults.py`'s spec syntax."""
    from oncall_cli.sandbox.faults import Fault, parse_fault_spec
    from oncall_cli.sandbox.server import serve as serve_http

    emulator = context.emulator
    for spec in faults:
        emulator.faults.add(parse_fault_spec(spec))
    if latency_ms:
        emulator.faults.add(Fault(service="*", operation="*", kind="latency", latency_ms=latency_ms))
    serve_http(emulator, host=host, port=port, allow_remote=allow_remote)
