"""A flapping alert holds stakeholder mail about its incident until it settles; then one mail."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta
from pathlib import Path

from daemon.app import SCHEDULER
from daemon.config import Config
from tests.daemon.integrations.support import (
    alerts,
    configured,
    drained,
    incidents,
    outbox,
    post,
    timeline,
)
from tests.support import Daemon, running_daemon

BEARER = {"Authorization": "Bearer t0ken"}


def event(status: str, key: str = "api-5xx") -> bytes:
    return json.dumps({"title": f"API 5xx rate ({key})", "status": status, "dedup_key": key,
                       "severity": "critical"}).encode()


async def send(daemon: Daemon, status: str, key: str = "api-5xx") -> None:
    assert (await post(daemon, "/api/v1/webhooks/mon", event(status, key), BEARER))[0] == 202
    await drained(daemon)
    daemon.clock.advance(timedelta(minutes=1))


async def mails(daemon: Daemon) -> list[str]:
    return [m.kind for m in await outbox(daemon)]


async def flapping_config(tmp_path: Path, db_url: str | None) -> Config:
    return await configured(tmp_path, db_url, {"mon": {"type": "generic", "token": "t0ken"}},
                            **{"correlate.flap_threshold": 4, "correlate.flap_window": "30m",
                               "correlate.flap_settle": "15m"})


async def test_flapping_alert_holds_mail_then_settles_resolved(tmp_path: Path,
                                                              db_url: str) -> None:
    config = await flapping_config(tmp_path, db_url)
    async with running_daemon(config) as daemon:
        await send(daemon, "firing")
        await send(daemon, "resolved")
        await send(daemon, "firing")  # within flap_window: the same incident is reopened
        await send(daemon, "resolved")
        assert await mails(daemon) == ["opened", "resolved", "update", "resolved"]
        (incident,) = await incidents(daemon)

        await send(daemon, "firing")  # the fifth change: flapping
        (alert,) = await alerts(daemon)
        assert alert.flapping
        entries = await timeline(daemon, incident.id)
        assert entries[-2].text.startswith("Alert flapping: API 5xx rate (api-5xx) (more than "
                                           "4 changes in 30m)")
        assert entries[-1].kind == "status"  # reopened, and on the timeline …
        assert entries[-1].text == "Alert firing again: API 5xx rate (api-5xx)"
        for status in ("resolved", "firing", "resolved"):
            await send(daemon, status)
        assert await mails(daemon) == ["opened", "resolved", "update", "resolved"]  # … no mail
        (incident,) = await incidents(daemon)
        assert incident.status == "responding"  # not resolved while it flaps
        assert [e.data["verb"] for e in await timeline(daemon, incident.id)
                if e.kind == "alert"][-3:] == ["resolved", "firing again", "resolved"]

        scheduler = daemon.app[SCHEDULER]
        daemon.clock.advance(timedelta(minutes=10))  # 11 minutes since the last change
        assert await scheduler.tick_integrations() == 0
        assert (await alerts(daemon))[0].flapping
        daemon.clock.advance(timedelta(minutes=5))
        assert await scheduler.tick_integrations() == 1
        (alert,) = await alerts(daemon)
        assert not alert.flapping
        (incident,) = await incidents(daemon)
        assert incident.status == "resolved"
        assert await mails(daemon) == ["opened", "resolved", "update", "resolved", "resolved"]
        texts = [e.text for e in await timeline(daemon, incident.id)]
        assert texts[-2] == "Alert settled: API 5xx rate (api-5xx) (resolved); unchanged for 15m"
        assert texts[-1] == "All alerts resolved at the source (after flapping)"
        assert await scheduler.tick_integrations() == 0  # once


async def test_settling_while_firing_sends_one_update(tmp_path: Path) -> None:
    config = await flapping_config(tmp_path, None)
    async with running_daemon(config) as daemon:
        await send(daemon, "firing", "other")  # an alert of another incident is untouched
        for status in ("firing", "resolved", "firing", "resolved", "firing", "resolved",
                       "firing"):
            await send(daemon, status)
        assert await mails(daemon) == ["opened", "opened", "resolved", "update", "resolved"]
        daemon.clock.advance(timedelta(minutes=15))
        assert await daemon.app[SCHEDULER].tick_integrations() == 1
        assert await mails(daemon) == ["opened", "opened", "resolved", "update", "resolved",
                                       "update"]
        last = (await outbox(daemon))[-1]
        text = email.message_from_bytes(last.raw, policy=email.policy.default)
        body = text.get_body(("plain",))
        assert body is not None
        assert "Alert settled: API 5xx rate (api-5xx) (firing)" in body.get_content()
        assert {i.status for i in await incidents(daemon)} == {"triaged", "responding"}
        # Mail flows again: the next change of the settled alert is mailed as usual.
        await send(daemon, "resolved")
        assert (await mails(daemon))[-1] == "resolved"


async def test_scheduled_updates_keep_their_cadence_while_event_mail_is_held(
        tmp_path: Path) -> None:
    """The SOP's regular updates go on; only the mail about each flap is held."""
    config = await flapping_config(tmp_path, None)
    async with running_daemon(config) as daemon:
        for status in ("firing", "resolved", "firing", "resolved", "firing"):
            await send(daemon, status)
        (alert,) = await alerts(daemon)
        assert alert.flapping
        held = await mails(daemon)
        await send(daemon, "resolved")
        assert await mails(daemon) == held  # the flap itself is not mailed
        (incident,) = await incidents(daemon)
        daemon.clock.advance(config.cadence.for_priority(incident.priority))
        assert await daemon.app[SCHEDULER].tick_updates() == 1
        assert (await mails(daemon))[len(held):] == ["update"]
        assert (await alerts(daemon))[0].flapping  # still held: settling has not run
