"""`incidentd incidents …`: list and inspect incidents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from daemon.api import dumps
from daemon.cli.common import config_options, load, with_session
from daemon.cli.silences import list_suppressed
from daemon.comms.context import incident_values
from daemon.reporting.views import attachment_json
from daemon.store import repo
from daemon.store.models import parse_incident_key


@click.group()
def incidents() -> None:
    """List, inspect and respond to incidents."""


@incidents.command("list")
@config_options
@click.option("--status", "statuses", multiple=True,
              help="filter by status (repeatable); 'open' for all open ones")
@click.option("--priority", type=click.IntRange(1, 4))
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--suppressed", is_flag=True,
              help="list the reports maintenance windows, silences or rules suppressed instead")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def incidents_list(config_path: Path | None, data_dir: Path | None, statuses: tuple[str, ...],
                   priority: int | None, limit: int, suppressed: bool, as_json: bool) -> None:
    """List incidents, newest first (or, with --suppressed, the reports that opened none)."""
    config = load(config_path, data_dir)
    if suppressed:
        list_suppressed(config, config_path, limit, as_json)
        return
    wanted = [s for s in statuses if s != "open"]
    if "open" in statuses:
        wanted += ["reported", "triaged", "responding", "contained"]
    rows = with_session(config, config_path, lambda s: [
        incident_values(i) for i in repo.get_incidents(s, statuses=wanted, priority=priority,
                                                       limit=limit)])
    if as_json:
        click.echo(dumps({"incidents": rows}))
        return
    if not rows:
        click.echo("no incidents")
        return
    click.echo(f"{'KEY':<10} {'P':<2} {'SEV':<6} {'STATUS':<11} {'REPORTED':<17} TITLE")
    for row in rows:
        click.echo(f"{row['key']:<10} {row['priority'] or '-':<2} {row['severity'] or '-':<6} "
                   f"{row['status']:<11} {row['reported_at']:%Y-%m-%d %H:%M} "
                   f"{row['title'][:70]}")


@incidents.command("show")
@click.argument("key")
@config_options
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def incidents_show(key: str, config_path: Path | None, data_dir: Path | None,
                   as_json: bool) -> None:
    """Show one incident (KEY is INC-123 or 123) with alerts and timeline."""
    config = load(config_path, data_dir)
    number = parse_incident_key(key)
    if number is None:
        raise click.BadParameter(f"{key!r} is not an incident key like INC-12", param_hint="KEY")

    def fetch(session: Session) -> dict[str, Any] | None:
        incident = repo.get_incident(session, incident_id=number)
        if incident is None:
            return None
        data = incident_values(incident)
        data["alerts"] = [{"dedup_key": a.dedup_key, "status": a.status, "title": a.title,
                           "count": a.count} for a in repo.get_alerts(session, incident_id=number)]
        data["timeline"] = [{"at": t.at, "actor": t.actor, "source": t.source, "kind": t.kind,
                             "old": t.old, "new": t.new, "text": t.text}
                            for t in repo.get_timeline(session, incident_id=number)]
        data["attachments"] = [attachment_json(a, r)
                               for a, r in repo.get_attachments(session, incident_id=number)]
        return data

    data = with_session(config, config_path, fetch)
    if data is None:
        raise click.ClickException(f"no incident {key}")
    if as_json:
        click.echo(dumps(data))
        return
    click.echo(f"{data['key']}  {data['title']}")
    for field in ("status", "priority", "severity", "impact", "urgency", "category", "service",
                  "location", "reporter", "response_plan", "reported_at", "resolved_at", "eta",
                  "next_update_at"):
        if data[field] is not None:
            click.echo(f"  {field:<15} {data[field]}")
    if data["description"]:
        click.echo("\n" + data["description"].strip() + "\n")
    if data["alerts"]:
        click.echo("alerts:")
        for alert in data["alerts"]:
            click.echo(f"  {alert['status']:<12} x{alert['count']:<4} {alert['title']}")
    if data["attachments"]:
        click.echo("attachments (incidentd serves them at the URL shown, never inline):")
        for item in data["attachments"]:
            kept = " (metadata only: over the size limit)" if item["truncated"] else ""
            click.echo(f"  {item['id']:>4} {item['filename']}  {item['content_type']}  "
                       f"{item['size']} bytes  from {item['sender'] or '-'}{kept}  "
                       f"{item['url']}")
    click.echo("timeline:")
    for entry in data["timeline"]:
        change = f" {entry['old'] or ''} -> {entry['new']}" if entry["new"] else ""
        click.echo(f"  {entry['at']:%Y-%m-%d %H:%M:%S} {entry['kind']:<8} "
                   f"{entry['actor']} ({entry['source']}){change} {entry['text'][:200]}")
