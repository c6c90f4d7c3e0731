"""Merging a duplicate into the incident it duplicates.

Its alerts, reports and attachments move over, its stakeholder lists join
the other incident's (so they hear about the real one from now on), and both
timelines say what happened. The duplicate's own stakeholders are told once,
by the mail its dismissal causes; the other incident gets a note only.
"""

from __future__ import annotations

from sqlalchemy import update

from daemon.lifecycle.errors import FieldError
from daemon.lifecycle.timeline import note, record
from daemon.store.models import Alert, Incident, Report, StoredAttachment
from daemon.work import Actor, Work


def merge_into(work: Work, duplicate: Incident, target: Incident, actor: Actor) -> None:
    """Move what `duplicate` holds to `target` and link it (the caller dismisses it)."""
    if target.id == duplicate.id:
        raise FieldError("an incident cannot be a duplicate of itself", field="duplicate_of")
    if not target.is_open:
        raise FieldError(f"{target.key} is {target.status}; merge into an open incident",
                         field="duplicate_of")
    moved = {}
    for model, name in ((Alert, "alerts"), (Report, "reports"),
                        (StoredAttachment, "attachments")):
        result = work.session.execute(
            update(model).where(model.incident_id == duplicate.id)
            .values(incident_id=target.id).execution_options(synchronize_session="fetch"))
        moved[name] = int(getattr(result, "rowcount", 0) or 0)
    target.lists = list(dict.fromkeys([*(target.lists or []), *(duplicate.lists or [])]))
    if duplicate.recipients_added:  # people added by hand follow the problem too
        target.recipients_added = list(dict.fromkeys(
            [*(target.recipients_added or []), *duplicate.recipients_added]))
    duplicate.duplicate_of_id = target.id
    summary = ", ".join(f"{count} {name}" for name, count in moved.items() if count) or "nothing"
    record(work, duplicate, actor, "merged", f"Merged into {target.key} (moved {summary})",
           new=target.key, data={"into": target.key, **moved})
    note(work, target, actor, f"{duplicate.key} ({duplicate.title}) was merged into this "
         f"incident as a duplicate (moved {summary})", kind="merged", new=duplicate.key,
         data={"from": duplicate.key, **moved})
