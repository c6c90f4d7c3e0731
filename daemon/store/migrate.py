"""Alembic migrations: apply them, and refuse to run on an unmigrated database."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


class SchemaError(Exception):
    """The database schema is not at the revision this code needs."""


def migrations_dir() -> Path:
    """The Alembic script directory: in the source tree, or installed under share/."""
    candidates = [
        Path(__file__).resolve().parents[2] / "migrations",
        Path(sys.prefix) / "share" / "incidentd" / "migrations",
    ]
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("migrations directory not found (looked in "
                            + ", ".join(str(c) for c in candidates) + ")")


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """An Alembic config pointing at our scripts, optionally bound to a connection."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision())


async def upgrade(engine: AsyncEngine, revision: str = "head") -> tuple[str | None, str]:
    """Apply migrations up to `revision`; return (before, after)."""
    before = await current_revision(engine)
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(alembic_config(sync), revision))
    after = await current_revision(engine)
    assert after is not None
    return before, after


async def check_schema(engine: AsyncEngine, config_hint: str) -> None:
    """Raise `SchemaError` with the command to run when the schema is not current."""
    current = await current_revision(engine)
    head = head_revision()
    if current == head:
        return
    state = "has no incidentd schema" if current is None else f"is at revision {current}"
    raise SchemaError(
        f"the database {state}, this version needs {head}; "
        f"run: incidentd db upgrade{config_hint}"
    )
