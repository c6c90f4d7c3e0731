"""`incidentd incidents retriage KEY`: the rules in force now, applied to an incident."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

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
from daemon.reporting.views import incident_json
from daemon.triage.pipeline import Verdict
from daemon.triage.replay import verdict_json
from daemon.triage.retriage import retriage as retriage_incident
from daemon.work import Work


@click.command("retriage")
@click.argument("key")
@config_options
@actor_option
@json_option
def retriage(key: str, config_path: Path | None, data_dir: Path | None, actor: str,
             as_json: bool) -> None:
    """Run the rules in force now on KEY's first report and apply what changed."""
    config = load(config_path, data_dir)
    number = incident_number(key, as_json)

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work, number)
        result = retriage_incident(work, incident, cli_actor(actor))
        verdict = verdict_json(Verdict(result.decision,
                                       suppressed_by=result.decision.suppressed_by))
        return {"incident": incident_json(incident), "changed": list(result.changed),
                **verdict}

    data = run(config, config_path, apply, as_json)
    if as_json:
        click.echo(dumps(data))
        return
    incident, result = data["incident"], data["result"]
    click.echo(f"{incident['key']} re-triaged by {', '.join(data['decided_by']) or 'defaults'}"
               f": P{result['priority']}, severity {result['severity']}, plan "
               f"{result['plan'] or '-'}; changed: {', '.join(data['changed']) or 'nothing'}")
