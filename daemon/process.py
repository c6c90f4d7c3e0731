"""Steps 2-6 for one intake row: parse, correlate, triage, store, comms.

Plain synchronous code on a `Session` inside the caller's transaction, so the
pipeline worker, `incidentd replay` and the tests all run the same thing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert

import parsers
from daemon import lifecycle, mailbox
from daemon.alerts import AlertChanges
from daemon.comms import Renderer, dispatch
from daemon.correlate import Correlator, scoped_group_key
from daemon.dedup import rekey_all
from daemon.flapping import hold_mail
from daemon.store.models import (
    Alert,
    Incident,
    Intake,
    IntakeStatus,
    StoredAttachment,
)
from daemon.store.models import Report as ReportRow
from daemon.triage import ReportContext
from daemon.triage.pipeline import Triager, open_triaged, report_context
from daemon.work import Actor, ActorSource, Work
from parsers import Attachment, Channel, Ignored, ParseError, RawInput, Report, ReportStatus

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
        name, options = "email", work.config.mailbox.parser_options()
        channel = Channel.SMTP
    else:
        integration = work.config.integrations.get(intake.integration or "")
        if integration is None:
            raise ParseError(f"integration {intake.integration!r} is no longer configured")
        name, options = integration.type, integration.parser_options()
        if intake.details and "dedup_key" in intake.details:  # generated at intake (/v2/enqueue)
            options["default_dedup_key"] = intake.details["dedup_key"]
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
        reports = rekey_all(work.config, intake.integration, parsers.parse(parser, raw))
    except ParseError as exc:
        return _finish(work, intake, Outcome(IntakeStatus.QUARANTINED, exc.reason))
    except Ignored as exc:
        intake.details = dict(exc.details) or None
        if intake.source == "smtp":
            mailbox.note_bounce(work, intake, exc)
        return _finish(work, intake, Outcome(IntakeStatus.IGNORED, exc.reason))
    if intake.source == "smtp" and (verdict := mailbox.screen(work, intake, reports)):
        return _finish(work, intake, Outcome(verdict.status, verdict.reason))
    keys: dict[str, None] = {}
    channel = "email" if intake.source == "smtp" else intake.source
    correlator = Correlator(work, reports, scope=intake.integration or channel,
                            integration=intake.integration)
    changes = AlertChanges(work)
    triager = Triager(work, intake.received_at)
    rows = ReportRows()
    for position, report in enumerate(reports):
        incident = handle_report(work, intake, position, report, correlator, changes, triager,
                                 rows)
        if incident is not None:
            keys.setdefault(incident.key, None)
    rows.insert(work)
    changes.finish()
    answers = mailbox.after_reports(work, renderer, intake, reports) \
        if intake.source == "smtp" else 0
    hold_mail(work)  # no mail about incidents whose alerts are flapping
    queued = dispatch(work, renderer) + answers
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


def context_for(work: Work, intake: Intake, report: Report) -> ReportContext:
    """The triage context of a report from this intake row."""
    channel = "email" if intake.source == "smtp" else intake.source
    return report_context(work.config, channel=channel, integration=intake.integration,
                          sender=report.email.from_addr if report.email else report.reporter)


def handle_report(work: Work, intake: Intake, position: int, report: Report,
                  correlator: Correlator, changes: AlertChanges,
                  triager: Triager, rows: ReportRows) -> Incident | None:
    """Apply one report: update its alert/incident, open a new incident, or suppress it."""
    context = context_for(work, intake, report)
    suppressed_by: str | None = None
    source = ActorSource.EMAIL if intake.source == "smtp" else ActorSource.MONITORING
    actor = Actor(report.reporter or intake.integration or "unknown", source)
    match = correlator.match(report)
    incident, alert = match.incident, match.alert
    if report.status is ReportStatus.RESOLVED:
        if alert is None or incident is None:
            outcome = "unmatched-resolve"  # nothing open carries this signal; keep the record
        else:
            outcome = "resolved"
            changes.resolve(incident, alert, report, actor)
    elif incident is not None:
        outcome = "updated"
        if alert is not None:
            changes.repeat(incident, alert, report, actor)
        elif report.dedup_key:
            alert = changes.add(incident, intake, report, actor)
        elif report.email is not None:
            mailbox.note_reply(work, incident, report, actor, via=match.reason)
        else:
            text = report.email.update_text if report.email else report.description
            lifecycle.add_note(work, incident, actor, text or report.title, kind="update",
                               data={"via": match.reason, "title": report.title})
    else:
        verdict = triager.decide(report, context)
        if verdict.suppressed_by is not None:  # stored and linked, no incident, no mail
            outcome, suppressed_by = "suppressed", verdict.suppressed_by
        elif verdict.duplicate_of is not None:  # a rule's drop_duplicates
            outcome, incident = "duplicate", verdict.duplicate_of
        else:
            outcome = "opened"
            incident = open_triaged(work, report, context, verdict.decision, actor,
                                    group_key=scoped_group_key(correlator.scope, report))
            if report.dedup_key:
                alert = changes.add(incident, intake, report, actor, note=False)
    if incident is not None:
        correlator.remember(report, incident, alert)
    values = {
        "intake_id": intake.id, "incident_id": incident.id if incident else None,
        "position": position, "source": report.source, "status": report.status.value,
        "title": report.title[:500], "occurred_at": report.occurred_at,
        "received_at": intake.received_at,
        "message_id": report.email.message_id if report.email else None,
        "sender": report.email.from_addr if report.email else report.reporter,
        "outcome": outcome, "data": report.to_json(), "suppressed_by": suppressed_by,
    }
    attachments = report.email.attachments if report.email else ()
    rows.add(work, values, alert, attachments)
    return incident


class ReportRows:
    """The report rows of one intake row, stored together once their alerts have ids.

    Nothing reads them back while the row is processed, so they go in as one
    executemany instead of one ORM insert each (SQLite returns generated ids
    one statement at a time). A report with attachments is stored at once,
    because its attachments need its id.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[dict[str, Any], Alert | None]] = []

    def add(self, work: Work, values: dict[str, Any], alert: Alert | None,
            attachments: Sequence[Attachment]) -> None:
        """Store the report row now (with attachments) or with the others."""
        if not attachments:
            self._pending.append((values, alert))
            return
        row = ReportRow(**values, alert=alert)
        work.session.add(row)
        for attachment in attachments:
            work.session.add(StoredAttachment(
                report=row, incident_id=values["incident_id"],
                filename=attachment.filename, content_type=attachment.content_type,
                size=attachment.size, sha256=attachment.sha256,
                truncated=attachment.truncated, data=attachment.data))

    def insert(self, work: Work) -> None:
        """Insert the pending rows (the flush gives new alerts their ids first)."""
        if not self._pending:
            return
        work.session.flush()
        work.session.execute(insert(ReportRow), [
            {**values, "alert_id": alert.id if alert is not None else None}
            for values, alert in self._pending])
        self._pending.clear()
