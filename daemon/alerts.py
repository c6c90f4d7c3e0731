"""Alert state on incidents: new, repeated, acknowledged, resolved, flapping.

Changes of one intake row are summed up per incident: an Alertmanager group
of 200 alerts writes one "200 alerts added" timeline entry, not 200, and the
"all alerts resolved" check runs once per incident at the end of the row.
An alert firing again on a recently resolved incident reopens it; an incident
with a flapping alert is not resolved automatically (`daemon.flapping`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from daemon import flapping, lifecycle
from daemon.dedup import correlation_for
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
        self._resolved: dict[int, tuple[Incident, Actor, str | None]] = {}
        self._refired: dict[int, tuple[Incident, Actor, str]] = {}
        self._flapping: dict[int, tuple[Incident, Actor, list[Alert]]] = {}

    def _changed(self, incident: Incident, alert: Alert, actor: Actor) -> None:
        if flapping.record_change(self.work, alert):
            self._flapping.setdefault(incident.id, (incident, actor, []))[2].append(alert)

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
            id=self.work.alert_id(), incident_id=incident.id, integration=intake.integration,
            dedup_key=report.dedup_key, status=report.status.value, title=report.title[:500],
            severity=report.severity.value if report.severity else None,
            labels=dict(report.labels), first_seen=now, last_seen=now, count=1,
            flapping=False,
        )
        self.work.session.add(alert)
        flapping.record_change(self.work, alert)  # the first firing counts as a change
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
            self._changed(incident, alert, actor)
            if incident.status == IncidentStatus.RESOLVED:
                self._refired.setdefault(incident.id, (incident, actor, alert.title))

    def resolve(self, incident: Incident, alert: Alert, report: Report, actor: Actor) -> None:
        """The source says the alert is resolved."""
        alert.last_seen = self.work.now
        if alert.status == "resolved":
            return
        alert.status = "resolved"
        alert.resolved_at = report.ended_at or self.work.now
        self._note(incident, actor, "resolved", alert)
        self._changed(incident, alert, actor)
        self._resolved[incident.id] = (incident, actor, alert.integration)

    def finish(self) -> None:
        """Write the timeline entries; reopen or resolve incidents as their alerts say."""
        for (_, verb), note in self._notes.items():
            lifecycle.add_note(self.work, note.incident, note.actor, _summary(verb, note.titles),
                               kind="alert", data={"dedup_keys": note.keys[:100], "verb": verb})
        self._notes.clear()
        for incident, actor, alerts in self._flapping.values():
            lifecycle.add_note(self.work, incident, actor,
                               flapping.flapping_text(self.work, [a.title for a in alerts]),
                               kind="alert", data={"verb": "flapping",
                                                   "dedup_keys": [a.dedup_key for a in alerts]})
        self._flapping.clear()
        for incident, actor, title in self._refired.values():
            if incident.status == IncidentStatus.RESOLVED:
                lifecycle.reopen(self.work, incident, actor, f"Alert firing again: {title}")
        self._refired.clear()
        if not self._resolved:
            return
        self.work.session.flush()  # the counts below must see this row's changes
        held = repo.get_flapping_incident_ids(self.work.session, incident_ids=self._resolved)
        for incident, actor, integration in self._resolved.values():
            if not correlation_for(self.work.config, integration).auto_resolve:
                continue
            if incident.id in held:
                continue  # flapping: resolved once it settles (daemon.flapping.settle)
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
