"""Alert state on incidents: new, repeated, acknowledged, resolved.

Changes of one intake row are summed up per incident: an Alertmanager group
of 200 alerts writes one "200 alerts added" timeline entry, not 200, and the
"all alerts resolved" check runs once per incident at the end of the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from daemon import lifecycle
from daemon.store import repo
from daemon.store.models import Alert, Incident, IncidentStatus, Intake
from daemon.work import Actor, Work
from parsers import Report, ReportStatus

LISTED = 5  # alert titles named in one timeline entry


@dataclass
class _Note:
    incident: Incident
    actor: Actor
    titles: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


class AlertChanges:
    """Collects the alert changes of one intake row."""

    def __init__(self, work: Work) -> None:
        self.work = work
        self._notes: dict[tuple[int, str], _Note] = {}
        self._resolved: dict[int, tuple[Incident, Actor]] = {}

    def _note(self, incident: Incident, actor: Actor, verb: str, alert: Alert) -> None:
        note = self._notes.setdefault((incident.id, verb), _Note(incident, actor))
        note.titles.append(alert.title)
        note.keys.append(alert.dedup_key)

    def add(self, incident: Incident, intake: Intake, report: Report, actor: Actor,
            *, note: bool = True) -> Alert:
        """A new alert on `incident` (noted on the timeline unless it opened it)."""
        assert report.dedup_key is not None
        now = self.work.now
        alert = Alert(
            incident_id=incident.id, integration=intake.integration,
            dedup_key=report.dedup_key, status=report.status.value, title=report.title[:500],
            severity=report.severity.value if report.severity else None,
            labels=dict(report.labels), first_seen=now, last_seen=now, count=1,
            flapping=False,
        )
        self.work.session.add(alert)
        if note:
            self._note(incident, actor, "added", alert)
        return alert

    def repeat(self, incident: Incident, alert: Alert, report: Report, actor: Actor) -> None:
        """The source sent an alert it had sent before."""
        alert.last_seen = self.work.now
        alert.count += 1
        if report.status is ReportStatus.ACKNOWLEDGED and alert.status != "acknowledged":
            alert.status = "acknowledged"
            self._note(incident, actor, "acknowledged at the source", alert)
        elif report.status is ReportStatus.FIRING and alert.status == "resolved":
            alert.status = "firing"
            alert.resolved_at = None
            self._note(incident, actor, "firing again", alert)

    def resolve(self, incident: Incident, alert: Alert, report: Report, actor: Actor) -> None:
        """The source says the alert is resolved."""
        alert.last_seen = self.work.now
        if alert.status == "resolved":
            return
        alert.status = "resolved"
        alert.resolved_at = report.ended_at or self.work.now
        self._note(incident, actor, "resolved", alert)
        self._resolved[incident.id] = (incident, actor)

    def finish(self) -> None:
        """Write the timeline entries; resolve incidents whose alerts all resolved."""
        for (_, verb), note in self._notes.items():
            lifecycle.add_note(self.work, note.incident, note.actor, _summary(verb, note.titles),
                               kind="alert", data={"dedup_keys": note.keys[:100], "verb": verb})
        self._notes.clear()
        if not self.work.config.correlate.auto_resolve or not self._resolved:
            return
        self.work.session.flush()  # the counts below must see this row's changes
        for incident, actor in self._resolved.values():
            if incident.is_open and not repo.count_unresolved_alerts(
                    self.work.session, incident_id=incident.id):
                lifecycle.change_status(self.work, incident, IncidentStatus.RESOLVED, actor,
                                        "All alerts resolved at the source")
        self._resolved.clear()


def _summary(verb: str, titles: list[str]) -> str:
    if len(titles) == 1:
        return f"Alert {verb}: {titles[0]}"
    named = "; ".join(titles[:LISTED])
    more = f"; and {len(titles) - LISTED} more" if len(titles) > LISTED else ""
    return f"{len(titles)} alerts {verb}: {named}{more}"
