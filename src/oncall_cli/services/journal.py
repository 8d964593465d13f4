"""The local journal of multi-step workflows (`incident raise`, `incident resolve`), in SQLite.

Each step is written before it starts and after it ends, with what it created, so a run stopped by a
failure or a crash can be resumed without repeating finished steps (`oncall incident resume`) and shown
(`oncall incident journal`). The file lives in `platformdirs.user_state_dir("oncall")`, or in
`Deps.state_dir` when set (tests).

Schema (version 1):

    runs(id, workflow, profile, status, incident_id, incident_number, message, params, error,
         created_at, updated_at)
        status: running | partial | done | superseded
        params: JSON of the command's inputs; `resume` replays them
    steps(run_id, name, seq, status, attempts, started_at, ended_at, result, error)
        status: started | done | failed | skipped; result: JSON of what the step created or found
    events(id, run_id, step, event, at, data)
        append-only history: run_started, step_started, step_done, step_failed, step_skipped, run_status

`StepRunner` is the engine on top: `runner.step(name, fn)` skips a step the journal says is finished
(returning what it recorded), and tells `fn` whether an earlier attempt was interrupted after it started
(then `fn` must look for what that attempt may already have created before creating anything).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from oncall_cli.errors import ConfigError, OncallError
from oncall_cli.private_files import private_file

SCHEMA_VERSION = 1
FILE_NAME = "journal.sqlite3"
RunStatus = Literal["running", "partial", "done", "superseded"]
StepStatus = Literal["started", "done", "failed", "skipped"]
UNFINISHED: tuple[RunStatus, ...] = ("running", "partial")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    profile TEXT NOT NULL,
    status TEXT NOT NULL,
    incident_id TEXT,
    incident_number TEXT,
    message TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_incident ON runs (profile, incident_id);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL REFERENCES runs (id),
    name TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    ended_at TEXT,
    result TEXT,
    error TEXT,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    step TEXT,
    event TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT
);
"""


def default_state_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("oncall"))


def journal_path(state_dir: str | Path | None = None) -> Path:
    return Path(state_dir) / FILE_NAME if state_dir else default_state_dir() / FILE_NAME


@dataclass(frozen=True)
class StepRecord:
    name: str
    seq: int
    status: StepStatus
    attempts: int
    started_at: str | None
    ended_at: str | None
    result: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class Run:
    id: str
    workflow: str
    profile: str
    status: RunStatus
    incident_id: str | None
    incident_number: str | None
    message: str
    params: dict[str, Any]
    error: dict[str, Any] | None
    created_at: str
    updated_at: str

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


class Journal:
    """One SQLite file; thread-safe (the workflow's concurrent steps write through one lock)."""

    def __init__(self, path: Path, *, now: Callable[[], datetime]) -> None:
        self.path = path
        self._now = now
        self._lock = threading.RLock()
        try:
            private_file(path)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30.0, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            # WAL + synchronous=NORMAL: a commit survives the process dying (what resume is for) without
            # an fsync per journal line.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version == 0:
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version > SCHEMA_VERSION:
                raise ConfigError(
                    f"{path}: the journal was written by a newer oncall (schema {version})",
                    hint="Upgrade oncall, or move the journal file away.",
                )
        except sqlite3.Error as exc:
            raise ConfigError(
                f"{path}: cannot open the workflow journal: {exc}",
                hint="Check the permissions of the state directory.",
            ) from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _stamp(self) -> str:
        return self._now().isoformat()

    def _event(
        self, db: sqlite3.Connection, run_id: str, step: str | None, event: str, data: Any = None
    ) -> None:
        db.execute(
            "INSERT INTO events (run_id, step, event, at, data) VALUES (?, ?, ?, ?, ?)",
            (run_id, step, event, self._stamp(), None if data is None else _dumps(data)),
        )

    # ---- runs -------------------------------------------------------------------------------------------

    def start_run(
        self,
        *,
        workflow: str,
        profile: str,
        message: str,
        params: Mapping[str, Any],
        incident_id: str | None = None,
        incident_number: str | None = None,
    ) -> Run:
        run_id = uuid.uuid4().hex[:12]
        now = self._stamp()
        with self._tx() as db:
            db.execute(
                "INSERT INTO runs (id, workflow, profile, status, incident_id, incident_number, message,"
                " params, created_at, updated_at) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    workflow,
                    profile,
                    incident_id,
                    incident_number,
                    message,
                    _dumps(dict(params)),
                    now,
                    now,
                ),
            )
            self._event(db, run_id, None, "run_started", {"workflow": workflow})
        run = self.get_run(run_id)
        assert run is not None
        return run

    def get_run(self, run_id: str) -> Run | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _run(row)

    def set_incident(self, run_id: str, incident_id: str, incident_number: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET incident_id = ?, incident_number = ?, updated_at = ? WHERE id = ?",
                (incident_id, incident_number, self._stamp(), run_id),
            )

    def set_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        """Replace the inputs a run replays (`resume --thread` repairs a wrong link)."""
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET params = ?, updated_at = ? WHERE id = ?",
                (_dumps(dict(params)), self._stamp(), run_id),
            )
            self._event(db, run_id, None, "run_params", dict(params))

    def rename_steps(self, run_id: str, names: Mapping[str, str]) -> None:
        """Give a run's steps (and their events) the names this version calls them by (`old -> new`), so a
        run journaled by an earlier version resumes without repeating its finished steps."""
        if not names:
            return
        marks = ", ".join("?" for _ in names)
        with self._lock:
            found = self._db.execute(
                f"SELECT COUNT(*) FROM steps WHERE run_id = ? AND name IN ({marks})", (run_id, *names)
            ).fetchone()[0]
        if not found:
            return
        with self._tx() as db:
            for old, new in names.items():
                db.execute(
                    "UPDATE OR IGNORE steps SET name = ? WHERE run_id = ? AND name = ?", (new, run_id, old)
                )
                db.execute("UPDATE events SET step = ? WHERE run_id = ? AND step = ?", (new, run_id, old))

    def set_status(self, run_id: str, status: RunStatus, error: Mapping[str, Any] | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET status = ?, error = ?, updated_at = ? WHERE id = ?",
                (status, None if error is None else _dumps(dict(error)), self._stamp(), run_id),
            )
            self._event(db, run_id, None, "run_status", {"status": status})

    def runs(
        self,
        *,
        profile: str,
        ref: str | None = None,
        workflow: str | None = None,
        statuses: tuple[str, ...] | None = None,
        limit: int = 50,
    ) -> list[Run]:
        """Runs of this profile, newest first; `ref` matches the incident number (a Jira key in any case, or
        just its number: `ITSM-30`, `itsm-30`, `30`), the incident id, or a run id (prefix)."""
        sql = "SELECT * FROM runs WHERE profile = ?"
        args: list[Any] = [profile]
        if ref:
            key = ref.strip().lstrip("#")
            sql += (
                " AND (incident_number = ? COLLATE NOCASE OR incident_id = ? OR id LIKE ?"
                " OR (? NOT GLOB '*[^0-9]*' AND incident_number LIKE '%-' || ?))"
            )
            args += [key, key, f"{key}%", key, key]
        if workflow:
            sql += " AND workflow = ?"
            args.append(workflow)
        if statuses:
            sql += f" AND status IN ({', '.join('?' for _ in statuses)})"
            args += list(statuses)
        sql += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_run(r) for r in rows]

    # ---- steps ------------------------------------------------------------------------------------------

    def steps(self, run_id: str) -> list[StepRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM steps WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
        return [
            StepRecord(
                name=r["name"],
                seq=r["seq"],
                status=r["status"],
                attempts=r["attempts"],
                started_at=r["started_at"],
                ended_at=r["ended_at"],
                result=_loads(r["result"]) or {},
                error=_loads(r["error"]),
            )
            for r in rows
        ]

    def events(self, run_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM events WHERE run_id = ? ORDER BY id", (run_id,)).fetchall()
        return [
            {"step": r["step"], "event": r["event"], "at": r["at"], "data": _loads(r["data"])} for r in rows
        ]

    def step_started(self, run_id: str, name: str) -> None:
        now = self._stamp()
        with self._tx() as db:
            row = db.execute("SELECT seq FROM steps WHERE run_id = ? AND name = ?", (run_id, name)).fetchone()
            if row is None:
                seq = int(
                    db.execute(
                        "SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE run_id = ?", (run_id,)
                    ).fetchone()[0]
                )
                db.execute(
                    "INSERT INTO steps (run_id, name, seq, status, attempts, started_at) "
                    "VALUES (?, ?, ?, 'started', 1, ?)",
                    (run_id, name, seq, now),
                )
            else:
                db.execute(
                    "UPDATE steps SET status = 'started', attempts = attempts + 1, started_at = ?, "
                    "ended_at = NULL, error = NULL WHERE run_id = ? AND name = ?",
                    (now, run_id, name),
                )
            db.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (now, run_id))
            self._event(db, run_id, name, "step_started")

    def step_ended(
        self,
        run_id: str,
        name: str,
        status: StepStatus,
        *,
        result: Mapping[str, Any] | None = None,
        error: Mapping[str, Any] | None = None,
    ) -> None:
        now = self._stamp()
        with self._tx() as db:
            db.execute(
                "UPDATE steps SET status = ?, ended_at = ?, result = ?, error = ? "
                "WHERE run_id = ? AND name = ?",
                (
                    status,
                    now,
                    None if result is None else _dumps(dict(result)),
                    None if error is None else _dumps(dict(error)),
                    run_id,
                    name,
                ),
            )
            db.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (now, run_id))
            self._event(db, run_id, name, f"step_{status}", dict(result or error or {}))


def _run(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"],
        workflow=row["workflow"],
        profile=row["profile"],
        status=row["status"],
        incident_id=row["incident_id"],
        incident_number=row["incident_number"],
        message=row["message"],
        params=_loads(row["params"]) or {},
        error=_loads(row["error"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


# ---- the step engine ---------------------------------------------------------------------------------------


class StepFailed(Exception):
    """A step failed after the clients' retries; the journal holds it as `failed`."""

    def __init__(self, step: str, error: OncallError):
        super().__init__(f"{step}: {error.message}")
        self.step = step
        self.error = error


class SimulatedCrash(BaseException):
    """Raised by the `crash_after_step` test hook (`Deps.extra`): the process "dies" between two steps.

    A BaseException so no `except Exception` on the way up records it as a step failure: the journal is
    left exactly as a killed process would leave it (the step done, the run `running`).
    """


StepFn = Callable[[bool], Mapping[str, Any]]


class StepRunner:
    """Runs a workflow's steps against the journal: skip finished ones, record every start and end."""

    def __init__(self, journal: Journal, run: Run, *, crash_after: frozenset[str] = frozenset()) -> None:
        self.journal = journal
        self.run = run
        self.crash_after = crash_after
        self._lock = threading.Lock()
        self.previous: dict[str, StepRecord] = {s.name: s for s in journal.steps(run.id)}
        self.results: dict[str, dict[str, Any]] = {
            name: dict(rec.result) for name, rec in self.previous.items() if rec.status in ("done", "skipped")
        }
        self.ran: list[str] = []

    def finished(self, name: str) -> bool:
        with self._lock:
            return name in self.results

    def result(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            return self.results.get(name)

    def step(self, name: str, fn: StepFn, *, rerun: bool = False) -> dict[str, Any]:
        """Run `fn(interrupted)` as step `name` unless the journal says it is finished (or `rerun`: the
        caller decided a finished, idempotent step has new work).

        `interrupted` is True when an earlier attempt started this step and did not finish it (it failed, or
        the process died): something may already exist remotely, so `fn` must look before creating.
        """
        with self._lock:
            if name in self.results and not rerun:
                return self.results[name]
            rec = self.previous.get(name)
        interrupted = rec is not None and rec.status in ("started", "failed")
        self.journal.step_started(self.run.id, name)
        try:
            result = dict(fn(interrupted))
        except OncallError as exc:
            self.journal.step_ended(self.run.id, name, "failed", error=exc.to_dict())
            raise StepFailed(name, exc) from exc
        except Exception as exc:
            error = {"code": "unexpected", "message": f"unexpected {type(exc).__name__}: {exc}"}
            self.journal.step_ended(self.run.id, name, "failed", error=error)
            raise
        self.journal.step_ended(self.run.id, name, "done", result=result)
        with self._lock:
            self.results[name] = result
            self.ran.append(name)
        if name in self.crash_after:
            raise SimulatedCrash(f"simulated crash after step {name}")
        return result

    def skip(self, name: str, reason: str) -> dict[str, Any]:
        """Record a step that is not needed (e.g. no Statuspage for a P4)."""
        with self._lock:
            if name in self.results:
                return self.results[name]
        result = {"skipped": reason}
        self.journal.step_started(self.run.id, name)
        self.journal.step_ended(self.run.id, name, "skipped", result=result)
        with self._lock:
            self.results[name] = result
        return result
