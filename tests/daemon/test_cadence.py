"""Status mails at the cadence of the priority: each exactly once, across restarts."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta
from pathlib import Path

import aiohttp

from daemon.app import SCHEDULER
from daemon.config import Config
from tests.daemon.test_end_to_end import post_webhook, processed
from tests.support import GENERIC_TOKEN, RESPOND_TOKEN, Daemon, FakeClock, auth, running_daemon


def mails(config: Config) -> list[email.message.EmailMessage]:
    folder = config.maildir_path / "new"
    if not folder.is_dir():
        return []
    def delivered(path: Path) -> tuple[int, int]:  # Maildir names start "<sec>.M<usec>P…"
        seconds, _, rest = path.name.partition(".M")
        return int(seconds), int(rest.partition("P")[0])

    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.iterdir(), key=delivered)]


async def tick(daemon: Daemon) -> None:
    await daemon.app[SCHEDULER].tick_updates()
    await daemon.app[SCHEDULER].tick_outbox()


async def open_p1(daemon: Daemon) -> str:
    body = json.dumps({"title": "Payments failing", "severity": "critical",
                       "dedup_key": "payments"}).encode()
    result = await processed(daemon, (await post_webhook(daemon, "generic", body,
                                                         GENERIC_TOKEN))["intake_id"])
    return str(result["incidents"][0])


def kinds(config: Config) -> list[tuple[str, str]]:
    """(minutes since the first mail, mail kind) for every delivered mail."""
    messages = mails(config)
    start = messages[0]["Date"].datetime
    return [(f"{(m['Date'].datetime - start).total_seconds() / 60:g}", m["X-Incidentd-Kind"])
            for m in messages]


async def test_p1_updates_every_30_minutes_exactly_once_across_restart(config: Config) -> None:
    clock = FakeClock()
    async with running_daemon(config, clock) as daemon:
        key = await open_p1(daemon)
        await tick(daemon)
        for _ in range(3):  # 10, 20, 30 minutes
            clock.advance(timedelta(minutes=10))
            await tick(daemon)
            await tick(daemon)  # a second tick at the same moment sends nothing more
    async with running_daemon(config, clock) as daemon:  # restart
        await tick(daemon)
        for _ in range(3):  # 40, 50, 60 minutes
            clock.advance(timedelta(minutes=10))
            await tick(daemon)
    assert key == "INC-1"
    # nothing happened in between: short holding updates, each saying when the next comes
    assert kinds(config) == [("0", "opened"), ("30", "holding"), ("60", "holding")]
    subjects = [m["Subject"] for m in mails(config)]
    assert all(s.startswith("[INC-1] P1 Payments failing") for s in subjects)
    first_id = mails(config)[0]["Message-ID"]
    assert all(m["References"] == first_id for m in mails(config)[1:])


async def test_downtime_of_three_intervals_gives_one_catch_up_mail(config: Config) -> None:
    clock = FakeClock()
    async with running_daemon(config, clock) as daemon:
        await open_p1(daemon)
        await tick(daemon)
    clock.advance(timedelta(minutes=95))  # down through three due updates
    async with running_daemon(config, clock) as daemon:
        await tick(daemon)
        clock.advance(timedelta(minutes=29))
        await tick(daemon)
        clock.advance(timedelta(minutes=1))
        await tick(daemon)
    assert kinds(config) == [("0", "opened"), ("95", "holding"), ("125", "holding")]
    text = mails(config)[1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "no news since the last update (2026-03-02 09:00 UTC)" in text
    assert "Next status update by 2026-03-02 11:05 UTC." in text


async def test_nothing_is_sent_after_resolution(config: Config) -> None:
    clock = FakeClock()
    async with running_daemon(config, clock) as daemon:
        await open_p1(daemon)
        body = json.dumps({"title": "Payments failing", "status": "resolved",
                           "dedup_key": "payments"}).encode()
        await processed(daemon, (await post_webhook(daemon, "generic", body,
                                                    GENERIC_TOKEN))["intake_id"])
        await tick(daemon)
        clock.advance(timedelta(hours=3))
        await tick(daemon)
    assert kinds(config) == [("0", "opened"), ("0", "resolved")]
    resolved = mails(config)[1]
    assert "is resolved" in resolved.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def open_incident(daemon: Daemon, title: str, impact: str, urgency: str) -> str:
    body = json.dumps({"title": title, "impact": impact, "urgency": urgency,
                       "severity": "medium", "dedup_key": title}).encode()
    result = await processed(daemon, (await post_webhook(daemon, "generic", body,
                                                         GENERIC_TOKEN))["intake_id"])
    return str(result["incidents"][0])


async def call(daemon: Daemon, method: str, path: str, body: dict[str, str]) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.request(method, f"{daemon.url}{path}", json=body,
                                      headers=auth(RESPOND_TOKEN))
        assert response.status in (200, 201), await response.text()


def by_incident(config: Config) -> dict[str, list[tuple[int, str]]]:
    """Per incident: (minutes after 09:00, kind) of every delivered mail."""
    result: dict[str, list[tuple[int, str]]] = {}
    for message in mails(config):
        minutes = (message["Date"].datetime - FakeClock().now()).total_seconds() / 60
        result.setdefault(message["X-Incidentd-Incident"], []).append(
            (int(minutes), message["X-Incidentd-Kind"]))
    return result


async def test_a_day_of_updates_per_priority_with_an_override_and_a_restart(
        config: Config) -> None:
    clock = FakeClock()
    day = 24 * 60

    async def run(daemon: Daemon, start: int, end: int) -> None:
        for minute in range(start, end, 10):
            if minute == 90:  # a note at 10:35 makes the 11:00 P1 mail a real update
                clock.advance(timedelta(minutes=5))
                await call(daemon, "POST", f"/api/v1/incidents/{keys[1]}/notes",
                           {"text": "Failing over the database"})
                clock.advance(timedelta(minutes=5))
            else:
                clock.advance(timedelta(minutes=10))
            await tick(daemon)

    keys: dict[int, str] = {}
    async with running_daemon(config, clock) as daemon:
        for priority, (impact, urgency) in {1: ("high", "high"), 2: ("high", "medium"),
                                            3: ("medium", "medium"), 4: ("low", "low")}.items():
            keys[priority] = await open_incident(daemon, f"P{priority} outage", impact, urgency)
        planned = await open_incident(daemon, "Planned P3", "medium", "medium")
        await call(daemon, "PATCH", f"/api/v1/incidents/{planned}", {"cadence": "2h"})
        await tick(daemon)
        await run(daemon, 0, 12 * 60)
    async with running_daemon(config, clock) as daemon:  # a restart at 21:00
        await tick(daemon)
        await run(daemon, 12 * 60, day)

    def expected(every: int, update_at: int | None = None) -> list[tuple[int, str]]:
        return [(0, "opened")] + [(m, "update" if m == update_at else "holding")
                                  for m in range(every, day + 1, every)]

    assert by_incident(config) == {
        keys[1]: expected(30, update_at=120),
        keys[2]: expected(60),
        keys[3]: expected(240),
        keys[4]: expected(day),
        planned: expected(120),
    }
    assert len(mails(config)) == 49 + 25 + 7 + 2 + 13


def test_mail_files_are_the_only_output(tmp_path: Path) -> None:
    # Guard for the helper above: an empty Maildir reads as no mail.
    from tests.support import make_config

    assert mails(make_config(tmp_path)) == []
