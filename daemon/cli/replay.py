"""`incidentd replay`: run stored raw reports through the pipeline again.

Quarantined rows (a parser could not read them) and ignored rows (understood
but not an incident) have no reports, so putting them back to `accepted` is
safe: the pipeline then processes them as if they had just arrived, with the
parsers, rules and configuration in force now. Parsed rows already fed
incidents and are left alone.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.api import dumps
from daemon.cli.common import ROW_ID, config_options, hint, load, with_session
from daemon.clock import SystemClock
from daemon.config import Config
from daemon.pipeline import PipelineWorker
from daemon.runtime import Runtime
from daemon.store.db import Database
from daemon.store.migrate import check_schema
from daemon.store.models import Intake, IntakeStatus

REPLAYABLE = (IntakeStatus.QUARANTINED.value, IntakeStatus.IGNORED.value)


def requeue(session: Session, *, ids: tuple[int, ...], statuses: tuple[str, ...],
            since: datetime | None) -> list[dict[str, Any]]:
    """Put matching quarantined/ignored rows back to accepted; return what was requeued."""
    query = select(Intake).where(Intake.status.in_(statuses)).order_by(Intake.id)
    if ids:
        query = query.where(Intake.id.in_(ids))
    if since is not None:
        query = query.where(Intake.received_at >= since)
    rows = []
    for intake in session.scalars(query):
        rows.append({"id": intake.id, "was": intake.status, "reason": intake.reason})
        intake.status = IntakeStatus.ACCEPTED.value
        intake.reason = None
        intake.details = None
        intake.processed_at = None
    return rows


async def process_now(config: Config, config_path: Path | None) -> int:
    """Process every accepted row here and now (no daemon needed)."""
    database = Database(config.database_url)
    try:
        await check_schema(database.engine, hint(config_path))
        runtime = Runtime(config, from_file=False)
        worker = PipelineWorker(database, runtime.get_config, runtime.get_renderer,
                                SystemClock())
        return await worker.drain()
    finally:
        await database.dispose()


@click.command()
@click.argument("ids", nargs=-1, type=ROW_ID)
@config_options
@click.option("--ignored", is_flag=True, help="also replay rows marked ignored")
@click.option("--since", help="only rows received within this duration (e.g. 24h)")
@click.option("--process", "process", is_flag=True,
              help="process the rows here instead of leaving them to the running daemon")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def replay(ids: tuple[int, ...], config_path: Path | None, data_dir: Path | None,
           ignored: bool, since: str | None, process: bool, as_json: bool) -> None:
    """Re-run parse → correlate → triage for quarantined rows (IDS: only these).

    Use it after fixing a parser, an integration's mapping or a rule. Rows go
    back to `accepted`; a running daemon picks them up within seconds, or
    --process handles them in this command.
    """
    from daemon.api.stats import parse_since

    config = load(config_path, data_dir)
    statuses = REPLAYABLE if ignored else (IntakeStatus.QUARANTINED.value,)
    start = None
    if since is not None:
        try:
            start = parse_since(since, SystemClock().now())
        except ValueError as exc:
            raise click.BadParameter(str(exc).partition(": ")[2], param_hint="--since") \
                from None
    rows = with_session(config, config_path,
                        lambda s: requeue(s, ids=ids, statuses=statuses, since=start))
    processed = asyncio.run(process_now(config, config_path)) if process and rows else 0
    if as_json:
        click.echo(dumps({"requeued": rows, "processed": processed}))
        return
    if not rows:
        click.echo("nothing to replay")
        return
    for row in rows:
        click.echo(f"intake {row['id']:<8} was {row['was']:<12} {row['reason'] or ''}")
    tail = f"; processed {processed}" if process else "; the running daemon will process them"
    click.echo(f"requeued {len(rows)} row(s){tail}")
