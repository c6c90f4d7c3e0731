"""Tasks: a response plan's checklist and a review's action items.

`add_task` is what response plans call to lay out their checklist. Each task
has an owner, a due date and a state (open, done, skipped); finishing one
stamps `done_at`. Every change is on the timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.lifecycle.errors import FieldError, NotFoundError
from daemon.lifecycle.timeline import note
from daemon.store.models import Incident, Task
from daemon.work import Actor, Work

TASK_KINDS: Final = ("checklist", "action")
TASK_STATES: Final = ("open", "done", "skipped")


class Unset(Enum):
    """Marks an argument that was not given (None means "clear it")."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


def add_task(work: Work, incident: Incident, actor: Actor, title: str, *,
             kind: str = "checklist", owner: str | None = None,
             due_at: datetime | None = None) -> Task:
    """Add a checklist item or action item to the incident; return it (flushed)."""
    title = title.strip()
    if not title:
        raise FieldError("a task needs a title", field="title")
    if kind not in TASK_KINDS:
        raise FieldError(f"kind must be one of {', '.join(TASK_KINDS)}", field="kind")
    task = Task(incident_id=incident.id, kind=kind, title=title[:500], owner=owner,
                due_at=due_at, state="open", created_at=work.now, created_by=actor.name)
    work.session.add(task)
    work.session.flush()
    label = "Action item" if kind == "action" else "Task"
    note(work, incident, actor, f"{label} #{task.id} added: {task.title}", kind="task",
         new="open", data={"task": task.id})
    return task


def get_task(session: Session, incident: Incident, task_id: int) -> Task:
    """The incident's task `task_id`, or `NotFoundError`."""
    task = session.get(Task, task_id)
    if task is None or task.incident_id != incident.id:
        raise NotFoundError(f"{incident.key} has no task {task_id}", field="task_id")
    return task


def update_task(work: Work, incident: Incident, task: Task, actor: Actor, *,
                title: str | Unset = UNSET, kind: str | Unset = UNSET,
                owner: str | None | Unset = UNSET, due_at: datetime | None | Unset = UNSET,
                state: str | Unset = UNSET) -> Task:
    """Change a task; only the given arguments change."""
    changes = []
    if not isinstance(kind, Unset) and kind != task.kind:
        if kind not in TASK_KINDS:
            raise FieldError(f"kind must be one of {', '.join(TASK_KINDS)}", field="kind")
        task.kind = kind
        changes.append("now an action item" if kind == "action" else "now a checklist item")
    if not isinstance(title, Unset) and title.strip() != task.title:
        if not title.strip():
            raise FieldError("a task needs a title", field="title")
        task.title = title.strip()[:500]
        changes.append(f"title “{task.title}”")
    if not isinstance(owner, Unset) and owner != task.owner:
        task.owner = owner
        changes.append(f"owner {owner or '—'}")
    if not isinstance(due_at, Unset) and due_at != task.due_at:
        task.due_at = due_at
        changes.append(f"due {due_at:%Y-%m-%d %H:%M} UTC" if due_at else "no due date")
    old_state = task.state
    if not isinstance(state, Unset) and state != task.state:
        if state not in TASK_STATES:
            raise FieldError(f"state must be one of {', '.join(TASK_STATES)}", field="state")
        task.state = state
        task.done_at = None if state == "open" else work.now
        changes.append(state)
    if changes:
        note(work, incident, actor, f"Task #{task.id} ({task.title}): {', '.join(changes)}",
             kind="task", old=old_state, new=task.state, data={"task": task.id})
    return task


def get_tasks(session: Session, *, incident_id: int) -> Sequence[Task]:
    """The incident's tasks, oldest first."""
    return session.scalars(select(Task).where(Task.incident_id == incident_id)
                           .order_by(Task.id)).all()


def get_overdue_tasks(session: Session, *, now: datetime, limit: int = 500) -> Sequence[Task]:
    """Open tasks of any incident whose due date has passed, most overdue first."""
    query = (select(Task).where(Task.state == "open", Task.due_at.is_not(None),
                                Task.due_at < now)
             .order_by(Task.due_at, Task.id).limit(limit))
    return session.scalars(query).all()
