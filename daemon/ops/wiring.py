"""Operations inside one application: its state, two cleanup contexts, reload, readiness.

`build_app` installs `OpsState` and two contexts: `outbox_flush`, right after
the database (so its cleanup runs once the SMTP listener, scheduler, pipeline
and intake writer have stopped) delivers what the last transactions queued,
within a bounded time; `monitoring`, last, measures the event loop and the
disk space, and adds the retention job and the scheduler's lag listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from apscheduler.events import EVENT_JOB_SUBMITTED
from pydantic import BaseModel, SecretStr
from sqlalchemy.engine import make_url

from daemon.comms.delivery import deliver_due
from daemon.config import Config
from daemon.keys import CLOCK, ENGINE, RUNTIME, SESSIONS
from daemon.logs import setup_logging
from daemon.ops.certificates import loaded
from daemon.ops.disk import LowSpace, measure
from daemon.ops.health import Check, LoopMonitor, check_outbox, check_pipeline
from daemon.ops.instrument import MeasuredNotifier, scheduler_listener
from daemon.ops.metrics import METRICS, Metrics
from daemon.ops.reload import ReloadResult
from daemon.ops.retention import apply_retention
from daemon.ops.stats import StoreStats, collect_stats
from daemon.store.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

DB_TIMEOUT = 5.0  # a readiness probe must answer even when the database hangs
DISK_INTERVAL = 60.0  # seconds between measurements of free space


@dataclass(slots=True)
class OpsState:
    """What operations code keeps per application."""

    monitor: LoopMonitor
    notifier: MeasuredNotifier | None = None  # set when the scheduler starts
    stopping: bool = False
    manage_logging: bool = False  # true under `incidentd serve`: reload may re-set logging
    secrets: set[str] = field(default_factory=set)
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    head: str | None = None  # the migration head, read once
    low_space: LowSpace = field(default_factory=LowSpace)


OPS = web.AppKey("ops", OpsState)


def install(app: web.Application) -> None:
    """Put the metrics registry and the operations state on a new application."""
    metrics = Metrics()
    app[METRICS] = metrics
    app[OPS] = OpsState(monitor=LoopMonitor(metrics))


async def outbox_flush(app: web.Application) -> AsyncIterator[None]:
    """On shutdown, deliver what is due, within `server.shutdown_timeout`.

    One message per round and a deadline checked between rounds: a delivery
    is never cut off half-way (its outcome would be unknown and, by the
    outbox's at-most-once rule, the message would then count as failed).
    """
    yield
    notifier = app[OPS].notifier
    if notifier is None:
        return
    runtime, clock = app[RUNTIME], app[CLOCK]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + runtime.config.server.shutdown_timeout.total_seconds()
    sent = 0
    try:
        while loop.time() < deadline:
            if not await deliver_due(app[SESSIONS], notifier, runtime.config, clock,
                                     instance=runtime.instance, limit=1):
                break
            sent += 1
    except Exception as exc:  # noqa: BLE001 - shutting down: report, never hang or crash
        log.warning("outbox flush on shutdown stopped sent=%d error=%s", sent, exc)
        return
    if sent:
        log.info("outbox flushed on shutdown sent=%d", sent)


async def monitoring(app: web.Application) -> AsyncIterator[None]:
    """Measure loop lag and disk space; schedule retention; time the scheduler's jobs."""
    from daemon.app import SCHEDULER  # the app module imports this one

    state = app[OPS]
    state.monitor.start()
    disk_watch = asyncio.create_task(watch_disk(app), name="disk-watch")
    scheduler = app.get(SCHEDULER)
    aps = scheduler.apscheduler if scheduler is not None else None
    if aps is not None:
        aps.add_listener(scheduler_listener(app[METRICS]), EVENT_JOB_SUBMITTED)
        hour, minute = app[RUNTIME].config.retention.hour_minute
        aps.add_job(run_retention, "cron", args=[app], id="retention", hour=hour,
                    minute=minute, coalesce=True, max_instances=1, misfire_grace_time=3600)
    yield
    disk_watch.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await disk_watch
    await state.monitor.stop()


async def disk_space(app: web.Application) -> None:
    """Measure free space and the database's size now (gauges, and a warning when low)."""
    await asyncio.to_thread(measure, app[RUNTIME].config, app[METRICS], app[OPS].low_space)


async def watch_disk(app: web.Application) -> None:
    """`disk_space` at start and every `DISK_INTERVAL` seconds."""
    while True:
        try:
            await disk_space(app)
        except Exception:  # noqa: BLE001 - a failed measurement must not end the watch
            log.exception("measuring disk space failed")
        await asyncio.sleep(DISK_INTERVAL)


async def run_retention(app: web.Application) -> None:
    """The daily job: apply `[retention]` and count what went."""
    config = app[RUNTIME].config.retention
    try:
        result = await apply_retention(app[SESSIONS], config, app[CLOCK].now())
    except Exception:
        log.exception("retention run failed; it runs again tomorrow")
        return
    metrics = app[METRICS]
    metrics.retention_deleted.labels("intake-deleted").inc(result.intake_deleted)
    metrics.retention_deleted.labels("intake-emptied").inc(result.intake_emptied)
    metrics.retention_deleted.labels("outbox-deleted").inc(result.outbox_deleted)


def secret_values(config: Config) -> set[str]:
    """Every secret in the configuration, for the log redactor.

    Every `SecretStr`, wherever it sits (tokens, HMAC secrets, basic-auth
    passwords, routing keys, the relay password; a new one is covered
    without a change here), and the database URL's password.
    """
    values: set[str] = set()
    _collect_secrets(config, values)
    password = make_url(config.database_url).password
    if password:
        values.add(str(password))
    return values


def _collect_secrets(value: Any, into: set[str]) -> None:
    if isinstance(value, SecretStr):
        into.add(value.get_secret_value())
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect_secrets(getattr(value, name), into)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_secrets(item, into)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_secrets(item, into)


async def reload_app(app: web.Application) -> ReloadResult:
    """Reload the configuration (SIGHUP, the admin API); one reload at a time."""
    state = app[OPS]
    async with state.reload_lock:
        runtime = app[RUNTIME]
        # Reading the file and rendering the templates is blocking work.
        result = await asyncio.to_thread(runtime.reload)
        app[METRICS].reloads.labels("ok" if result.ok else "failed").inc()
        if result.ok and state.manage_logging:
            config = runtime.config
            state.secrets |= secret_values(config)  # old secrets may still be in flight
            setup_logging(config.logging.level, config.logging.format, state.secrets)
        return result


def certificate_loaded(app: web.Application, listener: str, cert: Path) -> None:
    """`listener` serves `cert` from now on: export when it expires, warn when that is soon."""
    end = loaded(listener, cert, app[CLOCK].now())
    if end is not None:
        app[METRICS].tls_expiry.labels(listener).set(end.timestamp())


async def store_stats(app: web.Application) -> StoreStats:
    """`collect_stats` within `DB_TIMEOUT`."""
    return await asyncio.wait_for(collect_stats(app[SESSIONS]), DB_TIMEOUT)


async def readiness(app: web.Application) -> list[Check]:
    """Every readiness check, each with what is wrong."""
    from daemon.app import PIPELINE, SMTP_SERVER  # the app module imports this one

    state = app[OPS]
    config = app[RUNTIME].config
    now = app[CLOCK].now()
    checks: list[Check] = []
    if state.stopping:
        checks.append(Check("process", False, "shutting down"))
    try:
        stats = await store_stats(app)
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        checks.append(Check("database", False, f"cannot query the store: {detail}"))
        stats = None
    else:
        checks.append(Check("database", True, "reachable"))
    checks.append(await _check_schema(app, state))
    smtp = app.get(SMTP_SERVER)
    if config.server.smtp is not None and (smtp is None or not smtp.is_serving()):
        checks.append(Check("listeners", False, "the SMTP listener is not serving"))
    else:
        checks.append(Check("listeners", True, "HTTP answering" +
                            (", SMTP serving" if smtp is not None else "")))
    if stats is not None:
        checks.append(check_pipeline(config, app.get(PIPELINE), stats, now))
        checks.append(check_outbox(config, state.notifier, stats, now))
    return checks


async def _check_schema(app: web.Application, state: OpsState) -> Check:
    if state.head is None:
        state.head = await asyncio.to_thread(head_revision)
    try:
        current = await asyncio.wait_for(current_revision(app[ENGINE]), DB_TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        return Check("schema", False, f"cannot read the schema revision: {exc}")
    if current != state.head:
        return Check("schema", False, f"database at revision {current}, this version needs "
                                      f"{state.head}: run incidentd db upgrade")
    return Check("schema", True, f"at {current}")
