"""The post-incident review report: everything the review meeting needs, in one document.

`review_report` gathers it as plain values (the JSON answer); `render_review`
turns it into Markdown or HTML through `templates/review/report.{md,html}.j2`,
which users may override like any template.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.comms import Renderer
from daemon.comms.cadence import update_interval
from daemon.config import Config
from daemon.lifecycle.review import get_review
from daemon.lifecycle.tasks import get_tasks
from daemon.reporting.phases import UPDATE_KINDS, adherence, durations, phases
from daemon.reporting.views import (
    alert_json,
    incident_json,
    report_json,
    review_json,
    task_json,
    timeline_json,
)
from daemon.store import repo
from daemon.store.models import Incident, Outbox, OutboxState, Report

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")


def sent_updates(session: Session, *, incident_id: int) -> list[tuple[str, datetime]]:
    """(kind, queued time) of the stakeholder mails about an incident that did not fail."""
    query = (select(Outbox.kind, Outbox.created_at)
             .where(Outbox.incident_id == incident_id, Outbox.kind.in_(UPDATE_KINDS),
                    Outbox.state != OutboxState.FAILED)
             .order_by(Outbox.created_at, Outbox.id))
    return [(kind, at) for kind, at in session.execute(query)]


def review_report(session: Session, config: Config, incident: Incident,
                  now: datetime) -> dict[str, Any]:
    """The whole review report of `incident` as plain values."""
    timeline = [timeline_json(e) for e in repo.get_timeline(session, incident_id=incident.id)]
    tasks = [task_json(t, now) for t in get_tasks(session, incident_id=incident.id)]
    reports = session.scalars(select(Report).where(Report.incident_id == incident.id)
                              .order_by(Report.received_at, Report.id)).all()
    cadence = adherence(incident, sent_updates(session, incident_id=incident.id),
                        interval=update_interval(config, incident),
                        grace=config.lifecycle.update_grace, now=now)
    return {
        "incident": incident_json(incident),
        "generated_at": now,
        "review": review_json(get_review(session, incident_id=incident.id)),
        "phases": phases(incident),
        "durations": durations(incident),
        "cadence": cadence.as_dict() if cadence else None,
        "timeline": timeline,
        "eta_history": [e for e in timeline if e["kind"] == "eta"],
        "containment": [e for e in timeline if e["kind"] == "containment"],
        "investigation": [e for e in timeline if e["kind"] == "investigation"],
        "reports": [report_json(r) for r in reports],
        "alerts": [alert_json(a) for a in repo.get_alerts(session, incident_id=incident.id)],
        "checklist": [t for t in tasks if t["kind"] == "checklist"],
        "action_items": [t for t in tasks if t["kind"] == "action"],
    }


def render_review(renderer: Renderer, report: Mapping[str, Any], fmt: Format) -> str:
    """The report as Markdown (`md`) or HTML (`html`)."""
    template = renderer.env.get_template(f"review/report.{fmt}.j2")
    return template.render(report)
