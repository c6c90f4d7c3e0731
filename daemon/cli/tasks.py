"""`incidentd tasks …`: overdue tasks across incidents; adding and finishing tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from daemon import lifecycle
from daemon.cli.changes import (
    actor_option,
    cli_actor,
    incident_number,
    json_option,
    load_incident,
    run,
)
from daemon.cli.common import ROW_ID, config_options, load
from daemon.cli.respond import print_tasks
from daemon.lifecycle.forms import parse_task
from daemon.lifecycle.tasks import get_overdue_tasks, get_task
from daemon.reporting.views import task_json
from daemon.work import Work


@click.group("tasks")
def tasks() -> None:
    """Response checklists and review action items."""


@tasks.command("overdue")
@config_options
@json_option
def overdue(config_path: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """Open tasks past their due date, of every incident, most overdue first."""
    config = load(config_path, data_dir)
    rows = run(config, config_path, lambda work: [
        task_json(t, work.now) for t in get_overdue_tasks(work.session, now=work.now)], as_json)
    print_tasks(rows, as_json)


@tasks.command("add")
@click.argument("key")
@click.argument("title")
@config_options
@click.option("--owner")
@click.option("--due", help="a duration from now (3d) or an ISO 8601 time")
@click.option("--kind", type=click.Choice(["checklist", "action"]), default="checklist",
              show_default=True)
@actor_option
@json_option
def add(key: str, title: str, config_path: Path | None, data_dir: Path | None,
        owner: str | None, due: str | None, kind: str, actor: str, as_json: bool) -> None:
    """Add a task to KEY."""
    config = load(config_path, data_dir)
    number = incident_number(key, as_json)
    data: dict[str, Any] = {"title": title, "kind": kind, "owner": owner}
    if due is not None:
        data["due_at"] = due

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work, number)
        task = lifecycle.add_task(work, incident, cli_actor(actor),
                                  **parse_task(work, data, creating=True))
        return task_json(task, work.now)

    print_tasks([run(config, config_path, apply, as_json)], as_json)


@tasks.command("update")
@click.argument("key")
@click.argument("task_id", type=ROW_ID)
@config_options
@click.option("--state", type=click.Choice(["open", "done", "skipped"]))
@click.option("--owner")
@click.option("--due", help="a duration from now (3d), an ISO 8601 time, or 'none'")
@click.option("--title")
@click.option("--kind", type=click.Choice(["checklist", "action"]))
@actor_option
@json_option
def update(key: str, task_id: int, config_path: Path | None, data_dir: Path | None,
           state: str | None, owner: str | None, due: str | None, title: str | None,
           kind: str | None, actor: str, as_json: bool) -> None:
    """Change task TASK_ID of KEY (e.g. --state done)."""
    config = load(config_path, data_dir)
    number = incident_number(key, as_json)
    data = {name: value for name, value in (("state", state), ("owner", owner),
                                             ("due_at", due), ("title", title), ("kind", kind))
            if value is not None}

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work, number)
        task = get_task(work.session, incident, task_id)
        lifecycle.update_task(work, incident, task, cli_actor(actor),
                              **parse_task(work, data, creating=False))
        return task_json(task, work.now)

    print_tasks([run(config, config_path, apply, as_json)], as_json)
