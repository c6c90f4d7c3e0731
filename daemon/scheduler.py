"""Periodic work on APScheduler: due status updates, outbox delivery, review reminders.

Jobs only query and enqueue (updates) or claim and deliver (outbox); the
decisions live in `daemon.comms`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from daemon.clock import Clock
from daemon.comms import Renderer, send_due_updates
from daemon.comms.outbox import deliver_due
from daemon.config import Config
from daemon.integration_jobs import run_integration_jobs
from daemon.lifecycle.reminders import remind_reviews
from daemon.work import Work
from notifiers import Notifier

log = logging.getLogger(__name__)


class Scheduler:
    """Owns the APScheduler instance and the periodic jobs."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        config: Callable[[], Config],
        renderer: Callable[[], Renderer],
        notifier: Notifier,
        clock: Clock,
        instance: str,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._renderer = renderer
        self._notifier = notifier
        self._clock = clock
        self._instance = instance
        self._scheduler: AsyncIOScheduler | None = None
        # One tick of each kind at a time in this process: SQLite has no row locks,
        # and a tick run by hand (tests, CLI) must not overlap the scheduled one.
        self._updates_lock = asyncio.Lock()
        self._outbox_lock = asyncio.Lock()
        self._reviews_lock = asyncio.Lock()
        self._integrations_lock = asyncio.Lock()
        self._running: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        """Schedule the jobs, first run now."""
        config = self._config().scheduler
        scheduler = AsyncIOScheduler(timezone=UTC)
        common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None,
                  "next_run_time": datetime.now(UTC)}
        scheduler.add_job(self._tracked(self.tick_updates), "interval", id="updates",
                          seconds=config.updates_interval.total_seconds(), **common)
        scheduler.add_job(self._tracked(self.tick_outbox), "interval", id="outbox",
                          seconds=config.outbox_interval.total_seconds(), **common)
        scheduler.add_job(self._tracked(self.tick_reviews), "interval", id="reviews",
                          seconds=config.updates_interval.total_seconds(), **common)
        scheduler.add_job(self._tracked(self.tick_integrations), "interval", id="integrations",
                          seconds=config.updates_interval.total_seconds(), **common)
        scheduler.start()
        self._scheduler = scheduler

    def _tracked(self, tick: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                return await tick()
            finally:
                if task is not None:
                    self._running.discard(task)

        run.__name__ = run.__qualname__ = tick.__name__
        return run

    async def stop(self) -> None:
        """Stop scheduling and let the jobs already running finish."""
        if self._scheduler is not None:
            self._scheduler.pause()
            # shutdown cancels running jobs, which would abandon a transaction (and
            # its connection) halfway; a claimed outbox row would stay "sending"
            if self._running:
                await asyncio.wait(set(self._running),
                                   timeout=self._config().server.shutdown_timeout
                                   .total_seconds())
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def kick_outbox(self) -> None:
        """Deliver soon: something was just queued."""
        if self._scheduler is not None:
            job = self._scheduler.get_job("outbox")
            if job is not None:
                job.modify(next_run_time=datetime.now(UTC))

    async def tick_updates(self) -> int:
        """Queue due status updates; return how many incidents were due."""
        config, renderer = self._config(), self._renderer()

        def run(session: Session) -> int:
            work = Work(session=session, config=config, now=self._clock.now())
            return send_due_updates(work, renderer)

        async with self._updates_lock, self._sessions.begin() as session:
            due = await session.run_sync(run)
        if due:
            log.info("scheduler: %d status update(s) due", due)
            self.kick_outbox()
        return due

    async def tick_reviews(self) -> int:
        """Queue reminders for overdue post-incident reviews; return how many."""
        config, renderer, now = self._config(), self._renderer(), self._clock.now()

        def run(session: Session) -> int:
            return remind_reviews(Work(session=session, config=config, now=now), renderer)

        async with self._reviews_lock, self._sessions.begin() as session:
            sent = await session.run_sync(run)
        if sent:
            log.info("scheduler: %d review reminder(s) queued", sent)
            self.kick_outbox()
        return sent

    async def tick_integrations(self) -> int:
        """Settle flapping alerts (mailing once) and confirm SNS subscriptions; return both."""
        async with self._integrations_lock:
            settled, confirmed = await run_integration_jobs(
                self._sessions, self._config(), self._renderer(), self._clock)
        if settled:
            log.info("scheduler: %d flapping alert(s) settled", settled)
            self.kick_outbox()
        return settled + confirmed

    async def tick_outbox(self) -> int:
        """Deliver due outbox messages; return how many were sent."""
        async with self._outbox_lock:
            return await deliver_due(self._sessions, self._notifier, self._config(),
                                     self._clock, instance=self._instance)
