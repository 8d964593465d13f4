"""`oncall config`: create, show and change profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncall_cli.cli import common
from oncall_cli.cli import completion as complete
from oncall_cli.cli.common import JsonOpt, output, settings, state

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(no_args_is_help=True, help="Create, show and change configuration profiles.")

# (flag, setting key) pairs offered by `config init`; prompts ask for the same keys in this order.
INIT_KEYS = (
    ("backend", "backend"),
    ("region", "opsgenie.region"),
    ("jira-url", "jira.url"),
    ("jsm-email", "jsm.email"),
    ("org-id", "jsm.org_id"),
    ("team", "opsgenie.team"),
    ("schedule", "opsgenie.schedule"),
    ("service", "opsgenie.service"),
    ("page-id", "statuspage.page_id"),
    ("incidents-channel", "slack.incidents_channel"),
    ("announce-channel", "slack.announce_channel"),
    ("alerts-channel", "slack.alerts_channel"),
    ("me", "me"),
    ("timezone", "timezone"),
)
SERVICE_KEYS = {"opsgenie": "opsgenie.service", "jsm": "jsm.service_desk", "pagerduty": "pagerduty.service"}
"""`--service` is where incidents are raised: a setting of each backend's own."""


def _init_key(key: str, backend: str) -> str:
    """The setting an INIT_KEYS key writes on `backend` (`--service` writes that backend's own)."""
    return SERVICE_KEYS.get(backend, key) if key == "opsgenie.service" else key


def _answer_checker(key: str) -> Any:
    """A prompt's value_proc: the checked value, or Click's usage error, which makes the prompt ask again."""
    from typer._click.exceptions import UsageError as ClickUsageError  # Typer vendors Click

    from oncall_cli.config import SETTINGS_BY_KEY

    def check(text: str) -> Any:
        try:
            return SETTINGS_BY_KEY[key].parse(text)
        except (ValueError, TypeError) as exc:
            raise ClickUsageError(f"{key}: {exc}") from None

    return check


@app.command("init")
def init(
    ctx: typer.Context,
    backend: Annotated[
        str | None,
        typer.Option(
            help="The on-call service: opsgenie, jsm or pagerduty.", autocompletion=complete.backends
        ),
    ] = None,
    region: Annotated[str | None, typer.Option(help="Opsgenie region: us or eu.")] = None,
    jira_url: Annotated[
        str | None, typer.Option("--jira-url", help="JSM: the Jira site, https://<site>.atlassian.net.")
    ] = None,
    jsm_email: Annotated[
        str | None, typer.Option("--jsm-email", help="JSM: the Atlassian account email of the API token.")
    ] = None,
    org_id: Annotated[
        str | None, typer.Option("--org-id", help="JSM: the Atlassian organisation id.")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Team name (Atlassian team on JSM).")] = None,
    schedule: Annotated[str | None, typer.Option(help="Schedule name.")] = None,
    service: Annotated[
        str | None,
        typer.Option(help="Where incidents go: the Opsgenie or PagerDuty service, the JSM service desk."),
    ] = None,
    page_id: Annotated[str | None, typer.Option("--page-id", help="Statuspage page id.")] = None,
    incidents_channel: Annotated[str | None, typer.Option(help="Slack incidents channel.")] = None,
    announce_channel: Annotated[str | None, typer.Option(help="Slack announce channel.")] = None,
    alerts_channel: Annotated[str | None, typer.Option(help="Slack alerts channel.")] = None,
    me: Annotated[str | None, typer.Option(help="My username on the on-call service (email).")] = None,
    timezone: Annotated[str | None, typer.Option(help="Schedule time zone (IANA).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="No prompts: flags and defaults only.")] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Create or update a profile, by prompts or (for scripts) by flags.

    Example: oncall config init --team Engineering --page-id abc123 --me ada@example.com --yes

    JSM: oncall --profile jsm config init --backend jsm --jira-url https://acme.atlassian.net
    --jsm-email ada@example.com --org-id ORG --team Engineering --me ada@example.com --yes
    """
    from oncall_cli.config import SANDBOX_FIXED, SETTINGS_BY_KEY, check_value, read_file, write_file

    out = output(ctx, json_mode)
    current = settings(ctx, new_profile=True, creates_file=True)
    given: dict[str, Any] = {
        "backend": backend,
        "jira.url": jira_url,
        "jsm.email": jsm_email,
        "jsm.org_id": org_id,
        "opsgenie.region": region,
        "opsgenie.team": team,
        "opsgenie.schedule": schedule,
        "opsgenie.service": service,
        "statuspage.page_id": page_id,
        "slack.incidents_channel": incidents_channel,
        "slack.announce_channel": announce_channel,
        "slack.alerts_channel": alerts_channel,
        "me": me,
        "timezone": timezone,
    }
    interactive = not yes and not state(ctx).yes and not json_mode and common.can_prompt(ctx)
    # Each flag is checked before anything is asked, naming the flag (not "flag for timezone").
    for flag, key in INIT_KEYS:
        if given[key] is not None:
            target = _init_key(key, str(given["backend"] or current.backend))
            given[key] = check_value(target, given[key], f"--{flag}", hint=f"Fix the value of --{flag}.")
    chosen: dict[str, Any] = {}
    for _flag, given_key in INIT_KEYS:
        value = given[given_key]
        # Ask only about the chosen backend: the region is Opsgenie's, the site and account JSM's.
        on = str(chosen.get("backend", current.backend)).strip().lower()
        key = _init_key(given_key, on)
        other_backend = (key == "opsgenie.region" and on != "opsgenie") or (
            key.startswith(("jira.", "jsm.")) and on != "jsm"
        )
        if value is None and interactive and not other_backend and not (
            current.sandbox and key in SANDBOX_FIXED
        ):
            # Each answer is checked as it is given; a bad one is explained and asked again.
            value = typer.prompt(
                f"{key} ({SETTINGS_BY_KEY[key].help or 'value'})",
                default=str(current.get(key)),
                show_default=True,
                err=True,
                value_proc=_answer_checker(key),
            )
        if value is not None:
            chosen[key] = value
    # Validate everything before writing anything.
    checked = settings(ctx, flags=chosen, new_profile=True, creates_file=True)
    data = read_file(current.path)
    table = data.setdefault("profiles", {}).setdefault(current.profile, {})
    for key in chosen:
        node = table
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = checked.get(key)
    write_file(current.path, data)
    result = {
        "path": str(current.path),
        "profile": current.profile,
        "written": {k: checked.get(k) for k in chosen},
    }
    out.result(
        result,
        lambda c: c.print(
            f"Wrote profile [bold]{current.profile}[/] to {current.path}. Next: `oncall auth login`."
        ),
    )


@app.command("show")
def show(ctx: typer.Context, json_mode: JsonOpt = False) -> None:
    """Show every effective setting and where it came from (default, file, env, flag); secrets redacted.

    `effective` is the value commands use: an empty opsgenie.url comes from
    opsgenie.region, an empty opsgenie.schedule from opsgenie.team.

    Example: oncall config show --json
    """
    from oncall_cli import credentials

    out = output(ctx, json_mode)
    found = settings(ctx)
    deps = state(ctx).deps
    env = deps.env if deps is not None else None
    rows = [
        {"key": k, "value": v.value, "source": v.source, "effective": found.effective(k)}
        for k, v in found.values.items()
    ]
    secrets = []
    for provider in found.providers:
        cred = credentials.read(found.profile, provider, env, sandbox=found.sandbox)
        secrets.append({"provider": provider, "value": "***" if cred.secret else None, "source": cred.source})
    data = {"profile": found.profile, "path": str(found.path), "settings": rows, "credentials": secrets}

    def render(console: Console) -> None:
        from rich.table import Table

        table = Table(title=f"profile {found.profile} ({found.path})")
        for col in ("setting", "value", "source"):
            table.add_column(col)
        for row in rows:
            derived = found.derived_from(row["key"])
            source = f"{row['source']} (from {derived})" if derived else row["source"]
            table.add_row(row["key"], str(row["effective"]), source)
        for sec in secrets:
            table.add_row(f"{sec['provider']} credential", sec["value"] or "(missing)", sec["source"])
        console.print(table)

    out.result(data, render)


@app.command("profiles")
def profiles(ctx: typer.Context, json_mode: JsonOpt = False) -> None:
    """List the profiles of the configuration file; the one in use is marked.

    Example: oncall config profiles
    """
    from oncall_cli.config import CURRENT_PROFILE_KEY, SANDBOX_PROFILE, read_file

    out = output(ctx, json_mode)
    found = settings(ctx, new_profile=True)
    data = read_file(found.path)
    # The sandbox's table is not a profile `config use` can choose; it is listed (and marked in use) only
    # under --sandbox, which is how it is chosen.
    names = sorted((set(data.get("profiles", {})) | {"default"}) - {SANDBOX_PROFILE})
    if found.profile == SANDBOX_PROFILE:
        names.append(SANDBOX_PROFILE)
    chosen = data.get(CURRENT_PROFILE_KEY) or "default"
    rows = [{"name": n, "current": n == found.profile, "default": n == chosen} for n in names]
    result = {"path": str(found.path), "current": found.profile, "profiles": rows}

    def render(console: Console) -> None:
        from rich.markup import escape

        for row in rows:
            mark = "*" if row["current"] else " "
            note = " (chosen by `config use`)" if row["default"] and chosen != "default" else ""
            if row["name"] == SANDBOX_PROFILE:
                note = " (--sandbox)"
            console.print(f"{mark} {escape(str(row['name']))}{note}")

    out.result(result, render)


@app.command("use")
def use(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The profile to use from now on.")],
    json_mode: JsonOpt = False,
) -> None:
    """Make a profile the one commands use when neither --profile nor ONCALL_PROFILE names one.

    Example: oncall config use jsm
    """
    from oncall_cli.config import CURRENT_PROFILE_KEY, SANDBOX_PROFILE, read_file, write_file
    from oncall_cli.errors import ConfigError, UsageError

    out = output(ctx, json_mode)
    found = settings(ctx, new_profile=True)  # a chosen profile since deleted must not block choosing again
    if name == SANDBOX_PROFILE:
        raise UsageError("NAME: the sandbox is chosen with --sandbox, not `config use`")
    data = read_file(found.path)
    known = set(data.get("profiles", {})) | {"default"}
    if name not in known:
        raise ConfigError(
            f"NAME: no profile {name!r} in {found.path} (profiles: {', '.join(sorted(known))})",
            hint=f"Create it with `oncall --profile {name} config init`.",
        )
    if name == "default":
        data.pop(CURRENT_PROFILE_KEY, None)
    else:
        data[CURRENT_PROFILE_KEY] = name
    write_file(found.path, data)
    out.result(
        {"path": str(found.path), "current": name},
        lambda c: c.print(f"Using profile {name} from now on (--profile and ONCALL_PROFILE still win)."),
    )


@app.command("set")
def set_(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Setting key, e.g. opsgenie.team.")],
    value: Annotated[str, typer.Argument(help="New value.")],
    json_mode: JsonOpt = False,
) -> None:
    """Set one setting of the profile in the configuration file.

    Example: oncall config set statuspage.page_id abc123
    """
    from oncall_cli.config import set_value

    out = output(ctx, json_mode)
    found = settings(ctx)
    checked = set_value(found.path, found.profile, key, value)
    out.result(
        {"profile": found.profile, "key": key, "value": checked, "path": str(found.path)},
        lambda c: c.print(f"{key} = {checked!r} in profile {found.profile}"),
    )
