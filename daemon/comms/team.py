"""Mail to a response plan's people: the team when a plan is activated, the escalation list.

Both go through the outbox like every other mail, threaded under the
incident's first mail. Recipients are addresses and `[lists]` names, expanded
with the configuration in force when the mail is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from daemon.comms.context import mail_context
from daemon.comms.outbox import enqueue, immediately
from daemon.comms.recipients import list_addresses
from daemon.comms.render import Renderer
from daemon.config import Config
from daemon.store.models import Incident, Task
from daemon.work import EventKind, Work

PLAN = "plan"
ESCALATION = "escalation"
KINDS = (PLAN, ESCALATION)


def expand(config: Config, entries: Iterable[str]) -> list[str]:
    """Addresses, with list names replaced by their members; each address once."""
    seen: dict[str, None] = {}
    for entry in entries:
        members = [entry] if "@" in entry else list_addresses(config, [entry])
        for address in members:
            seen.setdefault(address.lower(), None)
    return list(seen)


def plan_values(config: Config, name: str) -> dict[str, Any]:
    """A plan as templates see it."""
    plan = config.plans[name]
    return {
        "name": name, "description": plan.description, "team": list(plan.team),
        "lists": list(plan.lists), "escalate_to": list(plan.escalate_to),
        "update_interval_seconds": plan.update_interval.total_seconds()
        if plan.update_interval else None,
        "acknowledge_within_seconds": plan.acknowledge_within.total_seconds()
        if plan.acknowledge_within else None,
    }


def _context(work: Work, incident: Incident, name: str) -> dict[str, Any]:
    context = mail_context(work, incident)
    context["plan"] = plan_values(work.config, name)
    context["tasks"] = [{"id": t.id, "title": t.title, "owner": t.owner, "due_at": t.due_at,
                         "state": t.state}
                        for t in work.session.scalars(
                            select(Task).where(Task.incident_id == incident.id,
                                               Task.kind == "checklist").order_by(Task.id))]
    context["escalate_at"] = incident.escalate_at
    return context


def send_plan_mails(work: Work, renderer: Renderer) -> int:
    """Queue the `plan` mail to the team of every plan activated in this unit of work."""
    queued = 0
    for event in work.events:
        if event.kind is not EventKind.PLAN or event.new not in work.config.plans:
            continue
        recipients = expand(work.config, work.config.plans[event.new].team)
        if not recipients:
            continue
        work.session.flush()  # the plan's tasks are listed in the mail
        context = _context(work, event.incident, event.new)
        context["activated_by"] = event.actor.name
        enqueue(work, event.incident, PLAN, renderer.render(PLAN, context),
                immediately(work, recipients))
        queued += 1
    return queued


def send_escalation(work: Work, renderer: Renderer, incident: Incident, name: str,
                    recipients: list[str]) -> None:
    """Queue the escalation mail: nobody acknowledged `incident` in time."""
    context = _context(work, incident, name)
    deadline = incident.escalate_at or work.now
    context["waited_seconds"] = (work.now - incident.reported_at).total_seconds()
    context["deadline"] = deadline
    enqueue(work, incident, ESCALATION, renderer.render(ESCALATION, context),
            immediately(work, recipients))


def sample_context(config: Config) -> dict[str, Any]:
    """Extra values the plan and escalation templates get, for checking templates."""
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    return {
        "plan": {"name": "sample", "description": "A sample plan", "team": ["a@example.org"],
                 "lists": [], "escalate_to": ["b@example.org"],
                 "update_interval_seconds": 900.0, "acknowledge_within_seconds": 600.0},
        "tasks": [{"id": 1, "title": "Isolate affected systems", "owner": "alice",
                   "due_at": now + timedelta(minutes=30), "state": "open"},
                  {"id": 2, "title": "Preserve logs", "owner": None, "due_at": None,
                   "state": "open"}],
        "escalate_at": now + timedelta(minutes=10), "activated_by": "triage rules",
        "waited_seconds": 600.0, "deadline": now + timedelta(minutes=10),
    }
