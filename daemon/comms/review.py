"""Review mails: the post-incident review report, and the reminder that one is due.

Both go through the outbox like every other mail, threaded under the
incident's first mail.
"""

from __future__ import annotations

from collections.abc import Sequence

from daemon.comms.context import mail_context
from daemon.comms.outbox import enqueue, immediately
from daemon.comms.recipients import recipients_for
from daemon.comms.render import RenderedMail, Renderer
from daemon.store.models import Incident
from daemon.work import Work

REVIEW = "review"
REVIEW_REMINDER = "review_reminder"


def send_review(work: Work, renderer: Renderer, incident: Incident, *, markdown: str,
                html: str) -> list[str]:
    """Queue the review report to the incident's stakeholders; return the recipients."""
    recipients = recipients_for(work.config, incident, work.now)
    if not recipients:
        return []
    context = mail_context(work, incident)
    subject = renderer.env.get_template(f"mail/{REVIEW}.subject.j2").render(context)
    mail = RenderedMail(subject=" ".join(subject.split()), text=markdown,
                        html=renderer.inline(html))
    enqueue(work, incident, REVIEW, mail, immediately(work, recipients))
    return recipients


def reminder_recipients(work: Work, incident: Incident) -> list[str]:
    """The assignee when it is a mail address, else the incident's stakeholder lists."""
    assignee = (incident.assignee or "").strip()
    if "@" in assignee and " " not in assignee:
        return [assignee.lower()]
    return recipients_for(work.config, incident, work.now)


def send_review_reminder(work: Work, renderer: Renderer, incident: Incident,
                         missing: Sequence[str]) -> list[str]:
    """Queue the reminder that the incident's review is due; return the recipients."""
    recipients = reminder_recipients(work, incident)
    if not recipients:
        return []
    context = mail_context(work, incident)
    context["missing"] = list(missing)
    resolved = incident.resolved_at or work.now
    context["waited_seconds"] = (work.now - resolved).total_seconds()
    enqueue(work, incident, REVIEW_REMINDER, renderer.render(REVIEW_REMINDER, context),
            immediately(work, recipients))
    return recipients
