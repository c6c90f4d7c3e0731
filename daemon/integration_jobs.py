"""The scheduler's monitoring-integration job.

It settles flapping alerts, confirms SNS subscriptions, and forgets the
replay claims of signatures whose window has closed.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from daemon.clock import Clock
from daemon.comms import Renderer
from daemon.config import Config
from daemon.flapping import settle
from daemon.store.claims import SignatureClaim
from daemon.subscriptions import confirm_subscriptions
from daemon.work import Work

log = logging.getLogger(__name__)


async def run_integration_jobs(sessions: async_sessionmaker[AsyncSession], config: Config,
                               renderer: Renderer, clock: Clock) -> tuple[int, int]:
    """Return (alerts settled, subscriptions confirmed)."""
    now = clock.now()

    def run(session: Session) -> int:
        return settle(Work(session=session, config=config, now=now), renderer)

    async with sessions.begin() as session:
        settled = await session.run_sync(run)
    confirmed = await confirm_subscriptions(sessions, config, now)
    await forget_expired_claims(sessions, now)
    return settled, confirmed


async def forget_expired_claims(sessions: async_sessionmaker[AsyncSession],
                                now: datetime) -> int:
    """Delete replay claims whose window has closed (a stale signature is refused anyway)."""
    async with sessions.begin() as session:
        result = await session.execute(
            delete(SignatureClaim).where(SignatureClaim.expires_at < now))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.info("forgot %d expired signature claim(s)", count)
    return count
