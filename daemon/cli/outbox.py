"""`incidentd outbox …`: what was sent, what waits, what failed; requeue failed mail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from daemon.api import dumps
from daemon.cli.changes import fail, json_option
from daemon.cli.common import ROW_ID, config_options, load, with_session
from daemon.clock import SystemClock
from daemon.comms.outbox import OutboxError, list_outbox, requeue
from daemon.store.models import OutboxState, parse_incident_key

STATES = [state.value for state in OutboxState]


@click.group("outbox")
def outbox() -> None:
    """Outgoing mail: list it, requeue failed messages."""


@outbox.command("list")
@config_options
@click.option("--state", type=click.Choice(STATES), help="only messages in this state")
@click.option("--incident", "key", help="only mail about this incident")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@json_option
def list_command(config_path: Path | None, data_dir: Path | None, state: str | None,
                 key: str | None, limit: int, as_json: bool) -> None:
    """List outgoing messages, newest first (failed ones with the reason)."""
    config = load(config_path, data_dir)
    number = None
    if key is not None:
        number = parse_incident_key(key)
        if number is None:
            fail(f"{key!r} is not an incident key like INC-12", "incident", as_json)
    rows = with_session(config, config_path, lambda s: list_outbox(
        s, state=state, incident_id=number, limit=limit))
    if as_json:
        click.echo(dumps({"messages": rows}))
        return
    if not rows:
        click.echo("no messages")
        return
    click.echo(f"{'ID':<6} {'STATE':<8} {'TRIES':<5} {'CREATED':<16} {'INCIDENT':<9} SUBJECT")
    for row in rows:
        click.echo(f"{row['id']:<6} {row['state']:<8} {row['attempts']:<5} "
                   f"{row['created_at']:%Y-%m-%d %H:%M} {row['incident'] or '-':<9} "
                   f"{row['subject'][:70]}")
        if row["state"] == OutboxState.PENDING and row["next_attempt_at"] > SystemClock().now():
            click.echo(f"{'':<6} next attempt {row['next_attempt_at']:%Y-%m-%d %H:%M} UTC")
        if row["last_error"]:
            click.echo(f"{'':<6} {row['last_error'][:200]}")


@outbox.command("retry")
@click.argument("outbox_id", metavar="ID", type=ROW_ID)
@config_options
@json_option
def retry(outbox_id: int, config_path: Path | None, data_dir: Path | None,
          as_json: bool) -> None:
    """Requeue failed message ID; the running daemon sends it at its next outbox tick."""
    config = load(config_path, data_dir)
    now = SystemClock().now()

    def run(session: Session) -> dict[str, Any] | OutboxError:
        try:
            return requeue(session, outbox_id=outbox_id, now=now)
        except OutboxError as exc:
            return exc

    result = with_session(config, config_path, run)
    if isinstance(result, OutboxError):
        fail(result.message, "id", as_json)
    click.echo(dumps(result) if as_json else f"message {outbox_id} requeued")
