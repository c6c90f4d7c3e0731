"""Screening a parsed mail before it may touch an incident.

Noise (auto-replies, bounces, lists, our own mail) was already turned away by
the parser. What is left is a person's mail, and here it must pass the sender
policy (`[mailbox] allowed_senders`), the upstream MTA's authentication
verdict when one is required, and must not be a second delivery of a mail we
already have (an MTA that retried after losing our 250).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from daemon.mailbox import authresults
from daemon.store import repo
from daemon.store.models import Intake, IntakeStatus
from daemon.work import Work
from parsers import Report


@dataclass(frozen=True, slots=True)
class Verdict:
    """Why a mail stops here: quarantined (policy) or ignored (a duplicate)."""

    status: IntakeStatus
    reason: str


def screen(work: Work, intake: Intake, reports: Sequence[Report]) -> Verdict | None:
    """The verdict for a parsed mail, or None when it may go on."""
    mailbox = work.config.mailbox
    for report in reports:
        info = report.email
        if info is None:
            continue
        sender = info.from_addr
        if not mailbox.sender_allowed(sender):
            return Verdict(IntakeStatus.QUARANTINED,
                           f"sender policy: {sender or 'a mail without sender'} is not in "
                           "[mailbox] allowed_senders")
        required = mailbox.require_authentication_results
        # Mail submitted with SMTP AUTH did not pass the upstream MTA: its login vouches.
        if required is not None and intake.auth_user is None:
            problem = authresults.problem(intake.raw, required)
            if problem is not None:
                return Verdict(IntakeStatus.QUARANTINED, f"authentication results: {problem}")
        if info.message_id and repo.has_report_with_message_id(
                work.session, message_id=info.message_id, sender=sender):
            return Verdict(IntakeStatus.IGNORED, f"duplicate delivery of {info.message_id}")
    return None
