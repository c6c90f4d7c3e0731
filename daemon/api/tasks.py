"""Tasks: an incident's checklist and action items, and overdue tasks everywhere."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from daemon import lifecycle
from daemon.api.common import requires, respond
from daemon.api.unit import (
    actor,
    answers,
    change,
    incident_number,
    json_body,
    load_incident,
    path_id,
    read,
)
from daemon.keys import CLOCK
from daemon.lifecycle.forms import parse_task
from daemon.lifecycle.tasks import get_overdue_tasks, get_task, get_tasks
from daemon.reporting.views import task_json
from daemon.work import Work


@requires("read")
@answers
async def list_tasks(request: web.Request) -> web.Response:
    """The incident's tasks, oldest first."""
    number = incident_number(request)
    now = request.app[CLOCK].now()

    def load(session: Session) -> list[dict[str, Any]]:
        load_incident(session, number)
        return [task_json(t, now) for t in get_tasks(session, incident_id=number)]

    return respond({"tasks": await read(request, load)})


@requires("respond")
@answers
async def add_task(request: web.Request) -> web.Response:
    """Add a checklist item or an action item."""
    number = incident_number(request)
    data = await json_body(request)
    who = actor(request)

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work.session, number)
        task = lifecycle.add_task(work, incident, who, **parse_task(work, data, creating=True))
        return task_json(task, work.now)

    return respond(await change(request, apply), status=201)


@requires("respond")
@answers
async def patch_task(request: web.Request) -> web.Response:
    """Change a task's title, owner, due date or state."""
    number = incident_number(request)
    task_id = path_id(request, "task_id", "task id")
    data = await json_body(request)
    who = actor(request)

    def apply(work: Work) -> dict[str, Any]:
        incident = load_incident(work.session, number)
        task = get_task(work.session, incident, task_id)
        lifecycle.update_task(work, incident, task, who,
                              **parse_task(work, data, creating=False))
        return task_json(task, work.now)

    return respond(await change(request, apply))


@requires("read")
@answers
async def overdue_tasks(request: web.Request) -> web.Response:
    """Open tasks past their due date, of every incident, most overdue first."""
    now = request.app[CLOCK].now()
    tasks = await read(request, lambda s: [task_json(t, now)
                                           for t in get_overdue_tasks(s, now=now)])
    return respond({"tasks": tasks})


def add_routes(app: web.Application) -> None:
    """Register the task routes."""
    app.router.add_get("/api/v1/incidents/{key}/tasks", list_tasks)
    app.router.add_post("/api/v1/incidents/{key}/tasks", add_task)
    app.router.add_patch("/api/v1/incidents/{key}/tasks/{task_id}", patch_task)
    app.router.add_get("/api/v1/tasks/overdue", overdue_tasks)
