"""Profiles and settings: where files live, what each setting defaults to, and where its value came from.

Precedence, lowest first: default < file (`[profiles.NAME]`) < environment < flag (`--set KEY=VALUE` and a
command's own options). Secrets are never read from or written to the file: they come from the environment
or the OS keyring (`credentials.py`). The sandbox profile fixes its endpoints (`SANDBOX_FIXED`) above all
of these, so practice can never reach production.
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
SANDBOX_CLOUD_ID = "a1b2c3d4-0000-4000-8000-00000000c10d"
"""The emulated Jira site's cloud id (its `/_edge/tenant_info`) and Atlassian organisation id."""
SANDBOX_ORG_ID = "a1b2c3d4-0000-4000-8000-0000000000a9"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BACKENDS = ("opsgenie", "jsm", "pagerduty")
"""The on-call services a profile can use (setting `backend`)."""
OPSGENIE_REGIONS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}


def _as_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


# The same shape the incident commands accept for a person (services/incident/common.py).
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


def _as_optional_email(value: Any) -> str:
    """An email address, or empty for "not set yet" (`me` until `config init`)."""
    text = _as_str(value).strip()
    if text and not _EMAIL.match(text):
        raise ValueError(f"{text!r} is not an email address")
    return text


def _as_name(value: Any) -> str:
    """A name that must not be empty (the team: every schedule and rotation is found through it)."""
    text = _as_str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _as_url(value: Any) -> str:
    """An http(s) URL with a host, e.g. https://api.eu.opsgenie.com or http://127.0.0.1:8765/slack."""
    from urllib.parse import urlsplit

    text = _as_str(value).strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"expected an http:// or https:// URL with a host, got {text!r}")
    return text


def _as_optional_url(value: Any) -> str:
    """A URL, or empty for "derived from another setting" (opsgenie.url from opsgenie.region)."""
    text = _as_str(value).strip()
    return _as_url(text) if text else ""


def _as_channel_template(value: Any) -> str:
    """A Slack channel name template: `{number}` required, `{slug}` and `{date}` optional."""
    import string

    text = _as_str(value).strip()
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise ValueError(f"not a template: {exc}") from None
    unknown = fields - {"number", "slug", "date"}
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}; use {{number}}, {{slug}}, {{date}}")
    if "number" not in fields:
        raise ValueError("must contain {number}, so each incident gets its own channel")
    return text


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ValueError("expected a whole number")


def _as_count(value: Any) -> int:
    """A number of days or weeks: a whole number, never negative (`min_gap_weeks=-3` means nothing)."""
    number = _as_int(value)
    if number < 0:
        raise ValueError(f"expected a whole number, 0 or more, got {number}")
    return number


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


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _as_str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ValueError("expected true or false")


def _as_pair_policy(value: Any) -> str:
    text = _as_str(value).strip().lower()
    if text not in ("avoid", "ignore"):
        raise ValueError("expected avoid or ignore")
    return text


def _as_region(value: Any) -> str:
    text = _as_str(value).strip().lower()
    if text not in OPSGENIE_REGIONS:
        raise ValueError("expected us or eu")
    return text


def _as_backend(value: Any) -> str:
    text = _as_str(value).strip().lower()
    if text not in BACKENDS:
        raise ValueError(f"expected one of {', '.join(BACKENDS)}")
    return text


def _as_priority_names(value: Any) -> str:
    items = value if isinstance(value, list) else _as_str(value).split(",")
    names = [str(v).strip() for v in items]
    if len(names) != 5 or not all(names):
        raise ValueError("expected five priority names for P1-P5, e.g. Highest,High,Medium,Low,Lowest")
    return ",".join(names)


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
    Setting("sandbox", False, _as_bool, help="true: this profile practises on the built-in emulator"),
    Setting(
        "backend", "opsgenie", _as_backend, "ONCALL_BACKEND", "the on-call service: opsgenie, jsm, pagerduty"
    ),
    Setting("opsgenie.region", "us", _as_region, help="us or eu; picks the default Opsgenie URL"),
    Setting(
        "opsgenie.url",
        "",
        _as_optional_url,
        "ONCALL_OPSGENIE_URL",
        "Opsgenie API base URL (default: from region)",
    ),
    Setting("opsgenie.team", "Engineering", _as_name, help="the team whose on-call this is"),
    Setting("opsgenie.schedule", "", help="the team's schedule name (default: <team>_schedule)"),
    Setting("opsgenie.service", "", help="the impacted service for incidents"),
    Setting(
        "atlassian.api_url",
        "https://api.atlassian.com",
        _as_url,
        "ONCALL_ATLASSIAN_API_URL",
        "Atlassian API gateway (JSM Operations)",
    ),
    Setting("jira.url", "", _as_optional_url, "ONCALL_JIRA_URL", "the Jira site, https://<site>.atlassian.net"),
    Setting("jsm.email", "", _as_str, "ONCALL_JSM_EMAIL", "Atlassian account email for the JSM API token"),
    Setting("jsm.cloud_id", "", _as_str, "ONCALL_JSM_CLOUD_ID", "site cloud id (looked up once when empty)"),
    Setting("jsm.org_id", "", _as_str, "ONCALL_JSM_ORG_ID", "Atlassian organisation id (team membership)"),
    Setting("jsm.team", "", help="the Atlassian team (default: opsgenie.team)"),
    Setting("jira.followup_project", "", help="the Jira project of follow-up tickets (incident followup)"),
    Setting("jsm.service_desk", "", help="the incidents' service desk, by project key or name"),
    Setting("jsm.incident_type", "Incident", help="the request type incidents are raised with"),
    Setting(
        "jsm.priorities",
        "Highest,High,Medium,Low,Lowest",
        _as_priority_names,
        help="the site's priority names for P1,P2,P3,P4,P5",
    ),
    Setting("jsm.schedule", "", help="the JSM schedule (default: opsgenie.schedule's effective value)"),
    Setting(
        "pagerduty.url",
        "https://api.pagerduty.com",
        _as_url,
        "ONCALL_PAGERDUTY_URL",
        "PagerDuty REST API base URL",
    ),
    Setting("pagerduty.from", "", help="the PagerDuty user (email) writes act for: From (default: me)"),
    Setting("pagerduty.service", "", help="the PagerDuty service incidents are raised on"),
    Setting("statuspage.url", "https://api.statuspage.io", _as_url, "ONCALL_STATUSPAGE_URL"),
    Setting("statuspage.page_id", "", _as_str, "ONCALL_STATUSPAGE_PAGE_ID"),
    Setting(
        "statuspage.min_update_minutes",
        10,
        _as_int,
        help="a public update this soon after the previous one asks first (or needs --force)",
    ),
    Setting("slack.url", "https://slack.com/api", _as_url, "ONCALL_SLACK_URL"),
    Setting("slack.incidents_channel", "incidents"),
    Setting("slack.announce_channel", "dev"),
    Setting("slack.alerts_channel", "alerts"),
    Setting(
        "slack.channel_name",
        "inc-{number}-{slug}",
        _as_channel_template,
        help="incident channel names: {number}, {slug}, {date} (at most 80 characters)",
    ),
    Setting(
        "slack.review_channel", "", help="where incident reviews are posted (default: the announce channel)"
    ),
    Setting("me", "", _as_optional_email, help="my Opsgenie username (email), for --me and reminders"),
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
    Setting("new_hire_days", 60, _as_count, help="a first shift starts more than this many days after start"),
    Setting("new_engineer_days", 90, _as_count, help="started within this many days before a round = new"),
    Setting("min_gap_weeks", 4, _as_count, help="weeks from a last shift of a round to a first of the next"),
    Setting(
        "pair_same_team",
        "avoid",
        _as_pair_policy,
        help="avoid: no two engineers of one product team on call together when avoidable (R13); ignore",
    ),
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
    "jsm": "ONCALL_JSM_API_TOKEN",
    "pagerduty": "ONCALL_PAGERDUTY_API_KEY",
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
        """The built-in `sandbox` profile, or a profile of the file with `sandbox = true` (e.g. a JSM one)."""
        return self.profile == SANDBOX_PROFILE or bool(self.values["sandbox"].value)

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
    def backend(self) -> str:
        return self.text("backend")

    @property
    def providers(self) -> tuple[str, ...]:
        """The credentials this profile uses: its backend's, Statuspage's and Slack's (and the JSM one for
        Jira follow-ups on an Opsgenie profile that names a Jira site)."""
        extra = ("jsm",) if self.backend != "jsm" and self.text("jira.url") else ()
        return (self.backend, "statuspage", "slack", *extra)

    @property
    def team_name(self) -> str:
        """The team whose on-call this is, on the profile's backend (jsm.team falls back to opsgenie.team)."""
        if self.backend == "jsm" and self.text("jsm.team"):
            return self.text("jsm.team")
        return self.text("opsgenie.team")

    @property
    def schedule_name(self) -> str:
        if self.backend == "jsm" and self.text("jsm.schedule"):
            return self.text("jsm.schedule")
        return self.text("opsgenie.schedule") or f"{self.text('opsgenie.team')}_schedule"

    def command(self, args: str) -> str:
        """`oncall ARGS` for this profile, for hints: `oncall --sandbox config set me ...` in the sandbox."""
        if self.profile == SANDBOX_PROFILE:
            return f"oncall --sandbox {args}"
        if self.profile != "default":
            return f"oncall --profile {self.profile} {args}"
        return f"oncall {args}"

    @property
    def pagerduty_from(self) -> str:
        """The email PagerDuty writes act as (`From`): `pagerduty.from`, else `me`."""
        return self.text("pagerduty.from") or self.text("me")

    def effective(self, key: str) -> Any:
        """The value commands use: an empty opsgenie.url or opsgenie.schedule derives from another setting."""
        if key == "pagerduty.from":
            return self.pagerduty_from
        if key == "opsgenie.url":
            return self.opsgenie_url
        if key == "opsgenie.schedule":
            return self.schedule_name
        return self.get(key)

    def derived_from(self, key: str) -> str | None:
        """What an empty derived setting takes its effective value from, e.g. "region us"; else None."""
        if key == "opsgenie.url" and not self.text(key):
            return f"region {self.text('opsgenie.region')}"
        if key == "opsgenie.schedule" and not self.text(key):
            return f"team {self.text('opsgenie.team')}"
        if key == "pagerduty.from" and not self.text(key):
            return "me"
        return None


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("ONCALL_CONFIG"):
        return Path(env["ONCALL_CONFIG"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("oncall")) / "config.toml"


def _read(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: the configuration file is not UTF-8 text (byte {exc.start})",
            hint=f"Save {path} as UTF-8 (TOML files are UTF-8), or move it away.",
        ) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML: {exc}", hint=f"Fix the line it names in {path}, or move the file away."
        ) from exc


def opsgenie_web_base(api_url: str) -> str:
    """Opsgenie's web app for people, from the API base URL: `api.opsgenie.com` -> `app.opsgenie.com`,
    `api.eu.opsgenie.com` -> `app.eu.opsgenie.com`; another host (the sandbox) keeps its own base."""
    from urllib.parse import urlsplit

    host = (urlsplit(api_url).hostname or "").lower()
    if host.startswith("api.") and (host == "api.opsgenie.com" or host.endswith(".opsgenie.com")):
        return f"https://app.{host[4:]}"
    return api_url.rstrip("/")


CURRENT_PROFILE_KEY = "current_profile"
"""Top-level key of the configuration file: the profile `oncall config use` chose."""


def read_file(path: Path) -> dict[str, Any]:
    """Parse the config file; a missing file is empty, a broken one names the file and line."""
    return _read(path)[0]


_HEADER = re.compile(r"^\s*\[(?!\[)\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def key_line(text: str, table: str, key: str) -> int | None:
    """Best effort: the 1-based line of `key` (e.g. "opsgenie.team") under `[table]` in TOML `text`.

    Follows `[table.sub]` headers and dotted keys; an inline table (`opsgenie = {team = "x"}`) gives
    the line it starts on. Multi-line strings can fool it; it is only used to point at a line in errors.
    """
    target = (*_dotted(table), *_dotted(key))
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = _dotted(header.group(1))
            continue
        found = _KEY.match(line)
        if found is None:
            continue
        parts = (*current, *_dotted(found.group(1)))
        if parts == target or (len(parts) < len(target) and target[: len(parts)] == parts and "{" in line):
            return number
    return None


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def check_value(key: str, raw: Any, where: str, hint: str | None = None) -> Any:
    """The parsed value of setting `key`, or a ConfigError that starts with `where` (a flag, a variable)."""
    return _checked(key, raw, where, hint)


def _checked(key: str, raw: Any, where: str, hint: str | None = None) -> Any:
    """The parsed value, or a ConfigError naming where it came from (`where`) and how to fix it (`hint`)."""
    setting = SETTINGS_BY_KEY.get(key)
    if setting is None:
        known = f"Known settings: {', '.join(SETTINGS_BY_KEY)}."
        raise ConfigError(f"{where}: unknown setting {key!r}", hint=f"{hint} {known}" if hint else known)
    try:
        return setting.parse(raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {key}: {exc}", hint=hint) from exc


SANDBOX_FIXED: Mapping[str, str] = {
    "opsgenie.url": f"{SANDBOX_BASE_URL}/opsgenie",
    "statuspage.url": f"{SANDBOX_BASE_URL}/statuspage",
    "slack.url": f"{SANDBOX_BASE_URL}/slack",
    "statuspage.page_id": "sandboxpage001",
    "opsgenie.service": "Artsy",
    "atlassian.api_url": f"{SANDBOX_BASE_URL}/atlassian",
    "jira.url": f"{SANDBOX_BASE_URL}/jira",
    "jsm.cloud_id": SANDBOX_CLOUD_ID,
    "jsm.org_id": SANDBOX_ORG_ID,
    "jsm.email": "sandbox@example.com",
    "pagerduty.url": f"{SANDBOX_BASE_URL}/pagerduty",
    "pagerduty.service": "Artsy",
}
"""What the sandbox profile always uses, whatever the file or a flag says: the emulator's endpoints."""


def _file_value(path: Path, text: str, profile: str, key: str, raw: Any) -> Any:
    try:
        return _checked(key, raw, f"{path} [profiles.{profile}]")
    except ConfigError:
        # Point at the line to edit (`oncall config show` would only fail the same way), then fail again.
        line = key_line(text, f"profiles.{profile}", key)
        at = f"{path} line {line}" if line else str(path)
        return _checked(key, raw, f"{at} [profiles.{profile}]", f"Edit {at}.")


def load_settings(
    *,
    profile: str | None = None,
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    new_profile: bool = False,
) -> Settings:
    """Resolve every setting for `profile` from defaults, the file, the environment and flags.

    `new_profile` allows a profile the file does not have yet (`config init` creates it). The sandbox
    profile reads the file (`[profiles.sandbox]`, e.g. `me`) but not the environment, and its fixed
    endpoints (`SANDBOX_FIXED`) come last: no file or flag can point practice at a real service.
    """
    env = os.environ if env is None else env
    path = path or default_config_path(env)
    data, text = _read(path)
    # `oncall config use NAME` writes `current_profile`: the profile when neither flag nor env names one.
    current = data.get(CURRENT_PROFILE_KEY)
    chosen = current if isinstance(current, str) else ""
    profile = profile or env.get("ONCALL_PROFILE") or chosen or "default"
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: [profiles] must be a table of profiles", hint=f"Edit {path}.")
    values: dict[str, Value] = {s.key: Value(s.default, "default") for s in SETTINGS}
    table = profiles.get(profile)
    if table is None and not new_profile and profile not in ("default", SANDBOX_PROFILE):
        names = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(
            f"{path}: no profile {profile!r} (profiles: {names})",
            hint=f"Create it with `oncall --profile {profile} config init`.",
        )
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [profiles.{profile}] must be a table", hint=f"Edit {path}.")
    for key, raw in _flatten(table or {}).items():
        values[key] = Value(_file_value(path, text, profile, key, raw), "file")
    sandbox = profile == SANDBOX_PROFILE or bool(values["sandbox"].value)
    if not sandbox:
        for setting in SETTINGS:
            if setting.env and env.get(setting.env):
                hint = f"Fix or unset the environment variable {setting.env}."
                values[setting.key] = Value(_checked(setting.key, env[setting.env], setting.env, hint), "env")
    for key, raw in (flags or {}).items():
        if raw is None:
            continue
        checked = _checked(key, raw, f"flag for {key}", "Fix the value given with --set or the option.")
        if sandbox and key in SANDBOX_FIXED and checked != SANDBOX_FIXED[key]:
            raise UsageError(
                f"the sandbox always uses {key} = {SANDBOX_FIXED[key]!r}; it cannot be changed by a flag",
                hint="Drop the flag, or use another --profile.",
            )
        values[key] = Value(checked, "flag")
    sandbox = sandbox or bool(values["sandbox"].value)
    if sandbox:
        for key, fixed in SANDBOX_FIXED.items():
            values[key] = Value(fixed, "sandbox")
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
    """Set one key of one profile in the file, keeping everything else; returns the checked value.

    The sandbox profile's endpoints (`SANDBOX_FIXED`) are refused; its other settings (e.g. `me`) are not.
    """
    if profile == SANDBOX_PROFILE and key in SANDBOX_FIXED:
        raise UsageError(
            f"the sandbox profile always uses {key} = {SANDBOX_FIXED[key]!r} (the built-in emulator); "
            "it cannot be changed",
            hint=f"Set {key} in another profile: `oncall --profile NAME config set {key} VALUE`.",
        )
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
