"""`incidentd incidents recipients KEY`: who gets an incident's mail; add or remove people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from daemon import lifecycle
from daemon.api import dumps
from daemon.cli.changes import (
    actor_option,
    cli_actor,
    incident_number,
    json_option,
    load_incident,
    run,
)
from daemon.cli.common import config_options, load
from daemon.comms.recipients import describe
from daemon.work import Work


@click.command("recipients")
@click.argument("key")
@config_options
@click.option("--add", "add", multiple=True, metavar="ADDRESS",
              help="also mail ADDRESS about this incident (repeatable)")
@click.option("--remove", "remove", multiple=True, metavar="ADDRESS",
              help="stop mailing ADDRESS about this incident, lists or not (repeatable)")
@actor_option
@json_option
def recipients(key: str, config_path: Path | None, data_dir: Path | None,
               add: tuple[str, ...], remove: tuple[str, ...], actor: str,
               as_json: bool) -> None:
    """Show who gets KEY's mail, and why; --add and --remove change it."""
    config = load(config_path, data_dir)
    number = incident_number(key, as_json)

    def apply(work: Work) -> list[dict[str, Any]]:
        incident = load_incident(work, number)
        if add or remove:
            lifecycle.change_recipients(work, incident, cli_actor(actor), add=add,
                                        remove=remove)
        return [r.as_dict() for r in describe(work.config, incident, work.now)]

    rows = run(config, config_path, apply, as_json)
    if as_json:
        click.echo(dumps({"recipients": rows}))
        return
    for row in rows:
        why = ", ".join([*row["lists"], *(["added"] if row["added"] else [])]) or "-"
        state = "removed" if row["removed"] else (
            f"held until {row['held_until']:%H:%M} UTC" if row["held_until"] else "mailed")
        click.echo(f"{row['address']:<40} {state:<22} {why}")
