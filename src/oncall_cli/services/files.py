"""Writing the files commands produce (a calendar feed, a JUnit report): atomically, and only when changed.

A reader (a static web host, a CI step) sees either the old file or the new one, never half a file: the data
goes to a temporary file in the same directory, which then replaces the target (`os.replace` is atomic on
POSIX and Windows). A file whose bytes would not change is left alone, so its modification time says when
its content last changed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from oncall_cli.errors import UsageError


def write_if_changed(path: Path, data: bytes, *, flag: str) -> bool:
    """Write `data` to `path` atomically unless it holds exactly these bytes; True when it was written.

    `flag` names the option the path came from, for the error message."""
    try:
        if path.is_file() and path.read_bytes() == data:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o644)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(f"{flag}: cannot write {path}: {exc.strerror or exc}") from exc
    return True
