"""`incidentd db backup` and `incidentd db prune`: data care."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from daemon.cli.common import config_options, load
from daemon.clock import SystemClock


@click.command("backup")
@config_options
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace PATH if it exists")
def db_backup(config_path: Path | None, data_dir: Path | None, path: Path, force: bool) -> None:
    """Write a consistent copy of the SQLite database to PATH (safe while running).

    For PostgreSQL this prints the pg_dump command to use instead and exits 1.
    """
    from daemon.ops.backup import BackupError, backup

    config = load(config_path, data_dir)
    try:
        result = backup(config.database_url, path, overwrite=force)
    except BackupError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"backup written to {result.path}: {result.size / 1_048_576:.1f} MiB, "
               f"{result.incidents} incident(s), {result.intake} intake row(s)")


@click.command("prune")
@config_options
@click.option("--dry-run", is_flag=True, help="only count what would be removed")
def db_prune(config_path: Path | None, data_dir: Path | None, dry_run: bool) -> None:
    """Apply [retention] now (the daemon also does this daily)."""
    from daemon.ops.retention import apply_retention
    from daemon.store.db import create_engine, session_factory
    from daemon.store.migrate import SchemaError, check_schema

    config = load(config_path, data_dir)

    async def run() -> str:
        engine = create_engine(config.database_url)
        try:
            await check_schema(engine, "")
            result = await apply_retention(session_factory(engine), config.retention,
                                           SystemClock().now(), dry_run=dry_run)
        finally:
            await engine.dispose()
        verb = "would remove" if dry_run else "removed"
        return (f"{verb}: {result.intake_deleted} intake row(s) deleted, "
                f"{result.intake_emptied} emptied of their raw bytes, "
                f"{result.outbox_deleted} sent message(s) deleted")

    try:
        click.echo(asyncio.run(run()))
    except SchemaError as exc:
        raise click.ClickException(str(exc)) from None
