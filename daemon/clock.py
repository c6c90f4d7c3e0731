"""Time as a dependency, so that tests can drive it instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """The current time."""


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """See `Clock`."""
        return datetime.now(UTC)
