"""Status mails at the cadence of the priority: each exactly once, across restarts."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta
from pathlib import Path

from daemon.app import SCHEDULER
from daemon.config import Config
from tests.daemon.test_end_to_end import post_webhook, processed
from tests.support import GENERIC_TOKEN, Daemon, FakeClock, running_daemon


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
    assert kinds(config) == [("0", "opened"), ("30", "update"), ("60", "update")]
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
    assert kinds(config) == [("0", "opened"), ("95", "update"), ("125", "update")]


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


def test_mail_files_are_the_only_output(tmp_path: Path) -> None:
    # Guard for the helper above: an empty Maildir reads as no mail.
    from tests.support import make_config

    assert mails(make_config(tmp_path)) == []
