"""Automatic answers to the sender of a mail: acknowledgements and command confirmations.

Never to mail that must not be answered (RFC 3834 §2: automatic, list and
bulk mail, a sender we cannot name, ourselves) and at most `[mailbox]
ack_limit` answers per sender per `ack_window`, so that a forged sender or a
loop cannot make us a mail cannon. Answers go to the sender only, threaded
to the mail they answer, and through the outbox like every other mail.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from daemon.comms.context import mail_context
from daemon.comms.outbox import enqueue, immediately, sender_address
from daemon.comms.render import Renderer
from daemon.config.mail import sender_matches
from daemon.config.types import format_duration
from daemon.lifecycle import record
from daemon.mailbox.commands import CommandResult
from daemon.store import repo
from daemon.store.models import AutoReply, Incident, Intake
from daemon.work import SYSTEM, Work
from parsers import EmailInfo

log = logging.getLogger(__name__)

ACK = "ack"
CONFIRMATION = "confirmation"
WHAT = {ACK: "acknowledgement", CONFIRMATION: "confirmation"}


def refusal(work: Work, intake: Intake, info: EmailInfo) -> str | None:
    """Why this mail must get no automatic answer (None: it may get one)."""
    mailbox = work.config.mailbox
    sender = info.from_addr
    if not sender:
        return "no sender address"
    if (intake.mail_from or "").strip() in ("", "<>"):
        return "null envelope sender"
    if info.list_id:
        return f"mailing list {info.list_id}"
    if info.auto_submitted and info.auto_submitted.strip().lower() != "no":
        return f"Auto-Submitted: {info.auto_submitted}"
    if sender_matches(sender, mailbox.accept_automatic_from):
        return "an automatic sender ([mailbox] accept_automatic_from)"
    if sender in mailbox.addresses or sender == sender_address(work.config).lower():
        return "our own address"
    return None


def answer(work: Work, renderer: Renderer, intake: Intake, incident: Incident,
           info: EmailInfo, kind: str, values: dict[str, Any] | None = None) -> bool:
    """Queue answer `kind` to the mail's sender when allowed; True when queued."""
    mailbox = work.config.mailbox
    reason = refusal(work, intake, info)
    if reason is not None:
        log.info("intake=%d no %s: %s", intake.id, WHAT[kind], reason)
        return False
    assert info.from_addr is not None
    sender = info.from_addr
    since = work.now - mailbox.ack_window
    if repo.count_auto_replies(work.session, sender=sender, since=since) >= mailbox.ack_limit:
        record(work, incident, SYSTEM, "no_answer",
               f"No {WHAT[kind]} sent to {sender}: it already had {mailbox.ack_limit} "
               f"automatic answers in the last {format_duration(mailbox.ack_window)}",
               data={"kind": kind, "sender": sender})
        return False
    context = mail_context(work, incident)
    context.update({"kind": kind, "sender": sender, "reply_subject": info.subject,
                    **(values or {})})
    (row,) = enqueue(work, incident, kind, renderer.render(kind, context),
                     immediately(work, [sender]), thread=_thread(info))
    work.session.flush()  # the outbox id
    work.session.add(AutoReply(sender=sender, kind=kind, incident_id=incident.id,
                               outbox_id=row.id, at=work.now))
    return True


def confirmation_values(results: Sequence[CommandResult]) -> dict[str, Any]:
    """What the confirmation template shows about the commands."""
    return {"results": [{"line": r.line, "applied": r.applied, "message": r.message}
                        for r in results],
            "applied": sum(1 for r in results if r.applied), "total": len(results)}


def _thread(info: EmailInfo) -> list[str]:
    """References for an answer (RFC 5322 §3.6.4): theirs, then their Message-ID."""
    if not info.message_id:
        return []
    return [*[r for r in info.references if r != info.message_id][-20:], info.message_id]
