"""Profiles and settings: where files live, what each setting defaults to, and where its value came from.

Precedence, lowest first: default < file (`[profiles.NAME]`) < environment < flag. Secrets are never read
from or written to the file: they come from the environment or the OS keyring (`credentials.py`).
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal

from oncall_cli.errors import ConfigError, UsageError

Source = Literal["default", "file", "env", "flag", "sandbox"]
SANDBOX_PROFILE = "sandbox"
# The in-process sandbox routes by the first path segment, whatever the host (see sandbox/emulator.py).
SANDBOX_BASE_URL = "http://sandbox.oncall.invalid"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
OPSGENIE_REGIONS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ValueError("expected a whole number")


def _as_time(value: Any) -> str:
    text = _as_str(value).strip()
    try:
        time.fromisoformat(text)
    except ValueError:
        raise ValueError("expected a time such as 11:00") from None
    return text


def _as_weekday(value: Any) -> str:
    text = _as_str(value).strip().lower()
    if text not in WEEKDAYS:
        raise ValueError("expected a weekday name such as monday")
    return text


def _as_timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = _as_str(value).strip()
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {text!r}") from None
    return text


def _as_region(value: Any) -> str:
    text = _as_str(value).strip().lower()
    if text not in OPSGENIE_REGIONS:
        raise ValueError("expected us or eu")
    return text


def _as_priorities(value: Any) -> str:
    items = value if isinstance(value, list) else _as_str(value).split(",")
    names = [str(v).strip().upper() for v in items if str(v).strip()]
    bad = [n for n in names if n not in ("P1", "P2", "P3")]
    if bad:
        raise ValueError("public priorities are among P1, P2, P3 (never P4/P5)")
    return ",".join(names)


def _as_date_list(value: Any) -> str:
    from datetime import date

    items = value if isinstance(value, list) else [v for v in _as_str(value).split(",") if v.strip()]
    for item in items:
        date.fromisoformat(str(item).strip())
    return ",".join(str(v).strip() for v in items)


@dataclass(frozen=True, slots=True)
class Setting:
    """One known setting: its default, how to check a value, and its environment variable."""

    key: str
    default: Any
    parse: Callable[[Any], Any] = _as_str
    env: str | None = None
    help: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("opsgenie.region", "us", _as_region, help="us or eu; picks the default Opsgenie URL"),
    Setting("opsgenie.url", "", _as_str, "ONCALL_OPSGENIE_URL", "Opsgenie API base URL"),
    Setting("opsgenie.team", "Engineering", help="the team whose on-call this is"),
    Setting("opsgenie.schedule", "", help="the team's schedule name (default: <team>_schedule)"),
    Setting("opsgenie.service", "", help="the impacted service for incidents"),
    Setting("statuspage.url", "https://api.statuspage.io", _as_str, "ONCALL_STATUSPAGE_URL"),
    Setting("statuspage.page_id", "", _as_str, "ONCALL_STATUSPAGE_PAGE_ID"),
    Setting("slack.url", "https://slack.com/api", _as_str, "ONCALL_SLACK_URL"),
    Setting("slack.incidents_channel", "incidents"),
    Setting("slack.announce_channel", "dev"),
    Setting("slack.alerts_channel", "alerts"),
    Setting("me", "", help="my Opsgenie username (email), for --me and reminders"),
    Setting("timezone", "America/New_York", _as_timezone, help="the schedule's time zone"),
    Setting("handoff_time", "11:00", _as_time, help="local time of every handoff"),
    Setting("rotation_a", "rot-a"),
    Setting("rotation_b", "rot-b"),
    Setting("next_suffix", "-next"),
    Setting("weekday_a", "monday", _as_weekday),
    Setting("weekday_b", "wednesday", _as_weekday),
    Setting("holiday_a", "Holiday-a"),
    Setting("holiday_b", "Holiday-b"),
    Setting("holiday_start", "12-22", help="MM-DD the holiday rotations start (at handoff_time)"),
    Setting("holiday_end", "01-03", help="MM-DD the holiday rotations end (at handoff_time)"),
    Setting("new_hire_days", 60, _as_int, help="a first shift starts more than this many days after start"),
    Setting("new_engineer_days", 90, _as_int, help="started within this many days before a round = new"),
    Setting(
        "public_priorities", "P1,P2,P3", _as_priorities, help="priorities that get a Statuspage incident"
    ),
    Setting("holidays", "", _as_date_list, help="non-work days for the SLO report (YYYY-MM-DD,...)"),
)
SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}

SECRET_ENV = {
    "opsgenie": "ONCALL_OPSGENIE_API_KEY",
    "statuspage": "ONCALL_STATUSPAGE_API_KEY",
    "slack": "ONCALL_SLACK_TOKEN",
}
PROVIDERS = tuple(SECRET_ENV)


@dataclass(frozen=True, slots=True)
class Value:
    value: Any
    source: Source


@dataclass(frozen=True)
class Settings:
    """The effective settings of one profile, each with its source."""

    profile: str
    path: Path
    values: Mapping[str, Value] = field(default_factory=dict)

    @property
    def sandbox(self) -> bool:
        return self.profile == SANDBOX_PROFILE

    def get(self, key: str) -> Any:
        return self.values[key].value

    def text(self, key: str) -> str:
        return str(self.values[key].value)

    def number(self, key: str) -> int:
        return int(self.values[key].value)

    def source(self, key: str) -> Source:
        return self.values[key].source

    @property
    def opsgenie_url(self) -> str:
        return self.text("opsgenie.url") or OPSGENIE_REGIONS[self.text("opsgenie.region")]

    @property
    def schedule_name(self) -> str:
        return self.text("opsgenie.schedule") or f"{self.text('opsgenie.team')}_schedule"


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("ONCALL_CONFIG"):
        return Path(env["ONCALL_CONFIG"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("oncall")) / "config.toml"


def read_file(path: Path) -> dict[str, Any]:
    """Parse the config file; a missing file is empty, a broken one names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML: {exc}", hint=f"Fix the line it names in {path}, or move the file away."
        ) from exc


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _checked(key: str, raw: Any, where: str) -> Any:
    setting = SETTINGS_BY_KEY.get(key)
    if setting is None:
        known = ", ".join(SETTINGS_BY_KEY)
        raise ConfigError(f"{where}: unknown setting {key!r}", hint=f"Known settings: {known}.")
    try:
        return setting.parse(raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {key}: {exc}") from exc


def _sandbox_values() -> dict[str, Any]:
    return {
        "opsgenie.url": f"{SANDBOX_BASE_URL}/opsgenie",
        "statuspage.url": f"{SANDBOX_BASE_URL}/statuspage",
        "slack.url": f"{SANDBOX_BASE_URL}/slack",
        "statuspage.page_id": "sandboxpage001",
        "opsgenie.service": "Artsy",
    }


def load_settings(
    *,
    profile: str | None = None,
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    new_profile: bool = False,
) -> Settings:
    """Resolve every setting for `profile` from defaults, the file, the environment and flags.

    `new_profile` allows a profile the file does not have yet (`config init` creates it).
    """
    env = os.environ if env is None else env
    profile = profile or env.get("ONCALL_PROFILE") or "default"
    path = path or default_config_path(env)
    data = read_file(path)
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: [profiles] must be a table of profiles")
    values: dict[str, Value] = {s.key: Value(s.default, "default") for s in SETTINGS}
    if profile == SANDBOX_PROFILE:
        for key, raw in _sandbox_values().items():
            values[key] = Value(raw, "sandbox")
    table = profiles.get(profile)
    if table is None and not new_profile and profile not in ("default", SANDBOX_PROFILE):
        names = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(
            f"{path}: no profile {profile!r} (profiles: {names})",
            hint=f"Create it with `oncall --profile {profile} config init`.",
        )
    for key, raw in _flatten(table or {}).items():
        values[key] = Value(_checked(key, raw, f"{path} [profiles.{profile}]"), "file")
    if profile != SANDBOX_PROFILE:
        for setting in SETTINGS:
            if setting.env and env.get(setting.env):
                values[setting.key] = Value(_checked(setting.key, env[setting.env], setting.env), "env")
    for key, raw in (flags or {}).items():
        if raw is not None:
            values[key] = Value(_checked(key, raw, f"flag for {key}"), "flag")
    return Settings(profile=profile, path=path, values=values)


def write_file(path: Path, data: Mapping[str, Any]) -> None:
    """Write the config atomically (temp file + rename) with mode 0600."""
    import tomli_w

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            tomli_w.dump(dict(data), handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def set_value(path: Path, profile: str, key: str, raw: str) -> Any:
    """Set one key of one profile in the file, keeping everything else; returns the checked value."""
    if profile == SANDBOX_PROFILE:
        raise UsageError("the built-in sandbox profile cannot be changed", hint="Use another --profile.")
    value = _checked(key, raw, "oncall config set")
    data = read_file(path)
    table = data.setdefault("profiles", {}).setdefault(profile, {})
    *parents, leaf = key.split(".")
    for part in parents:
        table = table.setdefault(part, {})
    table[leaf] = value
    write_file(path, data)
    return value


def weekday_index(name: str) -> int:
    return WEEKDAYS.index(name)
