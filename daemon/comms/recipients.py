"""Who gets an incident's mail, and when.

The addresses of the incident's stakeholder lists whose filters (priority,
severity, category) the incident passes, plus the addresses added to the
incident, minus those removed from it. A person on several lists is one
recipient. P3/P4 mail to a list in its quiet hours is held until they end;
someone also on a list that is not quiet, or added by hand, gets it now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from daemon.comms.quiet import quiet_until
from daemon.config import Config
from daemon.store.models import Incident

# Quiet hours never hold back mail about incidents this urgent.
ALWAYS_NOW = (1, 2)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One copy of a mail: who gets it, and from when."""

    at: datetime
    recipients: tuple[str, ...]


@dataclass(slots=True)
class Recipient:
    """One address and why it gets the incident's mail (for the API and CLI)."""

    address: str
    lists: list[str] = field(default_factory=list)
    added: bool = False
    removed: bool = False
    held_until: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain values."""
        return {"address": self.address, "lists": list(self.lists), "added": self.added,
                "removed": self.removed, "held_until": self.held_until}


def lists_for(config: Config, incident: Incident) -> list[str]:
    """The incident's lists whose filters it passes now."""
    return [name for name in incident.lists or []
            if name in config.lists and config.lists[name].wants(
                priority=incident.priority, severity=incident.severity,
                category=incident.category)]


def describe(config: Config, incident: Incident, now: datetime) -> list[Recipient]:
    """Every address involved, removed ones included, in a stable order."""
    found: dict[str, Recipient] = {}
    urgent = (incident.priority or 4) in ALWAYS_NOW
    for name in lists_for(config, incident):
        stakeholders = config.lists[name]
        held = None
        if stakeholders.quiet_hours is not None and not urgent:
            held = quiet_until(stakeholders.quiet_hours,
                               stakeholders.timezone or config.notify.timezone, now)
        for address in stakeholders.addresses:
            recipient = found.setdefault(address, Recipient(address, held_until=held))
            if name not in recipient.lists:
                recipient.lists.append(name)
            if recipient.lists != [name]:  # on several lists: the earliest wins
                recipient.held_until = _earliest(recipient.held_until, held)
    for address in incident.recipients_added or []:
        recipient = found.setdefault(address, Recipient(address))
        recipient.added = True
        recipient.held_until = None  # asked for this incident by name
    for address in incident.recipients_removed or []:
        found.setdefault(address, Recipient(address)).removed = True
    return list(found.values())


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return None
    return min(a, b)


def recipients_for(config: Config, incident: Incident, now: datetime) -> list[str]:
    """The addresses that get the incident's mail, each once."""
    return [r.address for r in describe(config, incident, now) if not r.removed]


def deliveries(config: Config, incident: Incident, now: datetime) -> list[Delivery]:
    """The copies to queue: one per delivery time, the immediate one first."""
    by_time: dict[datetime, list[str]] = {}
    for recipient in describe(config, incident, now):
        if not recipient.removed:
            by_time.setdefault(recipient.held_until or now, []).append(recipient.address)
    return [Delivery(at, tuple(addresses)) for at, addresses in sorted(by_time.items())]


def list_addresses(config: Config, names: Sequence[str]) -> list[str]:
    """Everyone on the named lists, each once (digests, reminders)."""
    seen: dict[str, None] = {}
    for name in names:
        if name in config.lists:
            for address in config.lists[name].addresses:
                seen.setdefault(address, None)
    return list(seen)
