"""An unreachable PagerDuty is a bad `pagerduty.url`: shared by the schedule and incident adapters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from oncall_cli.errors import ConfigError, UnavailableError

if TYPE_CHECKING:
    from oncall_cli.clients.pagerduty import PagerDutyClient


@contextmanager
def reachable(client: PagerDutyClient) -> Iterator[None]:
    """An unreachable API (no answer at all) is a bad `pagerduty.url`: exit 3 naming the setting."""
    try:
        yield
    except UnavailableError as exc:
        if "status" in exc.details:
            raise
        raise ConfigError(
            f"pagerduty.url: cannot reach PagerDuty at {client.base_url} ({exc.message})",
            hint="Check pagerduty.url (https://api.pagerduty.com, or ONCALL_PAGERDUTY_URL) and the network.",
            details=exc.details,
        ) from exc
