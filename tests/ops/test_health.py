"""/healthz and /readyz against a running daemon whose database goes away and returns."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import make_url

from daemon.config import Config
from daemon.ops.health import check_outbox, check_pipeline
from daemon.ops.instrument import MeasuredNotifier
from daemon.ops.stats import StoreStats
from tests.support import Daemon, FakeClock, make_config, migrate, running_daemon, wait_for


async def get(daemon: Daemon, path: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        response = await http.get(f"{daemon.url}{path}")
        return response.status, dict(await response.json())


def failed_checks(body: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in body["checks"] if not c["ok"]}


async def test_readyz_follows_the_database_away_and_back(config: Config) -> None:
    url = make_url(config.database_url)
    async with running_daemon(config) as daemon:
        status, body = await get(daemon, "/readyz")
        assert status == 200, body
        assert [c["name"] for c in body["checks"]] == ["database", "schema", "listeners",
                                                        "pipeline", "outbox"]
        if url.get_backend_name() == "sqlite":
            # Another process breaks the schema under the daemon's feet, then repairs it.
            with sqlite3.connect(str(url.database)) as db:
                db.execute("ALTER TABLE intake RENAME TO intake_away")
            status, body = await get(daemon, "/readyz")
            assert status == 503
            assert "no such table: intake" in failed_checks(body)["database"]
            with sqlite3.connect(str(url.database)) as db:
                db.execute("ALTER TABLE intake_away RENAME TO intake")
        else:
            import asyncpg

            admin = await asyncpg.connect(url.set(drivername="postgresql", database="postgres")
                                          .render_as_string(hide_password=False))
            try:
                await admin.execute(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS false')
                await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = $1", url.database)
                status, body = await get(daemon, "/readyz")
                assert status == 503
                assert "database" in failed_checks(body)
                assert body["problems"][0].startswith("database: cannot query the store")
            finally:
                await admin.execute(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS true')
                await admin.close()

        async def ready_again() -> bool:
            return (await get(daemon, "/readyz"))[0] == 200

        await wait_for(ready_again, seconds=15)


async def test_readyz_names_an_unmigrated_schema(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data")
    await migrate(config)
    async with running_daemon(config) as daemon:
        with sqlite3.connect(str(make_url(config.database_url).database)) as db:
            db.execute("UPDATE alembic_version SET version_num = '0000'")
        status, body = await get(daemon, "/readyz")
        assert status == 503
        assert "run incidentd db upgrade" in failed_checks(body)["schema"]


async def test_healthz_fails_while_the_event_loop_lags(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", **{"health.loop_lag": "200ms"})
    await migrate(config)
    async with running_daemon(config) as daemon:
        status, body = await get(daemon, "/healthz")
        assert (status, body["status"], body["service"]) == (200, "ok", "incidentd")
        time.sleep(0.8)  # noqa: ASYNC251 - the daemon shares this loop: block it
        status, body = await get(daemon, "/healthz")
        assert status == 503
        assert "event loop lags" in body["problem"]

        async def healthy() -> bool:
            return (await get(daemon, "/healthz"))[0] == 200

        await wait_for(healthy, seconds=5)


class Worker:
    def __init__(self, idle: float, running: bool = True) -> None:
        self.running = running
        self.last_progress = time.monotonic() - idle
        self.last_error: str | None = "database is locked"


def test_pipeline_is_stalled_only_with_old_backlog_and_no_progress(tmp_path: Path) -> None:
    config = make_config(tmp_path, **{"health.pipeline_stall": "5m"})
    clock = FakeClock()
    old = StoreStats(accepted=3, oldest_accepted_at=clock.now() - timedelta(minutes=10))
    fresh = StoreStats(accepted=3, oldest_accepted_at=clock.now() - timedelta(seconds=10))
    now = clock.now()
    stalled = check_pipeline(config, Worker(idle=600), old, now)  # type: ignore[arg-type]
    assert not stalled.ok
    assert "stalled: 3 accepted report(s), the oldest 10 min old" in stalled.detail
    assert "database is locked" in stalled.detail
    assert check_pipeline(config, Worker(idle=1), old, now).ok  # type: ignore[arg-type]
    assert check_pipeline(config, Worker(idle=600), fresh, now).ok  # type: ignore[arg-type]
    dead = check_pipeline(config, Worker(idle=0, running=False), fresh,  # type: ignore[arg-type]
                          now)
    assert not dead.ok
    assert "stopped" in dead.detail
    assert check_pipeline(config, None, old, now).ok  # disabled here: another instance's job


def test_outbox_fails_on_repeated_failures_or_old_pending(tmp_path: Path) -> None:
    from daemon.ops.metrics import Metrics

    config = make_config(tmp_path, **{"health.outbox_failures": 3,
                                      "health.outbox_pending_age": "1h"})
    now = FakeClock().now()
    notifier = MeasuredNotifier(None, Metrics(), FakeClock())  # type: ignore[arg-type]
    assert check_outbox(config, notifier, StoreStats(), now).ok
    notifier.consecutive_failures, notifier.last_error = 3, "connection refused"
    failing = check_outbox(config, notifier, StoreStats(), now)
    assert not failing.ok
    assert "the last 3 deliveries failed (connection refused)" in failing.detail
    notifier.consecutive_failures = 0
    stale = StoreStats(outbox={"pending": 2}, oldest_pending_at=now - timedelta(hours=3))
    result = check_outbox(config, notifier, stale, now)
    assert not result.ok
    assert "2 message(s) undelivered, the oldest 180 min old" in result.detail
