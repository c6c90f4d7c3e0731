"""Render every mail template once against a sample incident, to catch mistakes early.

Used by `incidentd doctor` and by a reload (a broken override template must
not replace working ones). The sample is built by the real comms code on a
throw-away in-memory SQLite database, so the context is exactly what the
templates get in production.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jinja2
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from daemon.comms import MessageKind, Renderer
from daemon.comms.context import mail_context
from daemon.comms.team import KINDS as TEAM_KINDS
from daemon.comms.team import sample_context
from daemon.config import Config
from daemon.store.models import Base, Incident, Timeline
from daemon.work import Work


class TemplateProblem(Exception):
    """A template does not load or render; the message names it."""


def check_templates(renderer: Renderer, config: Config) -> list[str]:
    """Render each mail kind; return the kinds rendered, raise `TemplateProblem` on failure."""
    engine = create_engine("sqlite://")
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
            incident = Incident(
                title="Sample: disk full on db-1", description="The disk is full.",
                status="resolved", severity="high", impact="high", urgency="medium", priority=2,
                category="service disruption", service="postgres", reporter="ops@example.org",
                source="webhook", lists=[], labels={"team": "dba"}, reported_at=now,
                triaged_at=now, resolved_at=now + timedelta(hours=1), updates_sent=1,
                updated_at=now, eta=now + timedelta(hours=2))
            session.add(incident)
            session.flush()
            session.add(Timeline(incident_id=incident.id, at=now, actor="ops@example.org",
                                 source="api", kind="note", text="Looking into it."))
            session.flush()
            work = Work(session=session, config=config, now=now + timedelta(hours=1))
            context = mail_context(work, incident, changes=["Status changed"], since=None)
            rendered = []
            extra = sample_context(config)  # what plan and escalation mails get besides
            for kind in (*[k.value for k in MessageKind], *TEAM_KINDS):
                try:
                    renderer.render(kind, {**context, **extra, "kind": kind})
                except jinja2.TemplateError as exc:
                    where = f" ({exc.filename}:{exc.lineno})" \
                        if isinstance(exc, jinja2.TemplateSyntaxError) else ""
                    raise TemplateProblem(f"mail template {kind!r}{where}: "
                                          f"{type(exc).__name__}: {exc}") from None
                rendered.append(kind)
            session.rollback()
            return rendered
    finally:
        engine.dispose()
