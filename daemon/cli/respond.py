"""`incidentd incidents update|note|ack|dismiss|reopen|tasks`: responding to an incident.

Each command calls the lifecycle, exactly as the API does; nothing here
decides anything.
"""

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
from daemon.lifecycle.tasks import get_tasks
from daemon.reporting.views import incident_json, task_json
from daemon.work import Work

# option name → lifecycle change name
UPDATE_OPTIONS = {
    "status": "status", "priority": "priority", "severity": "severity", "impact": "impact",
    "urgency": "urgency", "eta": "eta", "assign": "assignee", "note": "note",
    "investigation": "investigation", "containment": "containment",
    "impact_statement": "impact_statement", "services": "affected_services",
    "location": "location", "category": "category", "root_cause": "root_cause",
    "root_cause_category": "root_cause_category", "resolution": "resolution_summary",
    "restored_at": "restored_at", "comment": "comment", "reason": "reason",
    "plan": "response_plan",
}


def _show(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(dumps(data))
        return
    eta = f", ETA {data['eta']:%Y-%m-%d %H:%M} UTC" if data["eta"] else ""
    click.echo(f"{data['key']} {data['status']} P{data['priority']} "
               f"{data['severity'] or '-'}{eta}, assignee {data['assignee'] or '-'}: "
               f"{data['title']}")


def _change(config_path: Path | None, data_dir: Path | None, key: str, actor: str,
            as_json: bool, changes: dict[str, Any]) -> None:
    config = load(config_path, data_dir)
    number = incident_number(key, as_json)
    who = cli_actor(actor)

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work, number)
        lifecycle.apply_changes(work, incident, who, changes)
        return incident_json(incident)

    _show(run(config, config_path, apply, as_json), as_json)


@click.command("update")
@click.argument("key")
@config_options
@click.option("--status", help="reported, triaged, responding, contained, resolved, closed")
@click.option("--priority", help="1-4 (or P1-P4); 'auto' derives it from impact × urgency")
@click.option("--severity", help="high, medium or low")
@click.option("--impact", help="high, medium or low (re-derives the priority)")
@click.option("--urgency", help="high, medium or low (re-derives the priority)")
@click.option("--eta", help="estimated resolution: a duration from now (2h) or an ISO time; "
                            "'none' clears it")
@click.option("--assign", help="who leads the response")
@click.option("--note", help="add a note to the timeline")
@click.option("--investigation", help="add an investigation note")
@click.option("--containment", help="add a containment action")
@click.option("--impact-statement", help="who and what is affected, in words")
@click.option("--services", help="affected services, comma-separated")
@click.option("--location")
@click.option("--category")
@click.option("--root-cause", help="the root cause, in words")
@click.option("--root-cause-category", help="see [lifecycle] root_cause_categories")
@click.option("--resolution", help="the resolution summary")
@click.option("--restored-at", help="when service was restored: an ISO time or 'now'")
@click.option("--comment", help="why (goes with --status)")
@click.option("--reason", help="needed to reopen (use `incidents dismiss` to dismiss)")
@click.option("--plan", help="activate this response plan ([plans.NAME])")
@actor_option
@json_option
def update(key: str, config_path: Path | None, data_dir: Path | None, actor: str,
           as_json: bool, **options: str | None) -> None:
    """Change an incident's status and fields (all validated before any is applied)."""
    changes = {UPDATE_OPTIONS[name]: value for name, value in options.items()
               if value is not None}
    if not changes:
        raise click.UsageError("give at least one change, e.g. --status responding")
    _change(config_path, data_dir, key, actor, as_json, changes)


@click.command("note")
@click.argument("key")
@click.argument("text")
@config_options
@click.option("--kind", type=click.Choice(["note", "investigation", "containment"]),
              default="note", show_default=True)
@actor_option
@json_option
def note(key: str, text: str, config_path: Path | None, data_dir: Path | None, kind: str,
         actor: str, as_json: bool) -> None:
    """Add a note (or an investigation note, or a containment action) to KEY."""
    _change(config_path, data_dir, key, actor, as_json, {kind: text})


@click.command("ack")
@click.argument("key")
@config_options
@click.option("--comment", help="what you are doing about it")
@actor_option
@json_option
def ack(key: str, config_path: Path | None, data_dir: Path | None, comment: str | None,
        actor: str, as_json: bool) -> None:
    """Acknowledge KEY: you are on it (a new incident starts responding)."""
    changes: dict[str, Any] = {"acknowledge": True}
    if comment:
        changes["comment"] = comment
    _change(config_path, data_dir, key, actor, as_json, changes)


@click.command("dismiss")
@click.argument("key")
@config_options
@click.option("--reason", help="why: a false alarm, …", default="")
@click.option("--duplicate-of", metavar="INC-N", help="merge into this incident")
@actor_option
@json_option
def dismiss(key: str, config_path: Path | None, data_dir: Path | None, reason: str,
            duplicate_of: str | None, actor: str, as_json: bool) -> None:
    """Dismiss KEY as a false alarm, or as a duplicate merged into another incident."""
    changes: dict[str, Any] = {"status": "dismissed", "reason": reason}
    if duplicate_of:
        changes["duplicate_of"] = duplicate_of
    _change(config_path, data_dir, key, actor, as_json, changes)


@click.command("reopen")
@click.argument("key")
@config_options
@click.option("--reason", required=True, help="why the resolution did not hold")
@actor_option
@json_option
def reopen(key: str, config_path: Path | None, data_dir: Path | None, reason: str,
           actor: str, as_json: bool) -> None:
    """Reopen resolved KEY (back to responding; status updates resume)."""
    _change(config_path, data_dir, key, actor, as_json,
            {"status": "responding", "reason": reason})


@click.command("tasks")
@click.argument("key")
@config_options
@json_option
def tasks(key: str, config_path: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """List KEY's checklist and action items."""
    config = load(config_path, data_dir)
    number = incident_number(key, as_json)

    def fetch(work: Work) -> list[dict[str, Any]]:
        load_incident(work, number)
        return [task_json(t, work.now) for t in get_tasks(work.session, incident_id=number)]

    print_tasks(run(config, config_path, fetch, as_json), as_json)


def print_tasks(rows: list[dict[str, Any]], as_json: bool) -> None:
    """Tasks as JSON or as a table."""
    if as_json:
        click.echo(dumps({"tasks": rows}))
        return
    if not rows:
        click.echo("no tasks")
        return
    click.echo(f"{'ID':<5} {'INCIDENT':<9} {'KIND':<9} {'STATE':<8} {'DUE':<17} "
               f"{'OWNER':<12} TITLE")
    for row in rows:
        due = f"{row['due_at']:%Y-%m-%d %H:%M}" if row["due_at"] else "-"
        flag = " (overdue)" if row["overdue"] else ""
        click.echo(f"{row['id']:<5} {row['incident']:<9} {row['kind']:<9} {row['state']:<8} "
                   f"{due:<17} {(row['owner'] or '-')[:12]:<12} {row['title'][:60]}{flag}")


COMMANDS = (update, note, ack, dismiss, reopen, tasks)
