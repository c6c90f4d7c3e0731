"""Per-integration rate and body limits; unknown integrations and wrong methods."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from daemon.store.models import Intake
from tests.daemon.integrations.support import configured, count, post
from tests.support import running_daemon

BODY = b'{"title": "Queue backlog", "dedup_key": "queue"}'
BEARER = {"Authorization": "Bearer t0ken"}


async def test_rate_limit_answers_429_with_retry_after_and_stores_nothing(
        tmp_path: Path) -> None:
    config = await configured(tmp_path, None, {
        "limited": {"type": "generic", "token": "t0ken", "rate_limit": "3/1m"},
        "free": {"type": "generic", "token": "t0ken"},
    })
    async with running_daemon(config) as daemon:
        # Refused credentials spend nothing: a stranger cannot use up the budget.
        for _ in range(5):
            assert (await post(daemon, "/api/v1/webhooks/limited", BODY))[0] == 401
        statuses = [(await post(daemon, "/api/v1/webhooks/limited", BODY, BEARER))[0]
                    for _ in range(3)]
        assert statuses == [202, 202, 202]
        status, answer, headers = await post(daemon, "/api/v1/webhooks/limited", BODY, BEARER)
        assert status == 429
        assert headers["Retry-After"] == "20"  # 3 per minute: one more every 20 s
        assert "over its rate limit" in answer["error"]
        assert await count(daemon, Intake) == 3
        # The other integration has no limit and is not affected.
        for _ in range(5):
            assert (await post(daemon, "/api/v1/webhooks/free", BODY, BEARER))[0] == 202
        assert await count(daemon, Intake, Intake.integration == "limited") == 3


async def test_body_size_limit_per_integration(tmp_path: Path) -> None:
    config = await configured(tmp_path, None, {
        "small": {"type": "generic", "token": "t0ken", "max_body_size": "1k"},
        "large": {"type": "generic", "token": "t0ken", "max_body_size": "16k"},
        "default": {"type": "generic", "token": "t0ken"},
    }, **{"server.max_body_size": "4k"})
    body = b'{"title": "big", "description": "' + b"x" * 6000 + b'"}'
    medium = b'{"title": "medium", "description": "' + b"x" * 2000 + b'"}'
    async with running_daemon(config) as daemon:
        status, answer, _ = await post(daemon, "/api/v1/webhooks/small", medium, BEARER)
        assert (status, answer["error"]) == (413, "body too large; the limit is 1024 bytes")
        assert (await post(daemon, "/api/v1/webhooks/default", medium, BEARER))[0] == 202
        status, answer, _ = await post(daemon, "/api/v1/webhooks/default", body, BEARER)
        assert (status, answer["error"]) == (413, "body too large; the limit is 4096 bytes")
        assert (await post(daemon, "/api/v1/webhooks/large", body, BEARER))[0] == 202

        # A chunked body (no Content-Length) is cut off at the limit as well.
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(4):
                yield b'{"title": "' if _ == 0 else b"y" * 500

        async with aiohttp.ClientSession() as http, http.post(
                f"{daemon.url}/api/v1/webhooks/small", data=chunks(),
                headers={**BEARER, "Content-Type": "application/json"}) as response:
            assert response.status == 413
        assert await count(daemon, Intake) == 2


async def test_unknown_integration_404_and_wrong_method_405(tmp_path: Path) -> None:
    config = await configured(tmp_path, None, {
        "off": {"type": "generic", "token": "t0ken", "enabled": False}})
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        for name in ("nosuch", "off"):
            status, answer, _ = await post(daemon, f"/api/v1/webhooks/{name}", BODY, BEARER)
            assert (status, answer["field"]) == (404, "integration")
            assert answer["error"] == f"no integration named {name!r}"
        for path in ("/v2/enqueue", "/v2/enqueue/", "/api/v1/webhooks/off"):
            async with http.get(f"{daemon.url}{path}") as response:
                assert response.status == 405
                assert response.headers["Allow"] == "POST"
        assert await count(daemon, Intake) == 0
