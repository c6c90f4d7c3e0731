"""Steps 2-6 for one intake row: parse, correlate, triage, store, comms.

Plain synchronous code on a `Session` inside the caller's transaction, so the
pipeline worker, `incidentd replay` and the tests all run the same thing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import parsers
from daemon import lifecycle
from daemon.comms import Renderer, dispatch
from daemon.correlate import correlate, scoped_group_key
from daemon.store import repo
from daemon.store.models import (
    Alert,
    Incident,
    IncidentStatus,
    Intake,
    IntakeStatus,
    StoredAttachment,
)
from daemon.store.models import Report as ReportRow
from daemon.triage import ReportContext, triage
from daemon.work import Actor, ActorSource, Work
from parsers import Channel, Ignored, ParseError, RawInput, Report, ReportStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one intake row."""

    status: IntakeStatus
    reason: str | None = None
    incident_keys: tuple[str, ...] = ()
    queued: int = 0  # outbox messages this row caused


def raw_input(work: Work, intake: Intake) -> tuple[str, RawInput]:
    """The parser name and its input for an intake row; `ParseError` if unroutable."""
    if intake.source == "smtp":
        name, options = "email", {}
        channel = Channel.SMTP
    else:
        integration = work.config.integrations.get(intake.integration or "")
        if integration is None:
            raise ParseError(f"integration {intake.integration!r} is no longer configured")
        name, options = integration.type, integration.parser_options()
        channel = Channel.WEBHOOK if intake.source == "webhook" else Channel.API
    return name, RawInput(
        channel=channel,
        body=intake.raw,
        received_at=intake.received_at,
        route=intake.integration,
        content_type=intake.content_type,
        mail_from=intake.mail_from,
        rcpt_to=tuple(intake.rcpt_to or ()),
        options=options,
    )


def process_intake(work: Work, renderer: Renderer, intake: Intake) -> Outcome:
    """Process one accepted intake row inside the caller's transaction."""
    try:
        parser, raw = raw_input(work, intake)
        reports = parsers.parse(parser, raw)
    except ParseError as exc:
        return _finish(work, intake, Outcome(IntakeStatus.QUARANTINED, exc.reason))
    except Ignored as exc:
        intake.details = dict(exc.details) or None
        return _finish(work, intake, Outcome(IntakeStatus.IGNORED, exc.reason))
    keys: dict[str, None] = {}
    for position, report in enumerate(reports):
        incident = handle_report(work, intake, position, report)
        if incident is not None:
            keys.setdefault(incident.key, None)
    queued = dispatch(work, renderer)
    return _finish(work, intake, Outcome(IntakeStatus.PARSED, None, tuple(keys), queued))


def _finish(work: Work, intake: Intake, outcome: Outcome) -> Outcome:
    intake.status = outcome.status.value
    intake.reason = outcome.reason
    intake.processed_at = work.now
    if outcome.status is IntakeStatus.QUARANTINED:
        log.warning("intake=%d quarantined: %s", intake.id, outcome.reason)
    elif outcome.status is IntakeStatus.IGNORED:
        log.info("intake=%d ignored: %s", intake.id, outcome.reason)
    return outcome


def context_for(intake: Intake, report: Report) -> ReportContext:
    """The triage context of a report from this intake row."""
    channel = "email" if intake.source == "smtp" else intake.source
    return ReportContext(channel=channel, integration=intake.integration,
                         sender=report.email.from_addr if report.email else report.reporter)


def handle_report(work: Work, intake: Intake, position: int, report: Report) -> Incident | None:
    """Apply one report: update its alert/incident or open a new incident."""
    context = context_for(intake, report)
    source = ActorSource.EMAIL if intake.source == "smtp" else ActorSource.MONITORING
    actor = Actor(report.reporter or intake.integration or "unknown", source)
    scope = intake.integration or context.channel
    match = correlate(work, report, scope=scope, integration=intake.integration)
    incident, alert = match.incident, match.alert
    if report.status is ReportStatus.RESOLVED:
        if alert is None or incident is None:
            outcome = "unmatched-resolve"  # nothing open carries this signal; keep the record
        else:
            outcome = "resolved"
            _resolve_alert(work, incident, alert, report, actor)
    elif incident is not None:
        outcome = "updated"
        if alert is not None:
            _repeat_alert(work, incident, alert, report, actor)
        elif report.dedup_key:
            alert = _new_alert(work, incident, intake, report)
            lifecycle.add_note(work, incident, actor, f"Alert added: {report.title}",
                               kind="alert", data={"dedup_key": report.dedup_key})
        else:
            text = report.email.update_text if report.email else report.description
            lifecycle.add_note(work, incident, actor, text or report.title, kind="update",
                               data={"via": match.reason, "title": report.title})
    else:
        outcome = "opened"
        decision = triage(report, context, work.config.triage)
        incident = lifecycle.open_incident(work, report, context, decision, actor,
                                           group_key=scoped_group_key(scope, report))
        if report.dedup_key:
            alert = _new_alert(work, incident, intake, report)
    row = ReportRow(
        intake_id=intake.id, incident_id=incident.id if incident else None,
        alert_id=alert.id if alert else None, position=position, source=report.source,
        status=report.status.value, title=report.title[:500], occurred_at=report.occurred_at,
        received_at=intake.received_at,
        message_id=report.email.message_id if report.email else None,
        sender=report.email.from_addr if report.email else report.reporter,
        outcome=outcome, data=report.to_json(),
    )
    work.session.add(row)
    if report.email and report.email.attachments:
        work.session.flush()
        for attachment in report.email.attachments:
            work.session.add(StoredAttachment(
                report_id=row.id, incident_id=incident.id if incident else None,
                filename=attachment.filename, content_type=attachment.content_type,
                size=attachment.size, sha256=attachment.sha256,
                truncated=attachment.truncated, data=attachment.data))
    return incident


def _new_alert(work: Work, incident: Incident, intake: Intake, report: Report) -> Alert:
    assert report.dedup_key is not None
    alert = Alert(
        incident_id=incident.id, integration=intake.integration, dedup_key=report.dedup_key,
        status=report.status.value, title=report.title[:500],
        severity=report.severity.value if report.severity else None,
        labels=dict(report.labels), first_seen=work.now, last_seen=work.now, count=1,
        flapping=False,
    )
    work.session.add(alert)
    work.session.flush()
    return alert


def _repeat_alert(work: Work, incident: Incident, alert: Alert, report: Report,
                  actor: Actor) -> None:
    alert.last_seen = work.now
    alert.count += 1
    if report.status is ReportStatus.ACKNOWLEDGED and alert.status != "acknowledged":
        alert.status = "acknowledged"
        lifecycle.add_note(work, incident, actor, f"Alert acknowledged at the source: "
                           f"{alert.title}", kind="alert")
    elif report.status is ReportStatus.FIRING and alert.status == "resolved":
        alert.status = "firing"
        alert.resolved_at = None
        lifecycle.add_note(work, incident, actor, f"Alert fired again: {alert.title}",
                           kind="alert")


def _resolve_alert(work: Work, incident: Incident, alert: Alert, report: Report,
                   actor: Actor) -> None:
    alert.last_seen = work.now
    if alert.status == "resolved":
        return
    alert.status = "resolved"
    alert.resolved_at = report.ended_at or work.now
    lifecycle.add_note(work, incident, actor, f"Alert resolved: {alert.title}", kind="alert")
    if (work.config.correlate.auto_resolve and incident.is_open
            and repo.count_unresolved_alerts(work.session, incident_id=incident.id) == 0):
        lifecycle.change_status(work, incident, IncidentStatus.RESOLVED, actor,
                                "All alerts resolved at the source")
