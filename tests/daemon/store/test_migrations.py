"""The migrated schema is exactly what the models describe, on every backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from daemon.config import Config
from daemon.store import claims  # noqa: F401 - registers its table
from daemon.store.db import create_engine
from daemon.store.migrate import current_revision, head_revision, upgrade
from daemon.store.models import Base  # importing the models registers the tables


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_models(config: Config) -> None:
    engine = create_engine(config.database_url)
    try:
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


async def test_downgrade_to_0001_and_back(config: Config) -> None:
    from alembic import command

    from daemon.store.migrate import alembic_config

    engine = create_engine(config.database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.downgrade(alembic_config(sync), "0001"))
        assert await current_revision(engine) == "0001"
        before, after = await upgrade(engine)
        assert (before, after) == ("0001", head_revision())
    finally:
        await engine.dispose()
