"""StatuspageClient against respx routes matching the exact request (no network, no patching, no real sleep).

Response bodies use the field names and example values of `statuspage-openapi3.json`.
"""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import httpx
import pytest
import respx

from oncall_cli.clients._http import Runtime
from oncall_cli.clients.statuspage import StatuspageClient, statuspage_error_text
from oncall_cli.errors import (
    AuthError,
    ConfigError,
    ExitCode,
    NotFoundError,
    OncallError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
    UsageError,
)
from oncall_cli.redaction import forget_secrets

from .conftest import FakeClock

KEY = "89a229ce1a8dbcf9ff30430fbe35eb4c0426574bca932061892cefd2138aa4b1"
PAGE = "j1nvlvyv7w27"
API = f"https://api.statuspage.io/v1/pages/{PAGE}"
AUTH = {"Authorization": f"OAuth {KEY}"}


def make_client(
    router: respx.MockRouter, clock: FakeClock, *, page_id: str | None = PAGE
) -> StatuspageClient:
    runtime = Runtime(
        sleep=clock.sleep, clock=clock, wall=lambda: 1_700_000_000.0 + clock.now, rng=random.Random(7)
    )
    http = httpx.Client(transport=httpx.MockTransport(router.handler))
    return StatuspageClient(http, api_key=KEY, page_id=page_id, runtime=runtime)


@pytest.fixture
def statuspage(router: respx.MockRouter, clock: FakeClock) -> StatuspageClient:
    return make_client(router, clock)


def route(
    router: respx.MockRouter,
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    body: Any = None,
) -> respx.Route:
    """A route matching method, exact URL (and query), the OAuth header and, for writes, the exact JSON."""
    url = API + path
    if params is None:
        return router.route(method=method, url__eq=url, headers=AUTH, **({"json": body} if body else {}))
    return router.route(method=method, url=url, params__eq=params, headers=AUTH)


def sent_json(r: respx.Route) -> Any:
    request = r.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


def component(cid: str, name: str, status: str = "operational", **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "page_id": PAGE,
        "group_id": None,
        "created_at": "2023-01-01T12:00:00.000Z",
        "updated_at": "2023-01-01T12:00:00.000Z",
        "group": False,
        "name": name,
        "description": None,
        "position": 1,
        "status": status,
        "showcase": True,
        "only_show_if_degraded": False,
        "automation_email": f"component+{cid}@notifications.statuspage.io",
        "start_date": "2023-01-01",
        **extra,
    }


def incident(status: str = "investigating", **extra: Any) -> dict[str, Any]:
    return {
        "id": "p31zjtct2jer",
        "page_id": PAGE,
        "name": "Checkout errors",
        "status": status,
        "impact": "major",
        "impact_override": "major",
        "shortlink": "http://stspg.io/p31zjtct2jer",
        "created_at": "2024-03-01T10:00:00.000Z",
        "updated_at": "2024-03-01T10:05:00.000Z",
        "monitoring_at": None,
        "resolved_at": None,
        "scheduled_for": None,
        "scheduled_until": None,
        "postmortem_body": None,
        "postmortem_published_at": None,
        "reminder_intervals": None,
        "metadata": {"oncall": {"incident": "42"}},
        "components": [component("8kbf7d35c070", "Checkout", "major_outage")],
        "incident_updates": [
            {
                "id": "mb1yklsyy48g",
                "incident_id": "p31zjtct2jer",
                "status": status,
                "body": "We are investigating elevated checkout errors.",
                "created_at": "2024-03-01T10:00:00.000Z",
                "updated_at": "2024-03-01T10:00:00.000Z",
                "display_at": "2024-03-01T10:00:00.000Z",
                "deliver_notifications": True,
                "affected_components": [
                    {
                        "code": "8kbf7d35c070",
                        "name": "Checkout",
                        "old_status": "operational",
                        "new_status": "major_outage",
                    }
                ],
                "custom_tweet": None,
                "tweet_id": None,
                "twitter_updated_at": None,
                "wants_twitter_update": False,
            }
        ],
        "incident_impacts": None,
        **extra,
    }


# ---- page -------------------------------------------------------------------------------------------------


def test_get_page_sends_the_oauth_key(statuspage: StatuspageClient, router: respx.MockRouter) -> None:
    r = route(router, "GET", "").mock(
        return_value=httpx.Response(
            200,
            json={
                "id": PAGE,
                "name": "My Company Status",
                "subdomain": "your-subdomain.statuspage.io",
                "domain": "status.mycompany.com",
                "url": "https://www.mycompany.com",
                "time_zone": "UTC",
                "created_at": "2020-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z",
                "css_blues": "#3498DB",
            },
        )
    )

    page = statuspage.get_page()

    assert (page.id, page.name, page.time_zone) == (PAGE, "My Company Status", "UTC")
    assert r.calls.last.request.headers["Authorization"] == f"OAuth {KEY}"
    assert str(r.calls.last.request.url) == f"https://api.statuspage.io/v1/pages/{PAGE}"


def test_a_missing_page_id_is_a_config_error_with_a_hint(router: respx.MockRouter, clock: FakeClock) -> None:
    client = make_client(router, clock, page_id=None)

    with pytest.raises(ConfigError) as caught:
        client.get_page()

    assert "statuspage.page_id" in caught.value.hint
    assert "ONCALL_STATUSPAGE_PAGE_ID" in caught.value.hint
    assert caught.value.exit_code == ExitCode.CONFIG


def test_a_rejected_key_is_an_auth_error(statuspage: StatuspageClient, router: respx.MockRouter) -> None:
    route(router, "GET", "").mock(return_value=httpx.Response(401, json={"message": "Unauthorized"}))

    with pytest.raises(AuthError, match="HTTP 401: Unauthorized"):
        statuspage.get_page()


# ---- components -------------------------------------------------------------------------------------------


def test_list_components_always_sends_page_and_per_page(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    route(router, "GET", "/components", params={"page": "2", "per_page": "100"}).mock(
        return_value=httpx.Response(200, json=[component("8kbf7d35c070", "Checkout")])
    )

    components = statuspage.list_components(page=2)

    assert [(c.id, c.name, c.status) for c in components] == [("8kbf7d35c070", "Checkout", "operational")]


def test_list_components_refuses_more_than_100_per_page(statuspage: StatuspageClient) -> None:
    with pytest.raises(ValueError, match="per_page"):
        statuspage.list_components(per_page=101)


def test_iter_components_reads_pages_until_a_short_one_one_second_apart(
    statuspage: StatuspageClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    seen_at: list[float] = []

    def page_of(items: list[dict[str, Any]]) -> Any:
        def answer(request: httpx.Request) -> httpx.Response:
            seen_at.append(clock.now)
            return httpx.Response(200, json=items)

        return answer

    route(router, "GET", "/components", params={"page": "1", "per_page": "100"}).mock(
        side_effect=page_of([component(f"c{i:03d}", f"Service {i}") for i in range(100)])
    )
    route(router, "GET", "/components", params={"page": "2", "per_page": "100"}).mock(
        side_effect=page_of([component(f"c{i:03d}", f"Service {i}") for i in range(100, 103)])
    )

    components = list(statuspage.iter_components())

    assert len(components) == 103
    assert seen_at[1] - seen_at[0] >= 1.0
    assert clock.sleeps == pytest.approx([1.05])


def test_find_components_matches_names_and_prefers_exact_case(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    route(router, "GET", "/components", params={"page": "1", "per_page": "100"}).mock(
        return_value=httpx.Response(
            200,
            json=[
                component("grp000000001", "Checkout", group=True),
                component("8kbf7d35c070", "Checkout", group_id="grp000000001"),
                component("api000000001", "API"),
                component("api000000002", "api"),
            ],
        )
    )

    found = statuspage.find_components(["Checkout", "api", "API"])

    assert {name: c.id for name, c in found.items()} == {
        "Checkout": "8kbf7d35c070",
        "api": "api000000002",
        "API": "api000000001",
    }


def test_find_components_is_case_insensitive_when_no_exact_match(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    route(router, "GET", "/components", params={"page": "1", "per_page": "100"}).mock(
        return_value=httpx.Response(200, json=[component("8kbf7d35c070", "Checkout")])
    )

    assert statuspage.find_components(["checkout"])["checkout"].id == "8kbf7d35c070"


def test_find_components_names_the_unknown_and_the_known(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    route(router, "GET", "/components", params={"page": "1", "per_page": "100"}).mock(
        return_value=httpx.Response(200, json=[component("a", "Checkout"), component("b", "Search")])
    )

    with pytest.raises(NotFoundError) as caught:
        statuspage.find_components(["Checkout", "Payments", "Login"])

    assert "Payments, Login" in caught.value.message
    assert "Known: Checkout, Search" in caught.value.message
    assert caught.value.details["unknown"] == ["Payments", "Login"]


def test_find_components_refuses_an_ambiguous_name(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    route(router, "GET", "/components", params={"page": "1", "per_page": "100"}).mock(
        return_value=httpx.Response(
            200, json=[component("a", "API", group_id="g1"), component("b", "API", group_id="g2")]
        )
    )

    with pytest.raises(UsageError, match="ambiguous"):
        statuspage.find_components(["API"])


def test_find_components_of_nothing_sends_nothing(statuspage: StatuspageClient) -> None:
    assert statuspage.find_components([]) == {}


def test_update_component_patches_the_wrapped_status(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    r = route(
        router, "PATCH", "/components/8kbf7d35c070", body={"component": {"status": "major_outage"}}
    ).mock(return_value=httpx.Response(200, json=component("8kbf7d35c070", "Checkout", "major_outage")))

    updated = statuspage.update_component(component_id="8kbf7d35c070", status="major_outage")

    assert updated.status == "major_outage"
    assert sent_json(r) == {"component": {"status": "major_outage"}}


def test_update_component_refuses_an_unknown_status(statuspage: StatuspageClient) -> None:
    with pytest.raises(UsageError, match="status"):
        statuspage.update_component(component_id="x", status="down")  # type: ignore[arg-type]


# ---- incidents --------------------------------------------------------------------------------------------


def test_create_incident_posts_the_wrapped_incident(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    expected = {
        "incident": {
            "name": "Checkout errors",
            "status": "investigating",
            "impact_override": "major",
            "body": "We are investigating elevated checkout errors.",
            "component_ids": ["8kbf7d35c070", "s6zc0dzy1fkq"],
            "components": {"8kbf7d35c070": "major_outage", "s6zc0dzy1fkq": "degraded_performance"},
            "deliver_notifications": True,
            "metadata": {"oncall": {"incident": "42"}},
        }
    }
    r = route(router, "POST", "/incidents", body=expected).mock(
        return_value=httpx.Response(201, json=incident())
    )

    created = statuspage.create_incident(
        name="Checkout errors",
        body="We are investigating elevated checkout errors.",
        impact_override="major",
        components={"8kbf7d35c070": "major_outage", "s6zc0dzy1fkq": "degraded_performance"},
        metadata={"oncall": {"incident": "42"}},
    )

    assert sent_json(r) == expected
    assert (created.id, created.status, created.impact) == ("p31zjtct2jer", "investigating", "major")
    assert created.components[0].status == "major_outage"
    update = created.incident_updates[0]
    assert update.affected_components[0].new_status == "major_outage"
    assert created.metadata == {"oncall": {"incident": "42"}}


def test_create_incident_merges_component_ids_and_can_stay_quiet(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    expected = {
        "incident": {
            "name": "Search slow",
            "status": "identified",
            "component_ids": ["a", "b"],
            "components": {"b": "partial_outage"},
            "deliver_notifications": False,
        }
    }
    route(router, "POST", "/incidents", body=expected).mock(
        return_value=httpx.Response(201, json=incident("identified", name="Search slow"))
    )

    created = statuspage.create_incident(
        name="Search slow",
        status="identified",
        component_ids=["a"],
        components={"b": "partial_outage"},
        deliver_notifications=False,
    )

    assert created.status == "identified"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": ""},
        {"name": "x" * 256},
        {"name": "ok", "status": "scheduled"},
        {"name": "ok", "impact_override": "catastrophic"},
        {"name": "ok", "components": {"a": "down"}},
        {"name": "ok", "metadata": {"jira": "not an object"}},
        {"name": "ok", "body": "x" * 25001},
    ],
)
def test_create_incident_refuses_values_the_spec_does_not_allow(
    statuspage: StatuspageClient, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(UsageError):
        statuspage.create_incident(**kwargs)


def test_update_incident_posts_a_new_public_update(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    expected = {
        "incident": {
            "status": "monitoring",
            "body": "A fix is deployed; we are monitoring.",
            "components": {"8kbf7d35c070": "operational"},
            "component_ids": ["8kbf7d35c070"],
            "deliver_notifications": True,
        }
    }
    r = route(router, "PATCH", "/incidents/p31zjtct2jer", body=expected).mock(
        return_value=httpx.Response(200, json=incident("monitoring", monitoring_at="2024-03-01T11:00:00Z"))
    )

    updated = statuspage.update_incident(
        incident_id="p31zjtct2jer",
        status="monitoring",
        body="A fix is deployed; we are monitoring.",
        components={"8kbf7d35c070": "operational"},
    )

    assert sent_json(r) == expected
    assert updated.status == "monitoring" and updated.monitoring_at is not None


def test_update_incident_is_not_retried_on_5xx_so_no_update_posts_twice(
    statuspage: StatuspageClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    r = route(
        router,
        "PATCH",
        "/incidents/p31zjtct2jer",
        body={"incident": {"status": "resolved", "body": "Fixed.", "deliver_notifications": True}},
    ).mock(return_value=httpx.Response(502, text="<html><head><title>502 Bad Gateway</title></head></html>"))

    with pytest.raises(UnavailableError, match="502 Bad Gateway"):
        statuspage.update_incident(incident_id="p31zjtct2jer", status="resolved", body="Fixed.")

    assert r.call_count == 1


def test_get_incident(statuspage: StatuspageClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/incidents/p31zjtct2jer").mock(
        return_value=httpx.Response(200, json=incident("resolved", resolved_at="2024-03-01T12:00:00.000Z"))
    )

    got = statuspage.get_incident(incident_id="p31zjtct2jer")

    assert got.status == "resolved" and got.resolved_at is not None


def test_get_incident_unknown_is_not_found(statuspage: StatuspageClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/incidents/nope").mock(
        return_value=httpx.Response(404, json={"message": "Not found"})
    )

    with pytest.raises(NotFoundError, match="Not found"):
        statuspage.get_incident(incident_id="nope")


def test_list_incidents_searches_with_q_and_pages_with_limit(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    route(router, "GET", "/incidents", params={"q": "checkout", "page": "1", "limit": "100"}).mock(
        return_value=httpx.Response(200, json=[incident()])
    )

    assert [i.name for i in statuspage.list_incidents(q="checkout")] == ["Checkout errors"]


def test_iter_incidents_reads_every_page(statuspage: StatuspageClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/incidents", params={"page": "1", "limit": "2"}).mock(
        return_value=httpx.Response(200, json=[incident(id="i1"), incident(id="i2")])
    )
    route(router, "GET", "/incidents", params={"page": "2", "limit": "2"}).mock(
        return_value=httpx.Response(200, json=[])
    )

    assert [i.id for i in statuspage.iter_incidents(limit=2)] == ["i1", "i2"]


def test_list_unresolved_incidents(statuspage: StatuspageClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/incidents/unresolved", params={"page": "1", "per_page": "100"}).mock(
        return_value=httpx.Response(200, json=[incident("identified")])
    )

    assert [i.status for i in statuspage.list_unresolved_incidents()] == ["identified"]


def test_iter_unresolved_incidents(statuspage: StatuspageClient, router: respx.MockRouter) -> None:
    route(router, "GET", "/incidents/unresolved", params={"page": "1", "per_page": "100"}).mock(
        return_value=httpx.Response(200, json=[incident(id="i1")])
    )

    assert [i.id for i in statuspage.iter_unresolved_incidents()] == ["i1"]


# ---- rate limit and retries -------------------------------------------------------------------------------


def test_the_limiter_spaces_requests_a_second_and_a_margin_after_each_answer(
    statuspage: StatuspageClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    seen_at: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen_at.append(clock.now)
        return httpx.Response(200, json=incident())

    route(router, "GET", "/incidents/p31zjtct2jer").mock(side_effect=answer)

    for _ in range(4):
        statuspage.get_incident(incident_id="p31zjtct2jer")

    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(seen_at))
    assert clock.sleeps == pytest.approx([1.05, 1.05, 1.05])


@pytest.mark.parametrize("status", [420, 429])
def test_420_and_429_with_retry_after_are_retried_even_for_a_create(
    statuspage: StatuspageClient, router: respx.MockRouter, clock: FakeClock, status: int
) -> None:
    expected = {
        "incident": {"name": "Checkout errors", "status": "investigating", "deliver_notifications": True}
    }
    r = route(router, "POST", "/incidents", body=expected).mock(
        side_effect=[
            httpx.Response(status, headers={"Retry-After": "5"}, json={"error": "rate limited"}),
            httpx.Response(201, json=incident()),
        ]
    )

    assert statuspage.create_incident(name="Checkout errors").id == "p31zjtct2jer"
    assert r.call_count == 2
    assert len(clock.sleeps) == 1 and 5.0 <= clock.sleeps[0] <= 6.0


def test_rate_limited_after_every_attempt_is_a_rate_limited_error(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    r = route(router, "GET", "").mock(return_value=httpx.Response(420, headers={"Retry-After": "1"}, text=""))

    with pytest.raises(RateLimitedError):
        statuspage.get_page()

    assert r.call_count == 4


def test_a_5xx_on_a_read_is_retried(statuspage: StatuspageClient, router: respx.MockRouter) -> None:
    r = route(router, "GET", "/incidents/p31zjtct2jer").mock(
        side_effect=[httpx.Response(503, text=""), httpx.Response(200, json=incident())]
    )

    assert statuspage.get_incident(incident_id="p31zjtct2jer").id == "p31zjtct2jer"
    assert r.call_count == 2


# ---- error bodies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(422, json={"message": "Name can't be blank"}), "Name can't be blank"),
        (httpx.Response(422, json={"error": "Name can't be blank"}), "Name can't be blank"),
        (
            httpx.Response(422, json={"error": ["Name can't be blank", "Status is invalid"]}),
            "Name can't be blank; Status is invalid",
        ),
        (httpx.Response(422, json={"errors": {"name": ["can't be blank"]}}), "name: can't be blank"),
        (httpx.Response(422, json=["Component is invalid"]), "Component is invalid"),
        (httpx.Response(422, json={}), ""),
        (httpx.Response(422, json=None), ""),
        (httpx.Response(500, text=""), ""),
        (httpx.Response(500, text="   \n"), ""),
        (
            httpx.Response(
                502, text="<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
            ),
            "502 Bad Gateway",
        ),
        (
            httpx.Response(
                503,
                text="<html><head><style>p{}</style><script>x()</script></head>"
                "<body><p>Service   Unavailable</p></body></html>",
            ),
            "Service Unavailable",
        ),
        (httpx.Response(400, text="plain   text\nerror"), "plain text error"),
        (httpx.Response(400, content=b"\xff\xfe\xfa not utf-8"), None),
    ],
)
def test_error_bodies_are_read_defensively(response: httpx.Response, expected: str | None) -> None:
    text = statuspage_error_text(response)
    assert isinstance(text, str)
    if expected is not None:
        assert text == expected


def test_a_long_error_body_is_clipped() -> None:
    assert len(statuspage_error_text(httpx.Response(500, text="x" * 10_000))) == 300


@pytest.mark.parametrize(
    ("status", "response", "error_class", "shown"),
    [
        (
            422,
            httpx.Response(422, json={"error": ["Name can't be blank"]}),
            RejectedError,
            "HTTP 422: Name can't be blank",
        ),
        (
            404,
            httpx.Response(404, text="<html><title>Page not found</title></html>"),
            NotFoundError,
            "HTTP 404: Page not found",
        ),
        (401, httpx.Response(401, text=""), AuthError, "HTTP 401"),
    ],
)
def test_error_statuses_become_typed_errors_with_the_vendor_message(
    statuspage: StatuspageClient,
    router: respx.MockRouter,
    status: int,
    response: httpx.Response,
    error_class: type[OncallError],
    shown: str,
) -> None:
    route(router, "GET", "").mock(return_value=response)

    with pytest.raises(error_class) as caught:
        statuspage.get_page()

    assert caught.value.message.endswith(shown)


def test_the_api_key_never_appears_in_an_error(router: respx.MockRouter, clock: FakeClock) -> None:
    forget_secrets()  # the client registers its own key
    client = make_client(router, clock)
    route(router, "GET", "").mock(
        return_value=httpx.Response(401, json={"message": f"Invalid key {KEY} (header was OAuth {KEY})"})
    )

    with pytest.raises(AuthError) as caught:
        client.get_page()

    assert KEY not in str(caught.value)
    assert KEY not in json.dumps(caught.value.to_dict())


def test_an_answer_in_an_unexpected_shape_is_an_oncall_error(
    statuspage: StatuspageClient, router: respx.MockRouter
) -> None:
    route(router, "GET", "/incidents/p31zjtct2jer").mock(return_value=httpx.Response(200, json={"id": "x"}))

    with pytest.raises(OncallError, match="name"):
        statuspage.get_incident(incident_id="p31zjtct2jer")


def test_ids_are_escaped_in_the_path(statuspage: StatuspageClient, router: respx.MockRouter) -> None:
    r = router.get(url__eq=API + "/incidents/a%2F..%2Fb", headers=AUTH).mock(
        return_value=httpx.Response(200, json=incident())
    )

    statuspage.get_incident(incident_id="a/../b")

    assert r.called
