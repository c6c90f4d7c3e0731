"""One unit of work: a session, the configuration, the time, and what changed.

Lifecycle code records `Event`s here; comms turns them into outbox messages in
the same transaction, so a change and the mail it causes commit together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daemon.config import Config
from daemon.store.db import WRITE_LOCKED
from daemon.store.models import Alert, Incident


class ActorSource(StrEnum):
    """Which interface a change came through."""

    API = "api"
    CLI = "cli"
    EMAIL = "email"
    RULE = "rule"
    MONITORING = "monitoring"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change, and through what."""

    name: str
    source: ActorSource


SYSTEM = Actor("incidentd", ActorSource.SYSTEM)

_HIGHEST_ALERT_ID = select(func.max(Alert.id))


class EventKind(StrEnum):
    """Changes stakeholders may need to hear about."""

    OPENED = "opened"
    STATUS = "status"
    PRIORITY = "priority"
    SEVERITY = "severity"
    ETA = "eta"
    NOTE = "note"
    ALERT = "alert"
    PLAN = "plan"  # a response plan was activated: its team gets the plan mail


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to an incident in this unit of work."""

    kind: EventKind
    incident: Incident
    actor: Actor
    old: Any = None
    new: Any = None


@dataclass(slots=True)
class Work:
    """The context every lifecycle and comms function takes."""

    session: Session
    config: Config
    now: datetime
    events: list[Event] = field(default_factory=list)
    _next_alert_id: int | None = None

    def alert_id(self) -> int | None:
        """An id for a new alert, or None to let the database choose one.

        The ORM must insert rows one statement at a time when it has to read
        their generated ids back from SQLite; with ids chosen here, a row's
        new alerts go in as one executemany. Only where the transaction holds
        SQLite's write lock from its start: there, the highest id plus one is
        exactly what SQLite itself would choose, and nobody else can take it.
        """
        if not self.session.info.get(WRITE_LOCKED):
            return None
        if self._next_alert_id is None:
            highest = self.session.scalar(_HIGHEST_ALERT_ID)
            self._next_alert_id = (highest or 0) + 1
        allocated = self._next_alert_id
        self._next_alert_id += 1
        return allocated

    def emit(self, event: Event) -> None:
        """Record `event` for comms."""
        self.events.append(event)
