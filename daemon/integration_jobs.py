"""The scheduler's monitoring-integration job: settle flapping alerts, confirm SNS subscriptions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from daemon.clock import Clock
from daemon.comms import Renderer
from daemon.config import Config
from daemon.flapping import settle
from daemon.subscriptions import confirm_subscriptions
from daemon.work import Work


async def run_integration_jobs(sessions: async_sessionmaker[AsyncSession], config: Config,
                               renderer: Renderer, clock: Clock) -> tuple[int, int]:
    """Return (alerts settled, subscriptions confirmed)."""
    now = clock.now()

    def run(session: Session) -> int:
        return settle(Work(session=session, config=config, now=now), renderer)

    async with sessions.begin() as session:
        settled = await session.run_sync(run)
    confirmed = await confirm_subscriptions(sessions, config, now)
    return settled, confirmed
