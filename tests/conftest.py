"""Shared test options and fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from daemon.config import Config
from tests import support

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the *.expected.json files from the current parser output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: SQLite, and PostgreSQL where it is reachable."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'db' / 'incidentd.db'}"
        return
    support.skip_without_pg()
    async with support.pg_database_url() as url:
        yield url


@pytest.fixture
async def config(tmp_path: Path, db_url: str) -> Config:
    """A migrated test configuration on each database backend."""
    cfg = support.make_config(tmp_path / "data", db_url)
    await support.migrate(cfg)
    return cfg


@pytest.fixture
def clock() -> support.FakeClock:
    return support.FakeClock()


@pytest.fixture
async def sqlite_config(tmp_path: Path) -> Config:
    """A migrated SQLite configuration, for tests where the backend does not matter."""
    cfg = support.make_config(tmp_path / "data", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    await support.migrate(cfg)
    return cfg


@pytest.fixture
async def store(config: Config, clock: support.FakeClock) -> AsyncIterator[Any]:
    """The lifecycle store on each backend (tests/daemon/lifecycle/support.py)."""
    from tests.daemon.lifecycle.support import Store

    result = Store(config, clock)
    yield result
    await result.close()


@pytest.fixture
async def sqlite_store(sqlite_config: Config, clock: support.FakeClock) -> AsyncIterator[Any]:
    """The lifecycle store on SQLite only."""
    from tests.daemon.lifecycle.support import Store

    result = Store(sqlite_config, clock)
    yield result
    await result.close()
