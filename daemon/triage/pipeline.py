"""Triage in the pipeline: maintenance windows and silences first, then the rules.

A `Triager` serves the reports of one intake row that would open an incident.
It reads the live configuration from the unit of work (so a reload applies to
the next row) and the active silences from the database once, when the row
first needs them. Time-based matchers and windows use the time the report was
received, so a row processed late (after a restart) is judged as it arrived.

Maintenance windows only keep reports from *opening* incidents: a report that
belongs to an incident already open (the same alert, a reply) still updates
it, so an alert that resolves during maintenance still resolves its incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from daemon import lifecycle
from daemon.config import Config
from daemon.lifecycle.plans import RULES
from daemon.store.models import OPEN_STATUSES, Incident
from daemon.triage.engine import Decision, triage
from daemon.triage.maintenance import MaintenanceWindow, active_window
from daemon.triage.match import ReportContext, Subject, Vocabulary
from daemon.triage.silences import get_active_silences, silence_window
from daemon.work import Actor, Work
from parsers import Report


@dataclass(frozen=True, slots=True)
class Verdict:
    """What becomes of a report that would open an incident."""

    decision: Decision  # what the rules say (even when a window suppresses the report)
    suppressed_by: str | None = None  # "maintenance NAME", "silence #ID NAME", "rule NAME"
    duplicate_of: Incident | None = None  # drop_duplicates found this open incident


def report_context(config: Config, *, channel: str, integration: str | None,
                   sender: str | None) -> ReportContext:
    """The triage context: channel, integration (and its lists), sender."""
    configured = config.integrations.get(integration or "")
    return ReportContext(channel=channel, integration=integration, sender=sender,
                         lists=tuple(configured.lists) if configured else ())


def config_windows(config: Config) -> list[tuple[str, MaintenanceWindow]]:
    """`[[maintenance]]` windows with the label a suppressed report records."""
    return [(f"maintenance {window.name}", window) for window in config.maintenance]


class Triager:
    """Silences, rules and defaults for the reports of one intake row."""

    def __init__(self, work: Work, received_at: datetime) -> None:
        self.work = work
        self.now = received_at
        self._windows: list[tuple[str, MaintenanceWindow]] | None = None

    def windows(self) -> Sequence[tuple[str, MaintenanceWindow]]:
        """Configured windows, then the silences active at the received time (read once)."""
        if self._windows is None:
            windows = config_windows(self.work.config)
            for row in get_active_silences(self.work.session, at=self.now):
                window = silence_window(row)
                if window is not None:
                    windows.append((f"silence #{row.id} {row.name}", window))
            self._windows = windows
        return self._windows

    def decide(self, report: Report, context: ReportContext) -> Verdict:
        """Suppressed by a window, by a rule, a dropped duplicate, or a decision to open."""
        return judge(self.work, report, context, self.now, self.windows())


def evaluate(config: Config, report: Report, context: ReportContext, now: datetime,
             windows: Sequence[tuple[str, MaintenanceWindow]]) -> Verdict:
    """Windows, then rules and defaults: pure (drop_duplicates is left to the caller)."""
    rules = config.triage
    decision = triage(report, context, rules, now)
    found = active_window(Subject(report, context, now), [w for _, w in windows],
                          Vocabulary(rules.time_windows, rules.matchers))
    if found is not None:
        label = next(label for label, window in windows if window is found)
        return Verdict(decision, suppressed_by=label)
    if decision.suppressed_by is not None:
        return Verdict(decision, suppressed_by=f"rule {decision.suppressed_by}")
    return Verdict(decision)


def judge(work: Work, report: Report, context: ReportContext, now: datetime,
          windows: Sequence[tuple[str, MaintenanceWindow]]) -> Verdict:
    """The verdict for one report (reads the database only for drop_duplicates)."""
    verdict = evaluate(work.config, report, context, now, windows)
    decision = verdict.decision
    if verdict.suppressed_by is None and decision.drop_duplicates:
        duplicate = find_duplicate(work, decision.title_for(report.title), context, now)
        if duplicate is not None:
            return Verdict(decision, duplicate_of=duplicate)
    return verdict


def find_duplicate(work: Work, title: str, context: ReportContext,
                   now: datetime) -> Incident | None:
    """An open incident with the same title from the same source, within the group window."""
    query = (select(Incident)
             .where(func.lower(Incident.title) == title[:500].lower(),
                    Incident.status.in_(OPEN_STATUSES), Incident.source == context.channel,
                    Incident.reported_at >= now - work.config.correlate.group_window)
             .order_by(Incident.id.desc()).limit(1))
    if context.integration is not None:
        query = query.where(Incident.integration == context.integration)
    return work.session.scalars(query).first()


def open_triaged(work: Work, report: Report, context: ReportContext, decision: Decision,
                 actor: Actor, *, group_key: str | None) -> Incident:
    """Open the incident as `decision` says, and activate the plan it chose."""
    incident = lifecycle.open_incident(work, report, context, decision, actor,
                                       group_key=group_key)
    if decision.plan is not None and decision.plan in work.config.plans:
        why = (f"rule {decision.decided_by[-1]}" if "plan" not in decision.filled
               and decision.decided_by else decision.filled.get("plan", "triage"))
        lifecycle.activate_plan(work, incident, RULES, decision.plan,
                                f"Response plan {decision.plan} activated ({why})")
    return incident
