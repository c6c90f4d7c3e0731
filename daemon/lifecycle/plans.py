"""Response plans: activating one on an incident.

Activation (by a rule's `plan` action, `PATCH {"response_plan": …}` or
`incidentd incidents update --plan`) lays out the plan's checklist as tasks,
adds its stakeholder lists, stores its update cadence and acknowledgement
deadline on the incident, asks comms to mail its team (a PLAN event: the
`plan` mail), and moves a new incident on to `responding`. Activating the
plan the incident already has changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from daemon.lifecycle.errors import FieldError
from daemon.lifecycle.stakeholders import set_cadence
from daemon.lifecycle.status import change_status
from daemon.lifecycle.tasks import add_task
from daemon.lifecycle.timeline import note, record
from daemon.store.models import Incident, IncidentStatus
from daemon.work import Actor, ActorSource, Event, EventKind, Work

RULES = Actor("triage rules", ActorSource.RULE)  # who activates a plan a rule chose


def add_lists(work: Work, incident: Incident, actor: Actor, names: Sequence[str],
              comment: str = "") -> list[str]:
    """Add stakeholder lists to the incident; return the ones that were new."""
    current = list(incident.lists or [])
    new = [name for name in dict.fromkeys(names) if name not in current]
    if new:
        incident.lists = [*current, *new]
        note(work, incident, actor, comment or f"Lists added: {', '.join(new)}", kind="lists",
             old=", ".join(current) or None, new=", ".join(incident.lists))
    return new


def activate_plan(work: Work, incident: Incident, actor: Actor, name: str,
                  comment: str = "") -> bool:
    """Activate response plan `name`; False when it was already the incident's plan."""
    plan = work.config.plans.get(name)
    if plan is None:
        known = ", ".join(work.config.plans) or "none configured"
        raise FieldError(f"unknown response plan {name!r}; known: {known}",
                         field="response_plan")
    if not incident.is_open:
        raise FieldError(f"{incident.key} is {incident.status}; plans are for open incidents",
                         field="response_plan")
    if incident.response_plan == name:
        return False
    old = incident.response_plan
    incident.response_plan = name
    incident.updated_at = work.now
    record(work, incident, actor, "plan", comment or f"Response plan {name} activated",
           old=old, new=name, data={"plan": name, "tasks": len(plan.tasks)})
    for task in plan.tasks:
        add_task(work, incident, actor, task.title, owner=task.owner,
                 due_at=work.now + task.due if task.due is not None else None)
    add_lists(work, incident, actor, plan.lists, f"Lists of plan {name}")
    if plan.update_interval is not None:
        set_cadence(work, incident, actor, plan.update_interval, f"Cadence of plan {name}")
    work.emit(Event(EventKind.PLAN, incident, actor, old=old, new=name))
    if incident.status in (IncidentStatus.REPORTED, IncidentStatus.TRIAGED):
        # a person moving it on acknowledges it (see lifecycle.status)
        change_status(work, incident, IncidentStatus.RESPONDING, actor,
                      f"Response plan {name} activated")
    if plan.acknowledge_within is not None and incident.acknowledged_at is None:
        incident.escalate_at = work.now + plan.acknowledge_within
        incident.escalated_at = None
    return True
