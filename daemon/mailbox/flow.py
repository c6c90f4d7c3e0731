"""The mail-only steps of processing one intake row, called from `daemon.process`.

After correlation a mail either opened an incident (the reporter gets an
acknowledgement) or answered one: then its new text becomes a timeline note,
its reply commands run when the sender is a responder, and the sender gets a
confirmation of what was applied or refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from daemon import lifecycle
from daemon.comms.render import Renderer
from daemon.mailbox.commands import (
    may_command,
    message_after,
    refuse_commands,
    run_commands,
)
from daemon.mailbox.replies import ACK, CONFIRMATION, answer, confirmation_values
from daemon.store import repo
from daemon.store.models import Incident, Intake
from daemon.work import Actor, ActorSource, Work
from parsers import Report

FILLABLE = ("location", "service")


def note_reply(work: Work, incident: Incident, report: Report, actor: Actor, *,
               via: str) -> None:
    """A mail that answers an incident: its new text on the timeline, open or not."""
    assert report.email is not None
    info = report.email
    data: dict[str, object] = {"via": via, "title": report.title,
                               "message_id": info.message_id,
                               "attachments": [a.filename for a in info.attachments]}
    if not incident.is_open:
        # Noted, never reopened: that takes a `reopen: reason` command.
        data["incident_status"] = incident.status
    lifecycle.add_note(work, incident, actor, info.update_text or report.title, kind="update",
                       data=data)
    # `Location:` / `Service:` lines in a reply fill what the first report left out;
    # they never overwrite (that is a responder's change, through the API or CLI).
    for name in FILLABLE:
        value = getattr(report, name)
        if value and not getattr(incident, name) and incident.is_open:
            lifecycle.set_text(work, incident, actor, name, value[:255])


def after_reports(work: Work, renderer: Renderer, intake: Intake,
                  reports: Sequence[Report]) -> int:
    """Commands, acknowledgements and confirmations; return how many mails were queued."""
    queued = 0
    for row in repo.get_reports_for_intake(work.session, intake_id=intake.id):
        report = reports[row.position]
        info = report.email
        if info is None or row.incident_id is None:
            continue
        incident = repo.get_incident(work.session, incident_id=row.incident_id)
        assert incident is not None
        if row.outcome == "opened" and work.config.mailbox.acknowledge:
            queued += answer(work, renderer, intake, incident, info, ACK,
                             {"responder": may_command(work, incident, info.from_addr)})
        elif row.outcome == "updated" and info.commands:
            actor = Actor(info.from_addr or "unknown", ActorSource.EMAIL)
            responder = may_command(work, incident, info.from_addr)
            if responder:
                results = run_commands(work, incident, actor, info.commands,
                                       message_after(info.update_text, len(info.commands)))
            else:
                results = refuse_commands(work, incident, actor, info.commands)
            queued += answer(work, renderer, intake, incident, info, CONFIRMATION,
                             {**confirmation_values(results), "responder": responder})
    return queued
