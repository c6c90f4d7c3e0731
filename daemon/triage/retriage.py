"""Re-triage: run the rules in force now on an incident's first report, apply what changed.

On demand only (`incidentd incidents retriage KEY`, `POST
/api/v1/incidents/{key}/retriage`); a rules reload does not re-triage
anything by itself. The report is judged as it arrived (its received time
for time windows). Every changed field goes through the lifecycle's field
functions, so each change is its own timeline entry and comms hears of it;
a `retriaged` entry records the inputs, the rules that hit and missed and
what changed. Lists and plans are only ever added; an assignee or title
prefix from a rule is applied when the rule sets one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from daemon import lifecycle
from daemon.store.models import Incident
from daemon.store.models import Report as ReportRow
from daemon.triage.engine import Decision, triage
from daemon.triage.pipeline import report_context
from daemon.triage.stored import report_from_json
from daemon.work import Actor, Work


@dataclass(frozen=True, slots=True)
class Retriage:
    """The new decision and the fields it changed."""

    decision: Decision
    changed: tuple[str, ...]


def first_report(work: Work, incident: Incident) -> ReportRow | None:
    """The report that opened the incident (the oldest linked to it)."""
    query = (select(ReportRow).where(ReportRow.incident_id == incident.id)
             .order_by(ReportRow.id).limit(1))
    return work.session.scalars(query).first()


def retriage(work: Work, incident: Incident, actor: Actor) -> Retriage:
    """Triage `incident`'s first report again and apply the changed fields."""
    row = first_report(work, incident)
    if row is None:
        raise lifecycle.FieldError(f"{incident.key} has no stored report to triage again",
                                   field="key")
    report = report_from_json(row.data)
    context = report_context(work.config, channel=incident.source or "api",
                             integration=incident.integration, sender=row.sender)
    decision = triage(report, context, work.config.triage, row.received_at)
    why = f"re-triage: {_by(decision)}"
    changed = _apply(work, incident, actor, decision, why)
    lifecycle.record(work, incident, actor, "retriaged",
                     f"{decision.summary()}; changed: {', '.join(changed) or 'nothing'}",
                     data={**decision.record(report), "changed": list(changed)})
    incident.updated_at = work.now
    return Retriage(decision, tuple(changed))


def _by(decision: Decision) -> str:
    return f"rule {', '.join(decision.decided_by)}" if decision.decided_by else "defaults"


def _apply(work: Work, incident: Incident, actor: Actor, decision: Decision,
           why: str) -> list[str]:
    changed: list[str] = []

    def changes(name: str, before: object, after: object) -> bool:
        if before != after:
            changed.append(name)
            return True
        return False

    priority_before = incident.priority
    if changes("severity", incident.severity, decision.severity.value):
        lifecycle.set_severity(work, incident, actor, decision.severity.value, why)
    for name in ("impact", "urgency"):
        value = getattr(decision, name).value
        if changes(name, getattr(incident, name), value):
            lifecycle.set_level(work, incident, actor, name, value, why)
    # impact and urgency may have moved the priority already (set_level follows the matrix)
    if decision.priority_set:
        lifecycle.set_priority(work, incident, actor, decision.priority, why)
    elif incident.priority_manual or incident.priority != decision.priority:
        lifecycle.set_priority(work, incident, actor, None, why)  # back to the matrix
    changes("priority", priority_before, incident.priority)
    for name in ("category", "service"):
        value = getattr(decision, name)
        if value is not None and changes(name, getattr(incident, name), value):
            lifecycle.set_text(work, incident, actor, name, value, why)
    title = decision.title_for(incident.title)[:500]
    if changes("title", incident.title, title):
        lifecycle.set_text(work, incident, actor, "title", title, why)
    if decision.assignee and changes("assignee", incident.assignee, decision.assignee):
        lifecycle.assign(work, incident, actor, decision.assignee, why)
    if lifecycle.add_lists(work, incident, actor, decision.lists, f"Lists added ({why})"):
        changed.append("lists")
    plan = decision.plan
    if plan is not None and incident.is_open and plan in work.config.plans and changes(
            "response_plan", incident.response_plan, plan):
        lifecycle.activate_plan(work, incident, actor, plan, f"Response plan {plan} ({why})")
    if decision.suppressed_by:
        lifecycle.add_note(work, incident, actor, f"Rule {decision.suppressed_by} would now "
                           "suppress this report; the incident stays as it is", kind="note")
    return changed
