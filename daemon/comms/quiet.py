"""Quiet hours: the daily period in which a list gets no P3/P4 mail.

Mail that falls into it is held until the period ends, never dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from daemon.config.comms import QuietWindow


def quiet_until(window: QuietWindow, zone: str, now: datetime) -> datetime | None:
    """The end of the quiet period `now` falls in (UTC), or None when it is not quiet."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    today = local.date()
    if window.start < window.end:  # within one day, e.g. 12:00-14:00
        if not window.start <= clock < window.end:
            return None
        end_day = today
    elif clock >= window.start:  # spans midnight, e.g. 22:00-07:00, and it is evening
        end_day = today + timedelta(days=1)
    elif clock < window.end:  # spans midnight, and it is early morning
        end_day = today
    else:
        return None
    # a wall-clock time skipped by a DST change resolves forwards (PEP 495 fold=0)
    return datetime.combine(end_day, window.end, tzinfo=tz).astimezone(UTC)
