"""A new SQLite database gets 8 KB pages; one made earlier keeps its own and works on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from daemon.store.db import PAGE_SIZE, create_engine
from tests.support import make_config, migrate


def _page_size(path: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("PRAGMA page_size").fetchone()[0])


async def test_a_new_database_takes_the_larger_page(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    await migrate(config)
    path = make_url(config.database_url).database
    assert path is not None

    assert _page_size(path) == PAGE_SIZE == 8192


async def test_an_existing_database_keeps_its_page_size(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA page_size=4096")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE kept (n INTEGER)")
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO kept VALUES (1)"))
            count = (await connection.execute(text("SELECT count(*) FROM kept"))).scalar_one()
    finally:
        await engine.dispose()

    assert count == 1
    assert _page_size(str(path)) == 4096
