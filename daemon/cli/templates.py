"""`incidentd templates render`: preview a mail as stakeholders would get it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from daemon.cli.common import config_options, load, with_session
from daemon.clock import SystemClock
from daemon.comms import MessageKind, Renderer
from daemon.comms.context import mail_context
from daemon.comms.digest import DIGEST, digest_context, due_day, open_incidents_for
from daemon.comms.sample import sample_context
from daemon.store import repo
from daemon.store.models import parse_incident_key
from daemon.work import Work

TYPES = [kind.value for kind in MessageKind] + [DIGEST]


@click.group("templates")
def templates() -> None:
    """Mail templates: preview them (shipped ones, or yours from [templates] dir)."""


@templates.command("render")
@click.argument("kind", metavar="TYPE", type=click.Choice(TYPES))
@config_options
@click.option("--incident", "key", help="an incident from the database (default: a sample)")
@click.option("--list", "list_name", help="digest: the list whose digest to show")
@click.option("--html", "as_html", is_flag=True, help="print the HTML part, not the text")
def render(kind: str, config_path: Path | None, data_dir: Path | None, key: str | None,
           list_name: str | None, as_html: bool) -> None:
    """Render mail TYPE: the subject, then the text (or --html) part."""
    config = load(config_path, data_dir)
    renderer = Renderer(config.templates.dir)
    now = SystemClock().now()
    if kind == DIGEST and key is not None:
        raise click.UsageError("a digest covers a list: use --list NAME, not --incident")
    if list_name is not None and list_name not in config.lists:
        raise click.BadParameter(f"no list {list_name!r} in [lists]", param_hint="--list")
    context: dict[str, Any] | None
    if key is None and list_name is None:
        context = sample_context(config, kind, now)
    else:
        number = parse_incident_key(key) if key is not None else None
        if key is not None and number is None:
            raise click.BadParameter(f"{key!r} is not an incident key like INC-12",
                                     param_hint="--incident")

        def build(session: Session) -> dict[str, Any] | None:
            work = Work(session=session, config=config, now=now)
            if kind == DIGEST:
                assert list_name is not None
                day = due_day(config, now) or now.date()
                return digest_context(work, list_name, day,
                                      open_incidents_for(session, config, list_name))
            incident = repo.get_incident(session, incident_id=number or 0)
            if incident is None:
                return None
            result = mail_context(work, incident, since=incident.last_update_at)
            result["kind"] = kind
            return result

        context = with_session(config, config_path, build)
        if context is None:
            raise click.ClickException(f"no incident {key}")
    mail = renderer.render(kind, context)
    click.echo(f"Subject: {mail.subject}\n")
    click.echo(mail.html if as_html else mail.text, nl=False)
