"""How often an incident's stakeholders get a status update.

The priority's interval (`[cadence]`) unless the incident carries its own
(`cadence_seconds`, set by a response plan or a person through
`lifecycle.set_cadence`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from daemon.config import Config
from daemon.store.models import Incident


def update_interval(config: Config, incident: Incident) -> timedelta:
    """The incident's update interval: its own override, else its priority's."""
    if incident.cadence_seconds:
        return timedelta(seconds=incident.cadence_seconds)
    return config.cadence.for_priority(incident.priority or 4)


def schedule_next(config: Config, incident: Incident, now: datetime) -> None:
    """Plan the next periodic update one interval from `now` (none once it is over)."""
    incident.next_update_at = now + update_interval(config, incident) if incident.is_open \
        else None
