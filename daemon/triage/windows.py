"""Weekly time windows: named `[triage.time_windows.NAME]` ranges in a time zone.

A window is a set of weekly ranges (`days`, `from`, `to`) read on the wall
clock of its time zone, so "08:00 to 18:00 in Europe/Berlin" stays 08:00 to
18:00 local time on both sides of a daylight-saving change. A range whose
`to` is earlier than its `from` runs over midnight into the next day (the
days name the day it starts on); `to = "24:00"` is the end of the day.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache, cached_property
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, Field, model_validator

from daemon.config.types import STRICT

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def parse_days(value: Any) -> frozenset[int]:
    """`["mon-fri", "sun"]` (or one text) → weekday numbers, Monday = 0; ranges may wrap."""
    if isinstance(value, frozenset):
        return value
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ValueError("days is a list like [\"mon-fri\"] or [\"sat\", \"sun\"]")
    days: set[int] = set()
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{item!r} is not a day name")
        first, _, last = item.strip().lower().partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"{item!r}: days are {', '.join(DAY_NAMES)} or a range like mon-fri")
        start = DAY_NAMES.index(first)
        end = DAY_NAMES.index(last) if last else start
        days.update((start + i) % 7 for i in range((end - start) % 7 + 1))
    return frozenset(days)


def parse_clock(value: Any) -> int:
    """`"08:30"` → minutes after midnight; `"24:00"` is allowed (the end of a day)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a time of day like 08:00")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{value!r} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


@cache
def zone(name: str) -> ZoneInfo:
    """The time zone called `name` (IANA, e.g. Europe/Berlin)."""
    return ZoneInfo(name)


def check_zone(value: Any) -> str:
    """A known IANA time zone name."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a time zone is a name like Europe/Berlin or UTC")
    try:
        zone(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name like "
                         "Europe/Berlin") from None
    return value.strip()


Days = Annotated[frozenset[int], BeforeValidator(parse_days)]
ClockTime = Annotated[int, BeforeValidator(parse_clock)]
TimeZone = Annotated[str, BeforeValidator(check_zone)]


class WeeklyRange(BaseModel):
    """`days`, `from` and `to`: one range of wall-clock time on some days of the week."""

    model_config = STRICT

    days: Days
    start: ClockTime = Field(alias="from")
    end: ClockTime = Field(alias="to")

    @model_validator(mode="after")
    def _not_empty(self) -> WeeklyRange:
        if self.start == self.end:
            raise ValueError("from and to are the same time; the range would be empty")
        if self.start >= 24 * 60:
            raise ValueError("from must be before 24:00")
        return self

    def contains_local(self, local: datetime) -> bool:
        """True when the wall-clock time `local` falls in this range."""
        minute = local.hour * 60 + local.minute
        weekday = local.weekday()
        if self.start < self.end:
            return weekday in self.days and self.start <= minute < self.end
        # over midnight: the evening part on a listed day, the morning part the day after
        return ((weekday in self.days and minute >= self.start)
                or ((weekday - 1) % 7 in self.days and minute < self.end))


class TimeWindow(BaseModel):
    """`[triage.time_windows.NAME]`: weekly ranges in a time zone.

    One range is written inline (`days`, `from`, `to`); more go in `ranges`.
    """

    model_config = STRICT

    timezone: TimeZone = "UTC"
    days: Days | None = None
    start: ClockTime | None = Field(None, alias="from")
    end: ClockTime | None = Field(None, alias="to")
    ranges: list[WeeklyRange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_range(self) -> TimeWindow:
        inline = (self.days, self.start, self.end)
        if any(v is not None for v in inline) and any(v is None for v in inline):
            raise ValueError("a range needs days, from and to")
        if not self.ranges and self.days is None:
            raise ValueError("a time window needs days, from and to (or ranges)")
        return self

    @cached_property
    def all_ranges(self) -> list[WeeklyRange]:
        """The inline range (if any) and `ranges`."""
        result = list(self.ranges)
        if self.days is not None and self.start is not None and self.end is not None:
            result.insert(0, WeeklyRange.model_validate(
                {"days": self.days, "from": self.start, "to": self.end}))
        return result

    def contains(self, when: datetime) -> bool:
        """True when the aware time `when` falls in the window (local wall clock)."""
        local = when.astimezone(zone(self.timezone))
        return any(r.contains_local(local) for r in self.all_ranges)

