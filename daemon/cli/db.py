"""`incidentd db …`: schema migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from daemon.cli.common import config_options, load
from daemon.store.db import create_engine
from daemon.store.migrate import upgrade


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@config_options
def db_upgrade(config_path: Path | None, data_dir: Path | None) -> None:
    """Apply schema migrations (safe to run repeatedly)."""
    config = load(config_path, data_dir)

    async def run() -> tuple[str | None, str]:
        engine = create_engine(config.database_url)
        try:
            return await upgrade(engine)
        finally:
            await engine.dispose()

    before, after = asyncio.run(run())
    if before == after:
        click.echo(f"database already at revision {after}")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")
