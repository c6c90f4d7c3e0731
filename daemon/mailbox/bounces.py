"""Bounces of our own mail: the outbox row learns that its message did not arrive.

The parser ignores every bounce and, when it can find it, puts the returned
message's Message-ID into the details. When that is one of ours, the outbox
row's `last_error` and the incident's timeline say who did not get it and why.
"""

from __future__ import annotations

from daemon.lifecycle import record
from daemon.store import repo
from daemon.store.models import Intake
from daemon.work import SYSTEM, Work
from parsers import Ignored


def note_bounce(work: Work, intake: Intake, ignored: Ignored) -> bool:
    """Record a bounce of one of our messages; False when it is not about one."""
    original = ignored.details.get("original_message_id")
    if not ignored.reason.startswith("bounce:") or not original:
        return False
    row = repo.get_outbox_by_message_id(work.session, message_id=original)
    if row is None:
        return False
    what = ", ".join(f"{key} {ignored.details[key]}" for key in ("recipient", "status",
                                                                "diagnostic")
                     if ignored.details.get(key))
    row.last_error = f"bounced (intake {intake.id}): {ignored.reason}" + (
        f"; {what}" if what else "")
    intake.details = {**(intake.details or {}), "outbox_id": str(row.id)}
    if row.incident_id is not None and (
            incident := repo.get_incident(work.session, incident_id=row.incident_id)):
        record(work, incident, SYSTEM, "bounce",
               f"The {row.kind} mail of {row.created_at:%Y-%m-%d %H:%M} UTC bounced: "
               f"{ignored.reason}" + (f" ({what})" if what else ""),
               data={"outbox_id": row.id, "intake_id": intake.id})
    return True
