"""Engine and session set-up for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry


def is_sqlite(url: str) -> bool:
    """True for SQLite URLs."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, a busy timeout and foreign keys."""
    parsed = make_url(url)
    # Error messages would otherwise quote statement parameters: raw report
    # bodies and addresses. `[database] echo` is for debugging and shows them.
    options: dict[str, Any] = {"echo": echo, "hide_parameters": not echo}
    if is_sqlite(url):
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"timeout": 30}
    else:
        options.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    engine = create_async_engine(parsed, **options)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers (API, CLI) run beside the single writer; synchronous=FULL
    # makes a commit durable before we acknowledge a report.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (we read them to answer)."""
    return async_sessionmaker(engine, expire_on_commit=False)
