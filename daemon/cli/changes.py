"""Running lifecycle changes from the command line: actor, unit of work, errors.

Changes are made as the person named by --actor (default $USER), through the
`cli` source; they flow into comms like every other change, and the daemon's
scheduler delivers the mail they cause.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from daemon.api import dumps
from daemon.cli.common import with_session
from daemon.clock import SystemClock
from daemon.comms import Renderer
from daemon.config import Config
from daemon.lifecycle import LifecycleError, NotFoundError, run_change
from daemon.store import repo
from daemon.store.models import Incident, parse_incident_key
from daemon.work import Actor, ActorSource, Work

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def actor_option(func: F) -> F:
    """--actor NAME: who makes the change (default $USER)."""
    return click.option("--actor", default=lambda: os.environ.get("USER") or "cli",
                        show_default="$USER", help="your name on the timeline")(func)


def json_option(func: F) -> F:
    """--json: print data (and errors) as JSON."""
    return click.option("--json", "as_json", is_flag=True, help="print JSON")(func)


def cli_actor(name: str) -> Actor:
    """The person running the command."""
    return Actor(name.strip() or "cli", ActorSource.CLI)


def fail(message: str, field: str | None, as_json: bool) -> NoReturn:
    """Exit 1 with the error: JSON `{"error", "field"}` on stderr with --json."""
    if as_json:
        click.echo(dumps({"error": message, "field": field}), err=True)
        sys.exit(1)
    raise click.ClickException(f"{message}" + (f" (field: {field})" if field else ""))


def incident_number(key: str, as_json: bool) -> int:
    """KEY as a number, or a usage error."""
    number = parse_incident_key(key)
    if number is None:
        fail(f"{key!r} is not an incident key like INC-12", "key", as_json)
    return number


def load_incident(work: Work, number: int) -> Incident:
    """The incident, or `NotFoundError`."""
    incident = repo.get_incident(work.session, incident_id=number)
    if incident is None:
        raise NotFoundError(f"no incident INC-{number}", field="key")
    return incident


def run(config: Config, config_path: Path | None, change: Callable[[Work], T],
        as_json: bool) -> T:
    """Run `change` as one unit of work (ending with comms); refusals exit 1."""
    renderer = Renderer(config.templates.dir)
    now = SystemClock().now()
    try:
        return with_session(config, config_path,
                            lambda s: run_change(s, config, renderer, now, change))
    except LifecycleError as exc:
        fail(exc.message, exc.field, as_json)
