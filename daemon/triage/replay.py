"""`rules test` and `rules backtest`: triage without storing anything.

`try_input` parses one payload or mail as the pipeline would and judges each
report against the configuration's windows and rules. `backtest` replays
stored intake (parse again, then triage) through a configuration, usually one
with a candidate rules file, and lists the reports whose severity, priority,
plan or suppression would differ from what was recorded when they arrived.
Neither writes: the backtest only reads the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import parsers
from daemon.config import Config
from daemon.store.models import Incident, Intake, IntakeStatus, Silence, Timeline
from daemon.store.models import Report as ReportRow
from daemon.triage.maintenance import MaintenanceWindow
from daemon.triage.match import ReportContext
from daemon.triage.pipeline import Verdict, config_windows, evaluate, report_context
from daemon.triage.silences import silence_window
from daemon.triage.stored import report_from_json
from parsers import Channel, Ignored, ParseError, RawInput, Report

COMPARED = ("severity", "priority", "plan", "suppressed_by")
CHUNK = 200  # intake rows read at a time


def raw_for(config: Config, body: bytes, *, integration: str | None,
            received_at: datetime) -> tuple[str, RawInput]:
    """The parser and its input, as the pipeline would build them (email without integration)."""
    if integration is None:
        return "email", RawInput(channel=Channel.SMTP, body=body, received_at=received_at)
    configured = config.integrations.get(integration)
    if configured is None:
        known = ", ".join(sorted(config.integrations)) or "none"
        raise ParseError(f"no integration {integration!r} is configured; known: {known}")
    return configured.type, RawInput(
        channel=Channel.WEBHOOK, body=body, received_at=received_at, route=integration,
        content_type="application/json", options=configured.parser_options())


def context_of(config: Config, report: Report, *, channel: str,
               integration: str | None) -> ReportContext:
    """The triage context of a report, as the pipeline builds it."""
    sender = report.email.from_addr if report.email else report.reporter
    return report_context(config, channel=channel, integration=integration, sender=sender)


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """What triage would do, as JSON: the rules walk and the result."""
    decision = verdict.decision
    result = decision.result()
    result["suppressed_by"] = verdict.suppressed_by
    result["drop_duplicates"] = decision.drop_duplicates
    return {"hits": list(decision.hits), "misses": list(decision.misses),
            "decided_by": list(decision.decided_by), "defaults": dict(decision.filled),
            "result": result}


def try_input(config: Config, body: bytes, *, integration: str | None,
              now: datetime) -> list[dict[str, Any]]:
    """Parse `body` and judge each report at `now`; raises `ParseError` or `Ignored`."""
    name, raw = raw_for(config, body, integration=integration, received_at=now)
    channel = "email" if integration is None else "webhook"
    answers = []
    for report in parsers.parse(name, raw):
        context = context_of(config, report, channel=channel, integration=integration)
        verdict = evaluate(config, report, context, now, config_windows(config))
        answers.append({
            "report": {"title": report.title, "source": report.source,
                       "status": report.status.value,
                       "severity": report.severity.value if report.severity else None,
                       "impact": report.impact.value if report.impact else None,
                       "urgency": report.urgency.value if report.urgency else None,
                       "service": report.service, "sender": context.sender,
                       "labels": dict(report.labels), "dedup_key": report.dedup_key},
            **verdict_json(verdict)})
    return answers


@dataclass
class Backtest:
    """Rows replayed, rows that could not be, and the differences found."""

    checked: int = 0
    skipped: int = 0
    differences: list[dict[str, Any]] = field(default_factory=list)


def backtest(session: Session, config: Config, *, since: datetime, until: datetime,
             limit: int = 1000) -> Backtest:
    """Replay intake received in [since, until) through `config`; compare with the record."""
    result = Backtest()
    silences = _silences(session, since, until)
    for chunk in _intake_chunks(session, since, until):
        rows = _report_rows(session, [intake.id for intake in chunk])
        recorded = _recorded(session, {r.incident_id for group in rows.values()
                                       for r in group if r.incident_id})
        for intake in chunk:
            reports = _reports(config, intake)
            for row in rows.get_for(intake.id):
                report = reports.get(row.position) or report_from_json(row.data)
                channel = "email" if intake.source == "smtp" else intake.source
                context = context_of(config, report, channel=channel,
                                     integration=intake.integration)
                windows = [*config_windows(config), *_active(silences, intake.received_at)]
                verdict = evaluate(config, report, context, intake.received_at, windows)
                before = _before(row, recorded)
                after = _after(verdict)
                result.checked += 1
                changed = [name for name in COMPARED if before.get(name) != after.get(name)]
                if changed and len(result.differences) < limit:
                    result.differences.append(_difference(row, intake, before, after, changed))
    return result


def _intake_chunks(session: Session, since: datetime, until: datetime
                   ) -> Iterator[Sequence[Intake]]:
    after = 0
    while True:
        query = (select(Intake).where(Intake.status == IntakeStatus.PARSED,
                                      Intake.received_at >= since,
                                      Intake.received_at < until, Intake.id > after)
                 .order_by(Intake.id).limit(CHUNK))
        chunk = session.scalars(query).all()
        if not chunk:
            return
        yield chunk
        after = chunk[-1].id
        session.expunge_all()  # read-only: let the replayed rows go


class _Rows(dict[int, list[ReportRow]]):
    def get_for(self, intake_id: int) -> list[ReportRow]:
        return self.get(intake_id, [])


def _report_rows(session: Session, intake_ids: list[int]) -> _Rows:
    # Only reports that went through triage: they opened an incident or were suppressed.
    query = (select(ReportRow).where(ReportRow.intake_id.in_(intake_ids),
                                     ReportRow.outcome.in_(("opened", "suppressed")))
             .order_by(ReportRow.id))
    rows = _Rows()
    for row in session.scalars(query):
        rows.setdefault(row.intake_id, []).append(row)
    return rows


def _recorded(session: Session, incident_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Per incident: the result its first triage recorded (older ones: its fields now)."""
    found: dict[int, dict[str, Any]] = {}
    if not incident_ids:
        return found
    for incident in session.scalars(select(Incident).where(Incident.id.in_(incident_ids))):
        found[incident.id] = {"severity": incident.severity, "priority": incident.priority,
                              "plan": incident.response_plan, "suppressed_by": None}
    entries = select(Timeline).where(Timeline.incident_id.in_(incident_ids),
                                     Timeline.kind == "triaged").order_by(Timeline.id.desc())
    for entry in session.scalars(entries):
        result = (entry.data or {}).get("result")
        if isinstance(result, dict):
            found[entry.incident_id] = {**result, "suppressed_by": None}
    return found


def _reports(config: Config, intake: Intake) -> dict[int, Report]:
    """The intake row parsed again (empty when its bytes are gone or it no longer parses)."""
    if not intake.raw:
        return {}
    try:
        name, raw = _raw_input(config, intake)
        return dict(enumerate(parsers.parse(name, raw)))
    except (ParseError, Ignored):
        return {}


def _raw_input(config: Config, intake: Intake) -> tuple[str, RawInput]:
    if intake.source == "smtp":
        return "email", RawInput(channel=Channel.SMTP, body=intake.raw,
                                 received_at=intake.received_at, mail_from=intake.mail_from,
                                 rcpt_to=tuple(intake.rcpt_to or ()))
    name, raw = raw_for(config, intake.raw, integration=intake.integration,
                        received_at=intake.received_at)
    return name, RawInput(channel=Channel.WEBHOOK if intake.source == "webhook"
                          else Channel.API, body=raw.body, received_at=raw.received_at,
                          route=raw.route, content_type=intake.content_type,
                          options=raw.options)


def _before(row: ReportRow, recorded: dict[int, dict[str, Any]]) -> dict[str, Any]:
    if row.outcome == "suppressed":  # no incident: nothing was triaged but the suppression
        return {"severity": None, "priority": None, "plan": None,
                "suppressed_by": row.suppressed_by}
    return recorded.get(row.incident_id or 0, {})


def _after(verdict: Verdict) -> dict[str, Any]:
    if verdict.suppressed_by is not None:
        return {"severity": None, "priority": None, "plan": None,
                "suppressed_by": verdict.suppressed_by}
    return verdict.decision.result()


def _difference(row: ReportRow, intake: Intake, before: dict[str, Any], after: dict[str, Any],
                changed: list[str]) -> dict[str, Any]:
    return {"intake_id": intake.id, "report_id": row.id, "received_at": intake.received_at,
            "incident": f"INC-{row.incident_id}" if row.incident_id else None,
            "title": row.title, "changed": changed,
            "before": {name: before.get(name) for name in COMPARED},
            "after": {name: after.get(name) for name in COMPARED}}


def _silences(session: Session, since: datetime, until: datetime
              ) -> list[tuple[str, MaintenanceWindow]]:
    query = select(Silence).where(Silence.starts_at < until, Silence.ends_at > since)
    found = []
    for row in session.scalars(query):
        window = silence_window(row)
        if window is not None:
            found.append((f"silence #{row.id} {row.name}", window))
    return found


def _active(silences: list[tuple[str, MaintenanceWindow]], at: datetime
            ) -> list[tuple[str, MaintenanceWindow]]:
    return [(label, window) for label, window in silences
            if window.starts_at is None or window.starts_at <= at]
