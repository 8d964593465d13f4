"""Run a workflow's journaled steps as soon as what each needs exists: a small dependency-ordered executor.

Each `Node` is one step (a callable, usually a `StepRunner.step`) with the steps it `needs` (they must have
succeeded) and the steps it comes `after` (they must have ended, whatever their outcome: recording an
incident's links waits for both branches, and still records what exists when one failed). Names of steps
that are not in the graph (an optional step this run does not have) are ignored.

Failures are branch-local and the outcome does not depend on timing: a `StepFailed` stops only the steps
that need it, directly or not, and the independent steps go on (Statuspage never waits for Slack, and a
failed Slack step does not stop it). Any other exception (a crash, a bug) stops new steps from starting; the
ones already running finish, then it is raised. So which steps run depends only on which fail; only the
interleaving of independent steps varies. `workers=1` runs them one at a time in the order given.

`services/gather.py` is the simple case, for reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from oncall_cli.services.journal import StepFailed


@dataclass(frozen=True)
class Node:
    """One step of the graph: `run()` returns its result or raises `StepFailed`."""

    name: str
    run: Callable[[], Any]
    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What a graph run did: results of the steps that succeeded, failures in the order of the nodes, and the
    steps not run because something they needed failed."""

    results: dict[str, Any] = field(default_factory=dict)
    failures: list[StepFailed] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)


def run_graph(nodes: Sequence[Node], *, workers: int = 4, thread_name: str = "oncall-step") -> Outcome:
    """Run every node whose needs succeeded, each as soon as its needs and afters have ended."""
    order = {n.name: i for i, n in enumerate(nodes)}
    if len(order) != len(nodes):
        raise ValueError("run_graph: two nodes with one name")
    pending = {n.name: n for n in nodes}
    ended: dict[str, bool] = {}  # name -> succeeded
    running: dict[Future[Any], str] = {}
    outcome = Outcome()
    failed: dict[str, StepFailed] = {}
    crash: BaseException | None = None

    def ready(node: Node) -> bool | None:
        """True: start it; False: never (a need failed or was not run); None: not yet."""
        waits = [d for d in (*node.needs, *node.after) if d in order]
        if any(d not in ended for d in waits):
            return None
        return all(ended[d] for d in node.needs if d in order)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=thread_name) as pool:
        while True:
            changed = crash is None
            while changed:  # a step that cannot run may make others unable to run: settle them all
                changed = False
                for name, node in list(pending.items()):
                    state = ready(node)
                    if state is None:
                        continue
                    del pending[name]
                    if state:
                        running[pool.submit(node.run)] = name
                    else:
                        ended[name] = False
                        outcome.not_run.append(name)
                        changed = True
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: order[running[f]]):
                name = running.pop(future)
                try:
                    outcome.results[name] = future.result()
                    ended[name] = True
                except StepFailed as failure:
                    failed[name] = failure
                    ended[name] = False
                except BaseException as exc:  # a crash: no new step starts; the running ones finish
                    ended[name] = False
                    crash = crash or exc
    if crash is not None:
        raise crash
    outcome.failures = [failed[n] for n in sorted(failed, key=order.__getitem__)]
    outcome.not_run.extend(sorted(pending, key=order.__getitem__))
    return outcome
