"""Driving the lifecycle directly on a store, as the API and CLI do, with a FakeClock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.comms import Renderer
from daemon.config import Config
from daemon.lifecycle import run_change
from daemon.process import process_intake
from daemon.store import repo
from daemon.store.db import create_engine, session_factory
from daemon.store.models import Incident, Intake, Outbox
from daemon.work import Actor, ActorSource, Work
from tests.support import FakeClock

T = TypeVar("T")

ALICE = Actor("alice", ActorSource.API)
BOB = Actor("bob", ActorSource.CLI)


class Store:
    """A migrated database, a renderer and a clock; each call is one transaction."""

    def __init__(self, config: Config, clock: FakeClock) -> None:
        self.config = config
        self.clock = clock
        self.engine = create_engine(config.database_url)
        self.sessions = session_factory(self.engine)
        self.renderer = Renderer(None)

    async def close(self) -> None:
        await self.engine.dispose()

    async def run(self, change: Callable[[Work], T]) -> T:
        """One unit of work at the clock's time, ending with comms."""
        async with self.sessions.begin() as session:
            return await session.run_sync(
                lambda s: run_change(s, self.config, self.renderer, self.clock.now(), change))

    async def read(self, query: Callable[[Session], T]) -> T:
        async with self.sessions() as session:
            return await session.run_sync(query)

    async def webhook(self, payload: dict[str, Any], integration: str = "generic") -> int:
        """Store and process one webhook body; return the incident id it touched."""
        body = json.dumps(payload).encode()

        def process(session: Session) -> int:
            intake = Intake(received_at=self.clock.now(), source="webhook",
                            integration=integration, raw=body, sha256="0" * 64,
                            status="accepted", content_type="application/json")
            session.add(intake)
            session.flush()
            work = Work(session=session, config=self.config, now=self.clock.now())
            outcome = process_intake(work, self.renderer, intake)
            assert outcome.incident_keys, outcome
            return int(outcome.incident_keys[0].removeprefix("INC-"))

        async with self.sessions.begin() as session:
            return await session.run_sync(process)

    async def incident(self, incident_id: int) -> Incident:
        def load(session: Session) -> Incident:
            incident = repo.get_incident(session, incident_id=incident_id)
            assert incident is not None
            return incident

        return await self.read(load)

    async def mails(self, incident_id: int) -> list[tuple[str, list[str]]]:
        def load(session: Session) -> list[tuple[str, list[str]]]:
            rows = session.scalars(select(Outbox).where(Outbox.incident_id == incident_id)
                                   .order_by(Outbox.id)).all()
            return [(row.kind, list(row.recipients)) for row in rows]

        return await self.read(load)

    async def kinds(self, incident_id: int) -> list[str]:
        return await self.read(lambda s: [
            e.kind for e in repo.get_timeline(s, incident_id=incident_id)])

    def advance(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))


def get(work: Work, incident_id: int) -> Incident:
    incident = repo.get_incident(work.session, incident_id=incident_id)
    assert incident is not None
    return incident
