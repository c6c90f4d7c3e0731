"""`POST /v2/enqueue` answers as PagerDuty's Events API v2 does and feeds the pipeline."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from daemon.config import Config
from daemon.store.models import Alert, Intake
from tests.daemon.integrations.support import (
    alerts,
    configured,
    count,
    drained,
    incidents,
    intake,
    post,
    reports,
)
from tests.support import running_daemon

KEY = "R0UT1NGKEY0FPAYMENTS000000000001"
OTHER_KEY = "R0UT1NGKEY0FSTORAGE0000000000002"
INTEGRATIONS: dict[str, Any] = {
    "payments_pd": {"type": "pagerduty", "routing_key": KEY},
    "storage_pd": {"type": "pagerduty", "routing_key": OTHER_KEY, "rate_limit": "2/1m"},
    "generic": {"type": "generic", "token": "generic-token"},
}


def trigger(**extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": KEY, "event_action": "trigger",
        "payload": {"summary": "Checkout error rate above 5%", "source": "checkout-1",
                    "severity": "critical", "component": "checkout"}}
    event.update(extra)
    return event


@pytest.fixture
async def config(tmp_path: Path, db_url: str) -> Config:
    return await configured(tmp_path, db_url, INTEGRATIONS)


async def test_trigger_without_key_gets_one_and_the_alert_carries_it(config: Config) -> None:
    async with running_daemon(config) as daemon:
        status, answer, _ = await post(daemon, "/v2/enqueue", trigger())
        assert status == 202
        assert set(answer) == {"status", "message", "dedup_key"}
        assert answer["status"] == "success"
        assert answer["message"] == "Event processed"
        key = answer["dedup_key"]
        assert re.fullmatch(r"[0-9a-f]{32}", key)
        await drained(daemon)
        (alert,) = await alerts(daemon)
        assert alert.dedup_key == key
        assert alert.integration == "payments_pd"
        (stored,) = await reports(daemon, 1)
        assert stored.data["dedup_key"] == key
        assert (await intake(daemon, 1)).details == {"dedup_key": key}

        # The sender uses the key it was given to acknowledge and resolve (with a slash).
        for action in ("acknowledge", "resolve"):
            status, answer, _ = await post(daemon, "/v2/enqueue/", {
                "routing_key": KEY, "event_action": action, "dedup_key": key})
            assert (status, answer["dedup_key"]) == (202, key)
        await drained(daemon)
        (incident,) = await incidents(daemon)
        assert incident.status == "resolved"
        assert (await alerts(daemon))[0].status == "resolved"
        assert (await intake(daemon, 2)).details is None  # the sender's own key: nothing kept


async def test_a_given_dedup_key_is_answered_and_deduplicates(config: Config) -> None:
    async with running_daemon(config) as daemon:
        for _ in range(3):
            status, answer, _ = await post(daemon, "/v2/enqueue", trigger(dedup_key="co-5xx"))
            assert (status, answer["dedup_key"]) == (202, "co-5xx")
        await drained(daemon)
        (alert,) = await alerts(daemon)
        assert (alert.dedup_key, alert.count) == ("co-5xx", 3)
        assert len(await incidents(daemon)) == 1


INVALID = [
    ({"event_action": "trigger", "payload": {}}, ["'routing_key' is missing or blank"]),
    ({"routing_key": " ", "event_action": "trigger"}, ["'routing_key' is missing or blank"]),
    ({"routing_key": "R0UT1NGKEY0FN0B0DY0000000000003", "event_action": "trigger"},
     ["Invalid routing key"]),
    ({"routing_key": KEY, "event_action": "explode"},
     ["'event_action' must be one of trigger, acknowledge, resolve"]),
    ({"routing_key": KEY, "event_action": "resolve"},
     ["'dedup_key' is required to resolve an alert"]),
    ({"routing_key": KEY, "event_action": "trigger"},
     ["'payload' is required for a trigger event and must be an object"]),
    ({"routing_key": KEY, "event_action": "trigger", "dedup_key": "k" * 256,
      "payload": {"summary": "", "source": "x", "severity": "fatal"}},
     ["'dedup_key' is longer than 255 characters", "'payload.summary' is missing or blank",
      "'payload.severity' must be one of critical, error, warning, info"]),
    ({"routing_key": KEY, "event_action": "trigger",
      "payload": {"summary": "s" * 1025, "severity": "info"}},
     ["'payload.summary' is longer than 1024 characters", "'payload.source' is missing or "
                                                          "blank"]),
]


@pytest.fixture
async def sqlite_only(tmp_path: Path) -> Config:
    return await configured(tmp_path, None, INTEGRATIONS)


@pytest.mark.parametrize(("event", "errors"), INVALID)
async def test_invalid_events_are_400_as_pagerduty_answers(sqlite_only: Config,
                                                           event: dict[str, Any],
                                                           errors: list[str]) -> None:
    async with running_daemon(sqlite_only) as daemon:
        status, answer, _ = await post(daemon, "/v2/enqueue", event)
        assert status == 400
        assert answer == {"status": "invalid event", "message": "Event object is invalid",
                          "errors": errors}
        assert await count(daemon, Intake) == 0


async def test_bodies_that_are_not_events(sqlite_only: Config) -> None:
    async with running_daemon(sqlite_only) as daemon:
        for body, error in [(b"", "the body is empty"),
                            (b"[1, 2]", "the event must be a JSON object"),
                            (b"{nope", "the body is not JSON"),
                            (b"[" * 100_000, "the body is not usable JSON: nested too deeply")]:
            status, answer, _ = await post(daemon, "/v2/enqueue", body)
            assert status == 400
            assert answer["errors"][0].startswith(error)
        assert await count(daemon, Intake) == 0


async def test_rate_limit_answers_429_and_stores_nothing(sqlite_only: Config) -> None:
    event = {**trigger(), "routing_key": OTHER_KEY}
    async with running_daemon(sqlite_only) as daemon:
        assert [(await post(daemon, "/v2/enqueue", event))[0] for _ in range(2)] == [202, 202]
        status, answer, headers = await post(daemon, "/v2/enqueue", event)
        assert status == 429
        assert answer["status"] == "throttle event"
        assert headers["Retry-After"] == "30"  # 2 per minute: the next token in 30 s
        # Another routing key has its own budget.
        assert (await post(daemon, "/v2/enqueue", trigger()))[0] == 202
        assert await count(daemon, Intake) == 3
        assert await count(daemon, Intake, Intake.integration == "storage_pd") == 2
        await drained(daemon)
        assert await count(daemon, Alert) == 3
