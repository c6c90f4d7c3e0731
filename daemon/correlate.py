"""Correlate: decide whether a report opens an incident or joins an existing one.

In this order: the same dedup key as an alert on an open incident (or, for a
firing report, on an incident resolved within `[correlate] flap_window`, which
is then reopened); a mail that answers a mail we sent or a mail that reported
the incident (In-Reply-To, then References, newest first), or an `[INC-n]` tag
in the subject; the same group key as an open incident reported within the
grouping window; and, where `join_by_service` is on, the same service as an
open incident reported within that window, whatever its source. The window and
the service join are the integration's, else `[correlate]`'s. Threading finds
resolved and closed incidents too (the reply is noted, nothing reopens), and
follows an incident merged as a duplicate to the one it was merged into.

A `Correlator` serves all reports of one intake row: it looks up every dedup
key and group key of the row in two queries up front and remembers what the
row itself creates, so an alert storm costs a few queries per notification,
not a few per alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from daemon.dedup import correlation_for
from daemon.store import repo
from daemon.store.models import Alert, Incident, parse_incident_key
from daemon.work import Work
from parsers import Report, ReportStatus


@dataclass(frozen=True, slots=True)
class Match:
    """What a report belongs to; both None for a new incident."""

    incident: Incident | None
    alert: Alert | None
    reason: str


NO_MATCH = Match(None, None, "new")


def scoped_group_key(scope: str, report: Report) -> str | None:
    """Group keys are only meaningful within one integration (or channel)."""
    return f"{scope}:{report.group_key}" if report.group_key else None


class Correlator:
    """Matches the reports of one intake row against open alerts and incidents."""

    def __init__(self, work: Work, reports: Sequence[Report], *, scope: str,
                 integration: str | None) -> None:
        self.work = work
        self.scope = scope
        self.integration = integration
        self.settings = correlation_for(work.config, integration)
        since = work.now - self.settings.group_window
        self._reopen_since = work.now - work.config.correlate.flap_window
        self._alerts = repo.get_recent_alerts(
            work.session, integration=integration, resolved_since=self._reopen_since,
            dedup_keys=[r.dedup_key for r in reports if r.dedup_key])
        self._groups = repo.get_open_incidents_by_groups(
            work.session, since=since,
            group_keys=[key for r in reports if (key := scoped_group_key(scope, r))])
        self._services: dict[str, Incident] = {}
        if self.settings.join_by_service:
            self._services = repo.get_open_incidents_by_services(
                work.session, since=since, services=[r.service for r in reports if r.service])

    def match(self, report: Report) -> Match:
        """Find the alert and/or incident `report` belongs to."""
        if report.dedup_key and (found := self._alerts.get(report.dedup_key)):
            alert, incident = found
            if incident.is_open:
                return Match(incident, alert, "dedup key")
            if (report.status is ReportStatus.FIRING and alert.status == "resolved"
                    and incident.resolved_at is not None
                    and incident.resolved_at >= self._reopen_since):
                return Match(incident, alert, "dedup key of a recently resolved incident")
        if report.email is not None:
            replied = thread(self.work, report)
            if replied is not None:
                return Match(replied, None, "reply")
        group_key = scoped_group_key(self.scope, report)
        if group_key and (grouped := self._groups.get(group_key)) and grouped.is_open:
            return Match(grouped, None, "group key")
        if (self.settings.join_by_service and report.service
                and (joined := self._services.get(report.service.lower())) and joined.is_open):
            return Match(joined, None, "service")
        return NO_MATCH

    def remember(self, report: Report, incident: Incident, alert: Alert | None) -> None:
        """Make what this row created visible to the row's later reports."""
        if alert is not None:
            self._alerts[alert.dedup_key] = (alert, incident)
        group_key = scoped_group_key(self.scope, report)
        if group_key and incident.group_key == group_key:
            self._groups[group_key] = incident
        if (self.settings.join_by_service and report.service and incident.service
                and incident.service.lower() == report.service.lower()):
            self._services.setdefault(report.service.lower(), incident)


MAX_THREAD_IDS = 50  # the newest References are enough; some clients send hundreds
MAX_MERGES = 10  # a chain of duplicates longer than this is a loop, not a history


def thread(work: Work, report: Report) -> Incident | None:
    """The incident a mail answers (by Message-ID) or names in its subject (`[INC-n]`)."""
    assert report.email is not None
    info = report.email
    ids = list(dict.fromkeys([*info.in_reply_to, *reversed(info.references)]))
    ids = ids[:MAX_THREAD_IDS]
    if ids:
        found = repo.get_incident_ids_by_message_ids(work.session, message_ids=ids)
        for message_id in ids:
            if message_id in found:
                return _surviving(work, found[message_id])
    for key in info.incident_keys:
        number = parse_incident_key(key)
        if number is not None and (incident := _surviving(work, number)) is not None:
            return incident
    return None


def _surviving(work: Work, incident_id: int) -> Incident | None:
    """The incident, or the one it was merged into as a duplicate."""
    incident = repo.get_incident(work.session, incident_id=incident_id)
    for _ in range(MAX_MERGES):
        if incident is None or incident.duplicate_of_id is None:
            break
        incident = repo.get_incident(work.session, incident_id=incident.duplicate_of_id)
    return incident
