"""Liveness (`/healthz`) and readiness (`/readyz`) as plain checks.

Liveness asks only whether the process and its event loop are responsive: a
restart fixes a stuck loop, nothing else. Readiness asks whether this instance
does its job: the database answers and is migrated, the listeners are up, the
pipeline is not stalled and the outbox is not failing. Each check says what is
wrong in words an operator can act on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import datetime

from daemon.config import Config
from daemon.ops.instrument import MeasuredNotifier
from daemon.ops.metrics import Metrics
from daemon.ops.stats import StoreStats
from daemon.pipeline import PipelineWorker
from daemon.store.models import OutboxState

LAG_INTERVAL = 0.5


class LoopMonitor:
    """Measures how late the event loop runs a short periodic timer."""

    def __init__(self, metrics: Metrics | None = None, interval: float = LAG_INTERVAL) -> None:
        self._metrics = metrics
        self.interval = interval
        self.lag = 0.0
        self.last_tick = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start measuring."""
        self.last_tick = time.monotonic()
        self._task = asyncio.create_task(self._run(), name="loop-monitor")

    async def stop(self) -> None:
        """Stop measuring."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.interval)
            self.last_tick = time.monotonic()
            self.lag = max(self.last_tick - before - self.interval, 0.0)
            if self._metrics is not None:
                self._metrics.loop_lag.set(self.lag)

    def current_lag(self) -> float:
        """The last lag, or longer if the timer is overdue right now."""
        overdue = time.monotonic() - self.last_tick - self.interval
        return max(self.lag, overdue, 0.0)


@dataclass(frozen=True, slots=True)
class Check:
    """One readiness check: its name, whether it passed, and what is wrong."""

    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        """JSON for `/readyz`."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def check_pipeline(config: Config, worker: PipelineWorker | None, stats: StoreStats,
                   now: datetime) -> Check:
    """Stalled: accepted reports older than `pipeline_stall` and no progress for as long."""
    if worker is None:
        return Check("pipeline", True, f"disabled here (pipeline.enabled = false); "
                                       f"{stats.accepted} report(s) waiting for another instance")
    if not worker.running:
        return Check("pipeline", False, "the pipeline worker has stopped; restart incidentd "
                                        "and look for the error in its log")
    stall = config.health.pipeline_stall.total_seconds()
    if stats.oldest_accepted_at is None:
        return Check("pipeline", True, "no backlog")
    age = (now - stats.oldest_accepted_at).total_seconds()
    idle = time.monotonic() - worker.last_progress
    if age > stall and idle > stall:
        reason = f"; last error: {worker.last_error}" if worker.last_error else ""
        return Check("pipeline", False,
                     f"stalled: {stats.accepted} accepted report(s), the oldest "
                     f"{_minutes(age)} old, nothing processed for {_minutes(idle)}{reason}")
    return Check("pipeline", True, f"{stats.accepted} report(s) in the backlog, "
                                   f"oldest {_minutes(age)} old")


def check_outbox(config: Config, notifier: MeasuredNotifier | None, stats: StoreStats,
                 now: datetime) -> Check:
    """Failing: the last N deliveries failed, or the oldest pending message is too old."""
    health = config.health
    problems = []
    if notifier is not None and notifier.consecutive_failures >= health.outbox_failures:
        problems.append(f"the last {notifier.consecutive_failures} deliveries failed "
                        f"({notifier.last_error}); check [notify] and the relay")
    pending = stats.outbox.get(OutboxState.PENDING, 0)
    if stats.oldest_pending_at is not None:
        age = (now - stats.oldest_pending_at).total_seconds()
        if age > health.outbox_pending_age.total_seconds():
            problems.append(f"{pending} message(s) undelivered, the oldest {_minutes(age)} old")
    if problems:
        return Check("outbox", False, "; ".join(problems))
    failed = stats.outbox.get(OutboxState.FAILED, 0)
    return Check("outbox", True, f"{pending} pending, {failed} failed in total")
