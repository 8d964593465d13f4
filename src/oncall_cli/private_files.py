"""State files only their owner can read: the sandbox database and the incident journal hold incident
messages, links and people. Folders are 0700, files 0600; files an older version made are tightened."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) with the last folder 0700; tighten it when it already exists."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    _tighten(path, 0o700)


def private_file(path: Path) -> None:
    """Make sure `path` exists as a 0600 file in a 0700 folder, before SQLite opens it.

    SQLite creates its -wal and -shm companions with the main file's mode, so they are private too. A path
    that is not a regular file (a directory) is left for the caller to report.
    """
    private_dir(path.parent)
    if path.exists() and not path.is_file():
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError:
        return  # the caller's open reports it, naming the file
    _tighten(path, 0o600)


def tighten_file(path: Path) -> None:
    """Make an existing file 0600 (one an older version made 0644); a file that is not ours is left as is."""
    _tighten(path, 0o600)


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except OSError:  # not ours (a shared folder): leave it; opening it says what is wrong
        pass
