"""Who hears about one incident, and how often: per-incident recipients and cadence.

- `add_recipient` / `remove_recipient` change the incident's own recipients
  on top of its stakeholder lists (a removal also silences an address the
  lists would include); `change_recipients` validates a batch, then applies
  it. Reply commands by mail (`recipients: +a@example.org -b@example.org`)
  can use `parse_recipient_changes` for the text form.
- `set_cadence` gives the incident its own update interval (a response plan's,
  or a person's), which wins over the priority's; None goes back to it.

Each change is a timeline entry; none sends a mail by itself (added people
get the next one).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from daemon.comms.cadence import update_interval
from daemon.config.types import format_duration, parse_address
from daemon.lifecycle.errors import FieldError
from daemon.lifecycle.timeline import note
from daemon.store.models import Incident
from daemon.work import Actor, Work

MAX_ADDED = 200  # per incident: a mistake in a script should not mail a whole directory
MIN_CADENCE = timedelta(minutes=1)


def valid_address(value: object, field: str = "address") -> str:
    """A bare mail address, lower-cased, or `FieldError`."""
    try:
        return parse_address(value)
    except ValueError as exc:
        raise FieldError(str(exc), field=field) from None


def add_recipient(work: Work, incident: Incident, actor: Actor, address: str,
                  comment: str = "") -> bool:
    """Mail `address` about this incident from now on; False when it already is."""
    address = valid_address(address)
    added = list(incident.recipients_added or [])
    removed = list(incident.recipients_removed or [])
    if address in added and address not in removed:
        return False
    if address not in added:
        if len(added) >= MAX_ADDED:
            raise FieldError(f"{incident.key} already has {MAX_ADDED} added recipients; "
                             "use a stakeholder list", field="address")
        added.append(address)
    incident.recipients_added = added
    incident.recipients_removed = [a for a in removed if a != address] or None
    note(work, incident, actor, comment or f"{address} now gets the mail about "
         f"{incident.key}", kind="recipients", new=f"+{address}")
    return True


def remove_recipient(work: Work, incident: Incident, actor: Actor, address: str,
                     comment: str = "") -> bool:
    """Stop mailing `address` about this incident, lists or not; False when it already is."""
    address = valid_address(address)
    added = list(incident.recipients_added or [])
    removed = list(incident.recipients_removed or [])
    if address in removed and address not in added:
        return False
    incident.recipients_added = [a for a in added if a != address] or None
    incident.recipients_removed = [*removed, address] if address not in removed else removed
    note(work, incident, actor, comment or f"{address} no longer gets the mail about "
         f"{incident.key}", kind="recipients", new=f"-{address}")
    return True


def change_recipients(work: Work, incident: Incident, actor: Actor, *,
                      add: Sequence[str] = (), remove: Sequence[str] = (),
                      comment: str = "") -> list[str]:
    """Validate every address first, then apply; return the changes made (`+a`, `-b`)."""
    adding = [valid_address(a, "add") for a in add]
    removing = [valid_address(a, "remove") for a in remove]
    both = sorted(set(adding) & set(removing))
    if both:
        raise FieldError(f"{both[0]} is both added and removed", field="remove")
    if not adding and not removing:
        raise FieldError("name addresses to add or remove", field="add")
    changes = [f"+{a}" for a in adding if add_recipient(work, incident, actor, a, comment)]
    changes += [f"-{a}" for a in removing if remove_recipient(work, incident, actor, a,
                                                               comment)]
    return changes


def parse_recipient_changes(text: str) -> tuple[list[str], list[str]]:
    """`+a@example.org -b@example.org c@example.org` → (added, removed); bare means add."""
    add: list[str] = []
    remove: list[str] = []
    for word in text.replace(",", " ").split():
        if word.startswith("-"):
            remove.append(valid_address(word[1:], "remove"))
        else:
            add.append(valid_address(word.removeprefix("+"), "add"))
    return add, remove


def set_cadence(work: Work, incident: Incident, actor: Actor, interval: timedelta | None,
                comment: str = "") -> None:
    """Give the incident its own update interval; None follows the priority again."""
    if interval is not None and interval < MIN_CADENCE:
        raise FieldError(f"the update interval must be at least {format_duration(MIN_CADENCE)}",
                         field="cadence")
    seconds = int(interval.total_seconds()) if interval is not None else None
    old = incident.cadence_seconds
    if seconds == old:
        return
    before = format_duration(timedelta(seconds=old)) if old else "priority default"
    incident.cadence_seconds = seconds
    after = format_duration(update_interval(work.config, incident))
    if incident.is_open and incident.next_update_at is not None:
        # keep the promise already made, but never wait longer than the new interval
        due = work.now + update_interval(work.config, incident)
        incident.next_update_at = min(incident.next_update_at, due)
    note(work, incident, actor, comment, kind="cadence", old=before,
         new=after if seconds else f"{after} (priority default)")
