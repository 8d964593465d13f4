"""The use cases' view of the world: settings, the clock, and lazily built clients over one transport.

`Deps` is what the shell injects. Production uses the defaults; the sandbox swaps in the emulator's
in-process transport; tests pass their own transport, clock and sleep.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

from oncall_cli.config import Settings
from oncall_cli.errors import ConfigError

# httpx, pydantic (through credentials) and the clients are imported by the first command that talks to a
# service, not by every command: `schedule new --roster --start` and the config commands never need them.
if TYPE_CHECKING:
    import httpx

    from oncall_cli.clients._http import RetryPolicy, Runtime
    from oncall_cli.clients.jira import JiraClient
    from oncall_cli.clients.jira_issues import JiraIssuesClient
    from oncall_cli.clients.jsm import JsmOpsClient
    from oncall_cli.clients.jsm_incidents import JsmIncidentsClient
    from oncall_cli.clients.opsgenie import OpsgenieClient
    from oncall_cli.clients.pagerduty import PagerDutyClient
    from oncall_cli.clients.pagerduty_incidents import PagerDutyIncidentsClient
    from oncall_cli.clients.slack import SlackClient
    from oncall_cli.clients.statuspage import StatuspageClient
    from oncall_cli.sandbox.emulator import Emulator
    from oncall_cli.services.ports import Alerts, Directory, IncidentTracker, ScheduleStore, Tickets


T = TypeVar("T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _AtlassianArgs(TypedDict):
    """What every Atlassian client is built with: the shared transport and runtime, the `jsm` credential."""

    http: httpx.Client
    email: str
    api_token: str
    runtime: Runtime


@dataclass
class Deps:
    """Injected effects. Every field has a production default."""

    transport: httpx.BaseTransport | None = None
    emulator: Emulator | None = None
    now: Callable[[], datetime] = _utcnow
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    env: Mapping[str, str] | None = None
    state_dir: str | None = None
    policy: RetryPolicy | None = None
    """The retry policy of every client (None: `RetryPolicy()`, the default)."""
    extra: dict[str, Any] = field(default_factory=dict)
    page: Callable[[str], None] | None = None
    """Shows a long result on a terminal (None: ONCALL_PAGER, PAGER or `less -FRX`)."""
    open_url: Callable[[str], object] | None = None
    """Opens a page for `--web` (None: the `webbrowser` module)."""


class Context:
    """Settings and clients for one command run; clients share one httpx.Client and one runtime."""

    def __init__(self, settings: Settings, deps: Deps) -> None:
        self.settings = settings
        self.deps = deps
        self._schedules: dict[str, ScheduleStore] = {}
        self._once: dict[str, Any] = {}
        self._once_locks: dict[str, threading.Lock] = {}
        self._once_lock = threading.Lock()

    def now(self) -> datetime:
        return self.deps.now()

    def once(self, key: str, read: Callable[[], T]) -> T:
        """`read()` at most once per run for `key`, whatever step or thread asks first (the others wait for
        its answer); a failed read is not kept, so the next caller reads again."""
        with self._once_lock:
            lock = self._once_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._once:
                self._once[key] = read()
            return cast(T, self._once[key])

    def forget(self, key: str) -> None:
        """Drop what `once` kept for `key` (after a write that changes it)."""
        with self._once_lock:
            self._once.pop(key, None)

    @cached_property
    def runtime(self) -> Runtime:
        from oncall_cli.clients._http import RetryPolicy, Runtime

        d = self.deps
        policy = d.policy if d.policy is not None else RetryPolicy()
        return Runtime(
            sleep=d.sleep, clock=d.clock, wall=lambda: d.now().timestamp(), rng=d.rng, policy=policy
        )

    @cached_property
    def emulator(self) -> Emulator:
        """The sandbox emulator: injected by tests, else the persistent one in the user data dir."""
        d = self.deps
        if d.emulator is None:
            from oncall_cli.sandbox.emulator import Emulator, default_db_path

            d.emulator = Emulator(default_db_path(), now=d.now, clock=d.clock, sleep=d.sleep)
        return d.emulator

    @cached_property
    def http(self) -> httpx.Client:
        import httpx

        transport = self.deps.transport
        if transport is None and self.settings.sandbox:
            transport = self.emulator.transport()
        return httpx.Client(transport=transport, follow_redirects=False)

    def secret(self, provider: str) -> str:
        from oncall_cli import credentials

        return credentials.require(
            self.settings.profile, provider, self.deps.env, sandbox=self.settings.sandbox
        ).get_secret_value()

    @cached_property
    def opsgenie(self) -> OpsgenieClient:
        from oncall_cli.clients.opsgenie import OpsgenieClient

        return OpsgenieClient(
            self.http,
            api_key=self.secret("opsgenie"),
            base_url=self.settings.opsgenie_url,
            runtime=self.runtime,
        )

    @cached_property
    def pagerduty(self) -> PagerDutyClient:
        """The PagerDuty REST API (`pagerduty.url`); writes that act for a person send `pagerduty.from`."""
        from oncall_cli.clients.pagerduty import PagerDutyClient

        return PagerDutyClient(
            self.http,
            api_key=self.secret("pagerduty"),
            base_url=self.settings.text("pagerduty.url"),
            from_email=self.settings.pagerduty_from,
            runtime=self.runtime,
        )

    @cached_property
    def pagerduty_incidents(self) -> PagerDutyIncidentsClient:
        """PagerDuty's incidents: the same API, account and `From` as `pagerduty`."""
        from oncall_cli.clients.pagerduty_incidents import PagerDutyIncidentsClient

        return PagerDutyIncidentsClient(
            self.http,
            api_key=self.secret("pagerduty"),
            base_url=self.settings.text("pagerduty.url"),
            from_email=self.settings.pagerduty_from,
            runtime=self.runtime,
        )

    @cached_property
    def statuspage(self) -> StatuspageClient:
        from oncall_cli.clients.statuspage import StatuspageClient

        base_url = self.settings.text("statuspage.url")
        return StatuspageClient(
            self.http,
            api_key=self.secret("statuspage"),
            page_id=self.settings.text("statuspage.page_id") or None,
            base_url=base_url,
            runtime=self.runtime,
            pacer_file=self.state_file("statuspage-pacer", base_url),
        )

    @cached_property
    def state_dir(self) -> Path:
        """`Deps.state_dir`, else `platformdirs.user_state_dir("oncall")` (the journal's folder), 0700."""
        from oncall_cli.private_files import private_dir
        from oncall_cli.services.journal import default_state_dir

        path = Path(self.deps.state_dir) if self.deps.state_dir else default_state_dir()
        with contextlib.suppress(OSError):  # whoever opens a file there says what is wrong (or does without)
            private_dir(path)
        return path

    def state_file(self, kind: str, *key: str) -> Path:
        """A file of state shared by every run on this machine, one per `key` (e.g. a service's URL)."""
        import hashlib

        digest = hashlib.sha256("\n".join(key).encode()).hexdigest()[:16]
        return self.state_dir / f"{kind}-{digest}"

    @cached_property
    def slack(self) -> SlackClient:
        from oncall_cli.clients.slack import SlackClient

        return SlackClient(
            self.http,
            token=self.secret("slack"),
            base_url=self.settings.text("slack.url"),
            runtime=self.runtime,
        )

    @cached_property
    def jira(self) -> JiraClient:
        """The Jira site (`jira.url`): people and their properties."""
        from oncall_cli.clients.jira import JiraClient

        return JiraClient(**self._atlassian(), base_url=self.jira_url)

    @cached_property
    def jira_issues(self) -> JiraIssuesClient:
        """The Jira site's work items: JSM incidents and follow-up tickets."""
        from oncall_cli.clients.jira_issues import JiraIssuesClient

        return JiraIssuesClient(**self._atlassian(), base_url=self.jira_url)

    @cached_property
    def jsm_incidents(self) -> JsmIncidentsClient:
        """The JSM Incident API (beta) on the Atlassian gateway: responders and stakeholders."""
        from oncall_cli.clients.jsm_incidents import JsmIncidentsClient

        return JsmIncidentsClient(
            **self._atlassian(), base_url=self.settings.text("atlassian.api_url"), cloud_id=self.cloud_id
        )

    @cached_property
    def jsm_ops(self) -> JsmOpsClient:
        """JSM Operations on the Atlassian API gateway, for the site's cloud id."""
        from oncall_cli.clients.jsm import JsmOpsClient

        return JsmOpsClient(
            **self._atlassian(), base_url=self.settings.text("atlassian.api_url"), cloud_id=self.cloud_id
        )

    @cached_property
    def cloud_id(self) -> str:
        """`jsm.cloud_id`, else looked up once from the site's `/_edge/tenant_info` and saved to the
        profile so later runs skip the round trip."""
        known = self.settings.text("jsm.cloud_id").strip()
        if known:
            return known
        from oncall_cli.config import set_value
        from oncall_cli.errors import NotFoundError, UnavailableError

        try:
            found = self.jira.tenant_info()
        except UnavailableError as exc:
            raise ConfigError(
                f"jira.url: cannot reach {self.jira_url} to look up its cloud id ({exc.message})",
                hint="Check jira.url (https://<site>.atlassian.net) and the network.",
            ) from exc
        except NotFoundError as exc:
            raise ConfigError(
                f"jira.url: {self.jira_url} has no Atlassian cloud id (/_edge/tenant_info not found)",
                hint="Check jira.url: it is your site, https://<site>.atlassian.net.",
            ) from exc
        if not self.settings.sandbox:
            set_value(self.settings.path, self.settings.profile, "jsm.cloud_id", found)
        return found

    @property
    def jira_url(self) -> str:
        """The Jira site (`jira.url`); a ConfigError saying how to set it when it is not set."""
        url = self.settings.text("jira.url").strip()
        if not url:
            raise ConfigError(
                "jira.url is not set: the Jira site is needed for Jira Service Management",
                hint="Set it with `oncall config set jira.url https://<site>.atlassian.net` "
                "(or ONCALL_JIRA_URL).",
            )
        return url

    def _atlassian(self) -> _AtlassianArgs:
        """The arguments the Atlassian clients share; the email is checked before the token is looked up."""
        return _AtlassianArgs(
            http=self.http, email=self._jsm_email(), api_token=self.secret("jsm"), runtime=self.runtime
        )

    def _jsm_email(self) -> str:
        email = self.settings.text("jsm.email").strip()
        if not email:
            raise ConfigError(
                "jsm.email is not set: the Atlassian API token goes with its account's email",
                hint="Set it with `oncall config set jsm.email you@example.com` (or ONCALL_JSM_EMAIL).",
            )
        return email

    # ---- the ports: chosen once from the `backend` setting -----------------------------------------

    @cached_property
    def directory(self) -> Directory:
        """The people of the on-call service and the team."""
        from oncall_cli.services.backends import open_directory

        return open_directory(self)

    @cached_property
    def incidents(self) -> IncidentTracker:
        """Where the team's incidents are tracked: Opsgenie incidents, or JSM's Jira work items."""
        from oncall_cli.services.backends import open_incidents

        return open_incidents(self)

    @cached_property
    def alerts(self) -> Alerts:
        """The alerts of the on-call service: Opsgenie alerts, or JSM Operations alerts."""
        from oncall_cli.services.backends import open_alerts

        return open_alerts(self)

    @cached_property
    def tickets(self) -> Tickets:
        """Follow-up tickets in Jira, on either backend."""
        from oncall_cli.services.backends import open_tickets

        return open_tickets(self)

    def schedule_store(self, name: str | None = None) -> ScheduleStore:
        """The profile's schedule (or the one named) on the on-call service; one store per name per run."""
        key = name or self.settings.schedule_name
        if key not in self._schedules:
            from oncall_cli.services.backends import open_schedule

            self._schedules[key] = open_schedule(self, key)
        return self._schedules[key]

    def close(self) -> None:
        if "http" in self.__dict__:
            self.http.close()
