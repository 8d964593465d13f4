"""Fixtures for the foundation tests: isolation from the user's machine, and the fakes in fakes.py."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import keyring
import pytest
from keyring.backends import fail

from .fakes import Cli, FakeClock, MemoryKeyring


@pytest.fixture(autouse=True)
def _isolated_from_the_user(isolated_dirs: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real config dir, and no ONCALL_* variable of the person running the tests (Typer reads some)."""
    for name in [n for n in os.environ if n.startswith("ONCALL_")]:
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every foundation test gets an in-memory keyring; the real OS keyring is never touched."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(memory_keyring: MemoryKeyring) -> None:
    """A machine with no usable keyring backend (headless CI): keyring's own `fail` backend."""
    keyring.set_keyring(fail.Keyring())


@pytest.fixture(autouse=True)
def _restore_oncall_logger() -> Iterator[None]:
    """`--verbose` configures the `oncall` logger; undo it so one test's handlers never reach the next."""
    logger = logging.getLogger("oncall")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input is a terminal, so commands may prompt (CliRunner's stdin never is one)."""
    from oncall_cli.cli import common

    monkeypatch.setattr(common, "stdin_is_terminal", lambda: True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


@pytest.fixture
def cli(config_path: Path, clock: FakeClock) -> Cli:
    return Cli(config_path=config_path, clock=clock)
