"""Periodic work on APScheduler: status updates, outbox delivery, reminders, escalations.

Jobs only query and enqueue (updates) or claim and deliver (outbox); the
decisions live in `daemon.comms`. The daily digest is a cron job at
`[digest] time`, also run once at start to catch up on today's digest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from daemon.clock import Clock
from daemon.comms import Renderer, send_due_updates
from daemon.comms.delivery import deliver_due
from daemon.comms.digest import already_sent, due_day, send_digest
from daemon.config import Config
from daemon.integration_jobs import run_integration_jobs
from daemon.lifecycle.escalation import escalate_due
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
        self._running: set[asyncio.Task[object]] = set()  # job runs `stop()` waits for
        # One tick of each kind at a time in this process: SQLite has no row locks,
        # and a tick run by hand (tests, CLI) must not overlap the scheduled one.
        self._updates_lock = asyncio.Lock()
        self._outbox_lock = asyncio.Lock()
        self._reviews_lock = asyncio.Lock()
        self._digest_lock = asyncio.Lock()
        self._integrations_lock = asyncio.Lock()
        self._escalations_lock = asyncio.Lock()
        self._outbox_busy = False
        self._kick_again = False  # something was queued while the outbox tick ran

    def start(self) -> None:
        """Schedule the jobs, first run now."""
        config = self._config().scheduler
        scheduler = AsyncIOScheduler(timezone=UTC)
        common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None,
                  "next_run_time": datetime.now(UTC)}
        scheduler.add_job(self._job, "interval", args=[self.tick_updates], id="updates",
                          name="status updates",
                          seconds=config.updates_interval.total_seconds(), **common)
        scheduler.add_job(self._job, "interval", args=[self.tick_outbox], id="outbox",
                          name="outbox delivery",
                          seconds=config.outbox_interval.total_seconds(), **common)
        scheduler.add_job(self._job, "interval", args=[self.tick_reviews], id="reviews",
                          name="review reminders",
                          seconds=config.updates_interval.total_seconds(), **common)
        scheduler.add_job(self._job, "interval", args=[self.tick_integrations],
                          id="integrations", name="flapping and subscriptions",
                          seconds=config.updates_interval.total_seconds(), **common)
        digest = self._config().digest
        if digest.lists:
            trigger = CronTrigger(hour=digest.time.hour, minute=digest.time.minute,
                                  timezone=ZoneInfo(digest.timezone))
            scheduler.add_job(self._job, trigger, args=[self.tick_digest], id="digest",
                              name="daily digest", **common)
        scheduler.add_job(self._job, "interval", args=[self.tick_escalations],
                          id="escalations", name="escalations",
                          seconds=config.updates_interval.total_seconds(), **common)
        scheduler.start()
        self._scheduler = scheduler
        self._outbox_busy = True  # the first run is due now

    @property
    def apscheduler(self) -> AsyncIOScheduler | None:
        """The running APScheduler, for jobs added elsewhere (retention)."""
        return self._scheduler

    async def _job(self, tick: Callable[[], Awaitable[int]]) -> None:
        """Run one tick, known to `stop()` while it runs."""
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        outbox = tick == self.tick_outbox
        self._outbox_busy |= outbox
        try:
            await tick()
        finally:
            self._running.discard(task)
            if outbox:
                # APScheduler counts this run as running until its own done
                # callback (added before ours) has run; ask again only after it.
                task.add_done_callback(self._outbox_done)

    def _outbox_done(self, _task: object) -> None:
        self._outbox_busy = False
        if self._kick_again:
            self._kick_again = False
            self.kick_outbox()

    async def stop(self) -> None:
        """Stop scheduling; let a running tick finish, within the shutdown timeout.

        APScheduler's shutdown cancels running jobs, and a delivery cancelled
        half-way has an unknown outcome (the outbox then marks it failed
        rather than risk sending it twice). The last delivery round runs once
        the pipeline has stopped (`daemon.ops.wiring.outbox_flush`).
        """
        if self._scheduler is None:
            return
        self._scheduler.pause()
        running = [task for task in self._running if not task.done()]
        if running:
            await asyncio.wait(running,
                               timeout=self._config().server.shutdown_timeout.total_seconds())
        self._scheduler.shutdown(wait=False)
        self._scheduler = None

    def kick_outbox(self) -> None:
        """Deliver soon: something was just queued."""
        if self._outbox_busy:
            # Asking APScheduler now would only log "skipped: maximum number of
            # running instances"; run again as soon as this tick ends instead.
            self._kick_again = True
            return
        if self._scheduler is not None:
            job = self._scheduler.get_job("outbox")
            if job is not None:
                job.modify(next_run_time=datetime.now(UTC))
                self._outbox_busy = True  # from now until that run ends

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

    async def tick_digest(self) -> int:
        """Queue today's digest of each `[digest]` list that has not had it; return how many."""
        config, renderer, now = self._config(), self._renderer(), self._clock.now()
        day = due_day(config, now)
        if day is None:
            return 0
        sent = 0
        for name in config.digest.lists:

            def run(session: Session, name: str = name) -> bool:
                if already_sent(session, list_name=name, day=day):
                    return False
                work = Work(session=session, config=config, now=now)
                return send_digest(work, renderer, name, day, self._instance)

            try:
                async with self._digest_lock, self._sessions.begin() as session:
                    sent += await session.run_sync(run)
            except IntegrityError:  # another daemon claimed it between our check and insert
                log.info("scheduler: the %s digest of %s came from another instance", name, day)
        if sent:
            log.info("scheduler: %d digest(s) queued", sent)
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

    async def tick_escalations(self) -> int:
        """Mail the escalation lists of incidents nobody acknowledged in time; return how many."""
        config, renderer, now = self._config(), self._renderer(), self._clock.now()

        def run(session: Session) -> int:
            return escalate_due(Work(session=session, config=config, now=now), renderer)

        async with self._escalations_lock, self._sessions.begin() as session:
            sent = await session.run_sync(run)
        if sent:
            log.info("scheduler: %d escalation(s) queued", sent)
            self.kick_outbox()
        return sent

    async def tick_outbox(self) -> int:
        """Deliver due outbox messages; return how many were sent."""
        async with self._outbox_lock:
            return await deliver_due(self._sessions, self._notifier, self._config(),
                                     self._clock, instance=self._instance)
