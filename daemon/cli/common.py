"""Shared pieces of the command line: configuration options and database access."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from daemon.config import Config, ConfigError, load_config
from daemon.store.db import create_engine, session_factory
from daemon.store.migrate import SchemaError, check_schema
from daemon.store.models import MAX_ROW_ID

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# A row id on the command line: what the database can hold (click says so otherwise).
ROW_ID = click.IntRange(1, MAX_ROW_ID)

CONFIG_HELP = "configuration file (TOML); default: $INCIDENTD_CONFIG, else built-in defaults"


def config_options(func: F) -> F:
    """--config and --data-dir, on every command that reads the configuration."""
    func = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        envvar="INCIDENTD_DATA_DIR",
                        help="where SQLite and the Maildir live (overrides server.data_dir)")(func)
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                        envvar="INCIDENTD_CONFIG", help=CONFIG_HELP)(func)


def load(config_path: Path | None, data_dir: Path | None, **extra: Any) -> Config:
    """Load the configuration with command-line overrides; errors become CLI errors."""
    overrides = {"server.data_dir": str(data_dir) if data_dir else None, **extra}
    try:
        return load_config(config_path, overrides=overrides)
    except ConfigError as exc:
        raise click.ClickException(f"configuration error:\n{exc}") from None


def hint(config_path: Path | None) -> str:
    """The `--config FILE` part of a command to suggest."""
    return f" --config {config_path}" if config_path else ""


def with_session(config: Config, config_path: Path | None, func: Callable[[Session], T]) -> T:
    """Run `func` with a session on a migrated database; schema problems are CLI errors."""

    async def run() -> T:
        engine = create_engine(config.database_url)
        try:
            await check_schema(engine, hint(config_path))
            async with session_factory(engine).begin() as session:
                return await session.run_sync(func)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from None
