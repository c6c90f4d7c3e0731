"""Test helpers: a drivable clock, configurations, databases, a running daemon."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from daemon.config import Config, load_config
from daemon.store.db import create_engine
from daemon.store.migrate import upgrade

PG_URL = os.environ.get("INCIDENTD_TEST_PG_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("INCIDENTD_REQUIRE_PG") == "1"

ALERTMANAGER_TOKEN = "am-secret-token"
GENERIC_TOKEN = "generic-secret-token"
ADMIN_TOKEN = "admin-secret-token"
READ_TOKEN = "read-secret-token"
RESPOND_TOKEN = "respond-secret-token"
MAILBOX = "incidents@example.org"
PAGERDUTY_ROUTING_KEY = "R0UT1NGKEY0FTHETESTPAGERDUTY0001"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


def pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def skip_without_pg() -> None:
    """Skip (or, in CI, fail) when PostgreSQL is not reachable."""
    if pg_reachable():
        return
    if REQUIRE_PG:
        pytest.fail(f"INCIDENTD_REQUIRE_PG=1 but PostgreSQL at {PG_URL} is not reachable")
    pytest.skip(f"PostgreSQL at {PG_URL} is not reachable; set INCIDENTD_TEST_PG_URL")


@asynccontextmanager
async def pg_database_url() -> AsyncIterator[str]:
    """The URL of a fresh PostgreSQL database, dropped afterwards."""
    import asyncpg

    name = f"incidentd_t_{uuid.uuid4().hex[:12]}"
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


def make_config(data_dir: Path, db_url: str | None = None, **overrides: Any) -> Config:
    """A test configuration: free ports, integrations, lists, tokens."""
    values: dict[str, Any] = {
        "server.data_dir": str(data_dir),
        "server.http": "127.0.0.1:0",
        "server.smtp": "127.0.0.1:0",
        "server.hostname": "incidentd.test",
        "mailbox.addresses": [MAILBOX],
        "lists": {"oncall": ["oncall@example.org", "Lead@Example.org"],
                  "management": ["lead@example.org", "boss@example.org"]},
        "triage.default_lists": ["oncall"],
        "integrations": {
            "alertmanager": {"type": "alertmanager", "token": ALERTMANAGER_TOKEN},
            "generic": {"type": "generic", "token": GENERIC_TOKEN},
            "pagerduty": {"type": "pagerduty", "routing_key": PAGERDUTY_ROUTING_KEY},
        },
        "api.tokens": [{"name": "admin", "token": ADMIN_TOKEN, "role": "admin"},
                       {"name": "viewer", "token": READ_TOKEN, "role": "read"},
                       {"name": "responder", "token": RESPOND_TOKEN, "role": "respond"}],
        "notify.from": "incidentd <incidentd@example.org>",
        "pipeline.poll_interval": "100ms",
        "scheduler.outbox_interval": "1h",
        "scheduler.updates_interval": "1h",
    }
    if db_url:
        values["database.url"] = db_url
    values.update(overrides)
    return load_config(None, overrides=values)


async def migrate(config: Config) -> None:
    """Bring the configured database to the newest schema."""
    engine = create_engine(config.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@dataclass
class Daemon:
    """A daemon running in the test's event loop on real sockets."""

    app: web.Application
    server: TestServer
    smtp_port: int
    clock: FakeClock

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


@asynccontextmanager
async def running_daemon(config: Config, clock: FakeClock | None = None
                         ) -> AsyncIterator[Daemon]:
    """Start the whole daemon (HTTP, SMTP, pipeline, scheduler) and stop it afterwards."""
    from daemon.app import SMTP_SERVER, build_app
    from daemon.web import AccessLogger

    clock = clock or FakeClock()
    app = build_app(config, clock=clock)
    # The access logger `incidentd serve` uses (it leaves out query strings: ?token=).
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server(access_log_class=AccessLogger)
    try:
        smtp_port = 0
        if SMTP_SERVER in app:
            smtp_port = app[SMTP_SERVER].sockets[0].getsockname()[1]
        yield Daemon(app, server, smtp_port, clock)
    finally:
        await server.close()


async def wait_for(predicate: Any, seconds: float = 10.0, interval: float = 0.02) -> Any:
    """Poll an async predicate until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        result = await predicate()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {seconds}s")
        await asyncio.sleep(interval)


def auth(token: str) -> Mapping[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def smtp_call(port: int, conversation: Any) -> Any:
    """Run `conversation(client)` with a connected smtplib client in a thread.

    smtplib blocks; the daemon under test runs on this test's event loop.
    """
    import smtplib

    def run() -> Any:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            return conversation(client)

    return await asyncio.to_thread(run)
