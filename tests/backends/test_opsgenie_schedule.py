"""The Opsgenie schedule store behind the `ScheduleStore` port: the timeline's one request.

A handler over `httpx.MockTransport` plays Opsgenie and records what was asked."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from oncall_cli.clients.opsgenie import OpsgenieClient
from oncall_cli.services.backends.opsgenie import OpsgenieSchedule

API = "https://api.opsgenie.com"
NEW_YORK = ZoneInfo("America/New_York")


def test_the_timeline_window_across_the_dst_end_covers_the_whole_span() -> None:
    asked: list[httpx.Request] = []

    def opsgenie(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json={"data": {"finalTimeline": {"rotations": []}}, "requestId": "r"})

    http = httpx.Client(transport=httpx.MockTransport(opsgenie))
    store = OpsgenieSchedule(
        OpsgenieClient(http, api_key="k", base_url=API), schedule="Engineering_schedule", fallback_tz="UTC"
    )
    # `schedule stats`'s default window: 26 weeks back, in the schedule's zone, across the November change.
    end = datetime(2026, 12, 7, 11, 0, tzinfo=NEW_YORK)
    start = end - timedelta(weeks=26)
    assert (end - start).days == 182  # wall-clock subtraction in one zone: an hour short of the real span
    store.timeline(start, end)
    (request,) = asked
    # 182 days and 1 hour: 183 days, or the last hour of the window is never asked for.
    assert request.url.params["interval"] == "183"
    assert request.url.params["intervalUnit"] == "days"
