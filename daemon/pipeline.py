"""The pipeline worker: accepted intake rows, in received order, one transaction each.

On start it first finishes rows a crash left behind (they are simply still
`accepted`). A parse failure quarantines the row; a bug while processing a row
quarantines it too (with the error), so nothing is retried in a loop. A
database failure leaves the row `accepted` and the worker backs off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from daemon.clock import Clock
from daemon.comms import Renderer
from daemon.config import Config
from daemon.logs import log_context
from daemon.process import Outcome, process_intake
from daemon.store import repo
from daemon.store.db import Database
from daemon.store.models import Intake, IntakeStatus
from daemon.work import Work

log = logging.getLogger(__name__)

# Failures of the store itself: the row stays accepted and the worker backs off.
# (Not every OSError: jinja2's TemplateNotFound is one, and is a bug to quarantine.)
STORE_DOWN = (OperationalError, DBAPIError, ConnectionError, TimeoutError)

# One key for the whole pipeline: several instances on PostgreSQL take turns per
# transaction, so correlation never races (intake itself stays parallel).
PIPELINE_LOCK = 0x1_9C1D_E47D


class PipelineWorker:
    """Runs `process_intake` over accepted rows until stopped."""

    def __init__(
        self,
        database: Database,
        config: Callable[[], Config],
        renderer: Callable[[], Renderer],
        clock: Clock,
        on_queued: Callable[[], None] | None = None,
        on_processed: Callable[[int, Outcome, datetime], None] | None = None,
    ) -> None:
        self._db = database
        self._on_queued = on_queued
        self._on_processed = on_processed  # metrics: (intake id, outcome, received_at)
        self._config = config
        self._renderer = renderer
        self._clock = clock
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.processed = 0
        self.last_error: str | None = None
        self.last_progress = time.monotonic()  # readiness: when a row was last finished

    def wake(self) -> None:
        """New rows were committed."""
        self._wake.set()

    def start(self) -> None:
        """Start the worker task."""
        self.last_progress = time.monotonic()
        self._task = asyncio.create_task(self._run(), name="pipeline")

    @property
    def running(self) -> bool:
        """True while the worker task is alive."""
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Let the current transaction finish, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _run(self) -> None:
        backoff = 1.0
        while not self._stopping:
            try:
                done = await self.drain()
                backoff = 1.0
                self.last_error = None
            except STORE_DOWN as exc:
                self.last_error = str(exc)
                log.error("pipeline: database unavailable, retrying in %.0fs: %s", backoff, exc)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            if not done:
                await self._sleep(self._config().pipeline.poll_interval.total_seconds())

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def drain(self, limit: int = 200) -> int:
        """Process accepted rows until none are left (or stopping); return the count."""
        total = 0
        after = 0
        while not self._stopping:
            ids = await self._db.run(_accepted_ids, after, limit)
            if not ids:
                break
            for intake_id in ids:
                if self._stopping:
                    break
                await self.process(intake_id)
                total += 1
            after = ids[-1]
        return total

    async def process(self, intake_id: int) -> Outcome | None:
        """Process one row in its own transaction; None if another worker has it."""
        config = self._config()
        renderer = self._renderer()
        now = self._clock.now()
        try:
            done = await self._db.run(_process, intake_id, config, renderer, now)
        except STORE_DOWN:
            raise
        except Exception as exc:  # a bug for this input: quarantine it, keep going
            log.exception("pipeline: intake=%d failed; quarantined", intake_id)
            reason = f"internal error: {type(exc).__name__}: {exc}"[:2000]
            await self._db.run(_quarantine, intake_id, reason, now)
            self.last_progress = time.monotonic()
            return Outcome(IntakeStatus.QUARANTINED, "internal error")
        outcome, received_at = done if done is not None else (None, now)
        if outcome is not None:
            self.processed += 1
            self.last_progress = time.monotonic()
            if self._on_processed is not None:
                self._on_processed(intake_id, outcome, received_at)
            if outcome.queued and self._on_queued is not None:
                self._on_queued()
        return outcome


def _quarantine(session: Session, intake_id: int, reason: str, now: datetime) -> None:
    intake = session.get(Intake, intake_id)
    if intake is not None and intake.status == IntakeStatus.ACCEPTED:
        intake.status = IntakeStatus.QUARANTINED.value
        intake.reason = reason
        intake.processed_at = now


def _accepted_ids(session: Session, after: int, limit: int) -> list[int]:
    return list(repo.get_accepted_intake_ids(session, after_id=after, limit=limit))


def _process(session: Session, intake_id: int, config: Config, renderer: Renderer,
             now: datetime) -> tuple[Outcome, datetime] | None:
    if repo.skip_locked(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PIPELINE_LOCK})
    intake = repo.claim_intake(session, intake_id=intake_id)
    if intake is None:
        return None
    work = Work(session=session, config=config, now=now)
    with log_context(intake=intake_id):  # on every line logged about this row
        outcome = process_intake(work, renderer, intake)
    log.debug("intake=%d %s %s", intake_id, outcome.status, ",".join(outcome.incident_keys))
    return outcome, intake.received_at
