"""Opt-in SNS subscription confirmation: fetched by the scheduler, only from SNS hosts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from daemon.app import SCHEDULER
from daemon.subscriptions import refusal
from tests.conftest import FIXTURES
from tests.daemon.integrations.support import configured, drained, intake, post
from tests.support import Daemon, running_daemon

CONFIRMATION = FIXTURES / "webhooks/aws-sns/aws-docs-subscription-confirmation.json"
UNSUBSCRIBE = FIXTURES / "webhooks/aws-sns/aws-docs-unsubscribe-confirmation.json"
ARN = "arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"
FAKE_SNS = r"http://127\.0\.0\.1:\d+/confirm\?Action=ConfirmSubscription&.*"


class FakeSns:
    """Answers ConfirmSubscription like SNS; counts the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.status = 200

    async def confirm(self, request: web.Request) -> web.Response:
        self.calls.append(request.query.get("Token", ""))
        if self.status != 200:
            return web.Response(status=self.status, text="<Error>Throttled</Error>")
        return web.Response(content_type="text/xml", text=(
            "<ConfirmSubscriptionResponse><ConfirmSubscriptionResult>"
            f"<SubscriptionArn>{ARN}</SubscriptionArn></ConfirmSubscriptionResult>"
            "</ConfirmSubscriptionResponse>"))


@pytest.fixture
async def fake_sns() -> AsyncIterator[tuple[FakeSns, str]]:
    fake = FakeSns()
    app = web.Application()
    app.router.add_get("/confirm", fake.confirm)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield fake, str(server.make_url("/confirm"))
    finally:
        await server.close()


def confirmation(url: str, source: Path = CONFIRMATION) -> bytes:
    body: dict[str, Any] = json.loads(source.read_bytes())
    query = body["SubscribeURL"].split("?", 1)[1]
    body["SubscribeURL"] = f"{url}?{query}"
    return json.dumps(body).encode()


async def submit(daemon: Daemon, name: str, body: bytes) -> int:
    status, answer, _ = await post(daemon, f"/api/v1/webhooks/{name}", body,
                                   {"Content-Type": "text/plain", "Authorization": "Bearer t"})
    assert status == 202
    await drained(daemon)
    return int(answer["intake_id"])


async def test_confirmation_is_fetched_once_and_recorded(tmp_path: Path,
                                                        fake_sns: tuple[FakeSns, str]) -> None:
    fake, url = fake_sns
    config = await configured(tmp_path, None, {
        "sns": {"type": "sns", "token": "t", "confirm_subscription": True,
                "confirm_url_pattern": FAKE_SNS},
        "manual": {"type": "sns", "token": "t"},
    })
    async with running_daemon(config) as daemon:
        confirmed = await submit(daemon, "sns", confirmation(url))
        untouched = await submit(daemon, "manual", confirmation(url))
        unsubscribed = await submit(daemon, "sns", confirmation(url, UNSUBSCRIBE))
        assert (await intake(daemon, confirmed)).status == "ignored"
        # The scheduled run at start-up may have confirmed it already; either way,
        # however many ticks run, the URL is fetched exactly once.
        confirmed_here = await daemon.app[SCHEDULER].tick_integrations()
        assert await daemon.app[SCHEDULER].tick_integrations() == 0
        assert confirmed_here in (0, 1)
        assert fake.calls == ["2336412f37..."]  # the token from SNS's URL, fetched once
        details = (await intake(daemon, confirmed)).details
        assert details is not None
        assert details["SubscribeURL"].startswith(url)
        assert details["confirmation"] == {"result": "confirmed", "status": 200,
                                           "subscription_arn": ARN, "attempts": 1,
                                           "at": daemon.clock.now().isoformat()}
        assert "confirmation" not in ((await intake(daemon, untouched)).details or {})
        assert "confirmation" not in ((await intake(daemon, unsubscribed)).details or {})


async def test_failures_are_retried_a_few_times(tmp_path: Path,
                                                fake_sns: tuple[FakeSns, str]) -> None:
    fake, url = fake_sns
    fake.status = 503
    config = await configured(tmp_path, None, {"sns": {
        "type": "sns", "token": "t", "confirm_subscription": True,
        "confirm_url_pattern": FAKE_SNS}})
    async with running_daemon(config) as daemon:
        intake_id = await submit(daemon, "sns", confirmation(url))
        for _ in range(5):
            assert await daemon.app[SCHEDULER].tick_integrations() == 0
        assert len(fake.calls) == 3
        result = ((await intake(daemon, intake_id)).details or {})["confirmation"]
        assert (result["result"], result["status"], result["attempts"]) == ("failed", 503, 3)


async def test_production_check_refuses_anything_but_sns(tmp_path: Path,
                                                         fake_sns: tuple[FakeSns, str]) -> None:
    fake, url = fake_sns
    config = await configured(tmp_path, None, {"sns": {
        "type": "sns", "token": "t", "confirm_subscription": True}})
    async with running_daemon(config) as daemon:
        intake_id = await submit(daemon, "sns", confirmation(url))
        assert await daemon.app[SCHEDULER].tick_integrations() == 0
        assert fake.calls == []
        result = ((await intake(daemon, intake_id)).details or {})["confirmation"]
        assert (result["result"], result["reason"]) == ("refused",
                                                        "the SubscribeURL is not https")
        assert await daemon.app[SCHEDULER].tick_integrations() == 0  # not retried


@pytest.mark.parametrize(("url", "reason"), [
    ("https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=x", None),
    ("https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription", None),
    ("http://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription", "not https"),
    ("https://sns.us-west-2.amazonaws.com.evil.example/?x", "is not an SNS host"),
    ("https://evil.example/sns.us-west-2.amazonaws.com/", "is not an SNS host"),
    ("https://sqs.us-west-2.amazonaws.com/", "is not an SNS host"),
    ("https://user:pw@sns.us-west-2.amazonaws.com/", "credentials or a port"),
    ("https://sns.us-west-2.amazonaws.com:8443/", "credentials or a port"),
    ("https://[::1/", "not a valid URL"),
])
def test_refusal_of_subscribe_urls(url: str, reason: str | None) -> None:
    got = refusal(url, None)
    assert got is None if reason is None else (got is not None and reason in got)
