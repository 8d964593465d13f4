"""Independent reads at once: `gather` runs calls concurrently and answers as if they had run one by one.

The use cases and the adapters read what a command needs (rotations, overrides, the team; the checks before
a raise) in one round trip instead of several. No dependencies beyond the standard library, so an adapter
may use it too.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any


def gather(*calls: Callable[[], Any], workers: int = 8) -> list[Any]:
    """Run `calls` concurrently; their results in order, or the error of the first (in order) that failed,
    once every call has ended."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(workers, len(calls)), thread_name_prefix="oncall-read") as pool:
        futures = [pool.submit(call) for call in calls]
        wait(futures)
    return [future.result() for future in futures]
