"""Several daemons on one PostgreSQL: every due update and every digest is sent once."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from daemon.comms import Renderer
from daemon.config import Config
from daemon.scheduler import Scheduler
from daemon.store.db import create_engine, session_factory
from daemon.store.models import Incident, Outbox, OutboxState
from notifiers import OutgoingMessage
from tests.support import FakeClock, make_config, migrate, pg_database_url, skip_without_pg


class Recorder:
    """A notifier that keeps what it was given (and yields, so that instances interleave)."""

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []

    async def deliver(self, message: OutgoingMessage) -> None:
        await asyncio.sleep(0)
        self.messages.append(message)


def scheduler(config: Config, clock: FakeClock, notifier: Recorder, name: str
              ) -> tuple[Scheduler, Any]:
    engine = create_engine(config.database_url)  # each instance has its own pool
    renderer = Renderer()
    return Scheduler(session_factory(engine), lambda: config, lambda: renderer, notifier,
                     clock, name), engine


async def drain(instance: Scheduler) -> tuple[int, int]:
    """Tick until there is nothing left to do; return (updates queued, mails sent)."""
    queued = sent = 0
    idle = 0
    while idle < 3:
        due = await instance.tick_updates()
        delivered = await instance.tick_outbox()
        queued, sent = queued + due, sent + delivered
        idle = idle + 1 if not due and not delivered else 0
        await asyncio.sleep(0)
    return queued, sent


async def test_two_schedulers_send_200_due_updates_exactly_once(tmp_path: Any) -> None:
    skip_without_pg()
    clock = FakeClock()
    now = clock.now()
    async with pg_database_url() as url:
        config = make_config(tmp_path, url)
        await migrate(config)
        engine = create_engine(url)
        async with session_factory(engine).begin() as session:
            session.add_all(Incident(
                title=f"Outage {n}", status="responding", priority=3, severity="medium",
                impact="medium", urgency="medium", lists=["oncall"], labels={},
                reported_at=now - timedelta(hours=5), updated_at=now - timedelta(hours=5),
                last_update_at=now - timedelta(hours=4), next_update_at=now - timedelta(
                    seconds=n), updates_sent=1) for n in range(200))
        await engine.dispose()

        notifier = Recorder()
        (a, engine_a), (b, engine_b) = (scheduler(config, clock, notifier, name)
                                        for name in ("host-a:1", "host-b:2"))
        try:
            (queued_a, sent_a), (queued_b, sent_b) = await asyncio.gather(drain(a), drain(b))
        finally:
            await engine_a.dispose()
            await engine_b.dispose()

        engine = create_engine(url)
        async with session_factory(engine)() as session:
            rows = (await session.execute(select(Outbox.incident_id, Outbox.state,
                                                 Outbox.claimed_by, Outbox.kind))).all()
            later = (await session.scalars(select(Incident.next_update_at))).all()
        await engine.dispose()

    assert queued_a + queued_b == 200
    assert sent_a + sent_b == 200
    assert sorted(r.incident_id for r in rows) == list(range(1, 201))  # one each, no gap
    assert {r.state for r in rows} == {OutboxState.SENT}
    assert {r.kind for r in rows} == {"holding"}
    assert set(Counter(r.claimed_by for r in rows)) == {"host-a:1", "host-b:2"}
    incidents = Counter(email.message_from_bytes(m.raw, policy=email.policy.default)
                        ["X-Incidentd-Incident"] for m in notifier.messages)
    assert len(notifier.messages) == 200
    assert set(incidents.values()) == {1}
    assert set(later) == {now + timedelta(hours=4)}


async def test_the_digest_goes_out_once_a_day_per_list(config: Config, tmp_path: Any
                                                       ) -> None:
    from tests.daemon.lifecycle.support import Store

    lists = {"oncall": ["oncall@example.org", "lead@example.org"],
             "management": {"addresses": ["boss@example.org"], "min_priority": 2},
             "board": {"addresses": ["board@example.org"], "min_priority": 1}}
    config = make_config(tmp_path / "d", config.database_url, **{
        "lists": lists, "triage.default_lists": list(lists),
        "digest.lists": list(lists), "digest.time": "08:00",
        "digest.timezone": "Europe/Berlin"})
    clock = FakeClock(datetime(2026, 3, 2, 6, 30, tzinfo=UTC))  # 07:30 in Berlin
    store = Store(config, clock)
    await store.webhook({"title": "Printer queue stuck", "impact": "medium",
                         "urgency": "medium", "dedup_key": "printer"})
    await store.webhook({"title": "VPN flaky", "impact": "high", "urgency": "medium",
                         "dedup_key": "vpn"})
    await store.close()

    notifier = Recorder()
    (a, engine_a), (b, engine_b) = (scheduler(config, clock, notifier, name)
                                    for name in ("host-a:1", "host-b:2"))

    async def both() -> int:
        if config.database_url.startswith("postgresql"):
            results = await asyncio.gather(a.tick_digest(), b.tick_digest())
        else:  # SQLite serves one daemon; its writers take turns
            results = (await a.tick_digest(), await b.tick_digest())
        await a.tick_outbox()
        return sum(results)

    try:
        assert await both() == 0  # before 08:00
        clock.current = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
        assert await both() == 2  # oncall and management; the board has nothing open
        clock.advance(timedelta(hours=6))
        assert await both() == 0  # a restart later that day sends no second digest
        clock.current = datetime(2026, 3, 3, 6, 59, tzinfo=UTC)
        assert await both() == 0
        clock.current = datetime(2026, 3, 3, 7, 1, tzinfo=UTC)
        assert await both() == 2
    finally:
        await engine_a.dispose()
        await engine_b.dispose()

    parsed = [(m.recipients, email.message_from_bytes(m.raw, policy=email.policy.default))
              for m in notifier.messages]
    digests = [(r, m) for r, m in parsed if m["X-Incidentd-Kind"] == "digest"]
    assert [(list(r), m["Subject"]) for r, m in digests] == [
        (["oncall@example.org", "lead@example.org"], "Open incidents on 2026-03-02 for oncall: 2"),
        (["boss@example.org"], "Open incidents on 2026-03-02 for management: 1"),
        (["oncall@example.org", "lead@example.org"], "Open incidents on 2026-03-03 for oncall: 2"),
        (["boss@example.org"], "Open incidents on 2026-03-03 for management: 1")]
    text = digests[0][1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.index("P2 INC-2  VPN flaky") < text.index("P3 INC-1  Printer queue stuck")
    assert "Daily digest for the oncall list, 2026-03-02 08:00 CET" in text
