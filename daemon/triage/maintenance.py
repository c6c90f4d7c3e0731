"""Maintenance windows and silences: when matching reports open no incident.

A window is a matcher set (the rule language) plus a schedule, one of:

- one-off: `starts_at` and `ends_at` (or `duration`);
- weekly: `days`, `from`, `to` in `timezone` (wall-clock time: daylight
  saving changes move it with the clock);
- cron: `cron` (five fields: minute hour day-of-month month day-of-week, read
  with croniter in `timezone`) and `duration` of each occurrence.

Recurring windows may be bounded by `starts_at` and `ends_at` (for a silence
created at run time, `ends_at` is its expiry). Windows come from the
configuration (`[[maintenance]]`) and from the database (silences); both use
`MaintenanceWindow` and the pure `active_window`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cached_property

from croniter import croniter
from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from daemon.config.types import STRICT, Duration
from daemon.triage.match import Subject, Vocabulary, matches
from daemon.triage.schema import Matcher
from daemon.triage.windows import DAY_NAMES, ClockTime, Days, TimeZone, WeeklyRange, zone


class Schedule(BaseModel):
    """When a window is active (see the module docstring for the three kinds)."""

    model_config = STRICT

    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    duration: Duration | None = None
    timezone: TimeZone = "UTC"
    days: Days | None = None
    start: ClockTime | None = Field(None, alias="from")
    end: ClockTime | None = Field(None, alias="to")
    cron: str | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and (len(value.split()) != 5 or not croniter.is_valid(value)):
            raise ValueError(f"{value!r} is not a cron expression with five fields "
                             "(minute hour day-of-month month day-of-week)")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Schedule:
        weekly = (self.days, self.start, self.end)
        if any(v is not None for v in weekly) and any(v is None for v in weekly):
            raise ValueError("a weekly window needs days, from and to")
        if self.cron is not None and self.days is not None:
            raise ValueError("give either cron or days/from/to, not both")
        if self.cron is not None and self.duration is None:
            raise ValueError("a cron window needs the duration of each occurrence")
        if self.kind == "weekly":
            WeeklyRange.model_validate({"days": self.days, "from": self.start, "to": self.end})
            if self.duration is not None:
                raise ValueError("a weekly window ends at `to`; duration is for one-off and "
                                 "cron windows")
        if self.kind == "once":
            if self.starts_at is None:
                raise ValueError("a one-off window needs starts_at (or days/from/to, or cron)")
            if (self.ends_at is None) == (self.duration is None):
                raise ValueError("a one-off window needs ends_at or duration (one of them)")
        end = self.end_time
        if self.starts_at is not None and end is not None and end <= self.starts_at:
            raise ValueError("the window ends before it starts")
        return self

    @property
    def kind(self) -> str:
        """`once`, `weekly` or `cron`."""
        if self.cron is not None:
            return "cron"
        return "weekly" if self.days is not None else "once"

    @property
    def end_time(self) -> datetime | None:
        """When the window ends for good (None: never)."""
        if self.ends_at is not None:
            return self.ends_at
        if self.kind == "once" and self.starts_at is not None and self.duration is not None:
            return self.starts_at + self.duration
        return None

    def active_at(self, now: datetime) -> bool:
        """True when `now` is inside the window."""
        end = self.end_time
        if (self.starts_at is not None and now < self.starts_at) or (
                end is not None and now >= end):
            return False
        if self.kind == "once":
            return True
        if self.kind == "weekly":
            return self.weekly_range.contains_local(now.astimezone(zone(self.timezone)))
        assert self.cron is not None
        assert self.duration is not None
        # The latest occurrence that started at or before now: is now still inside it?
        local = now.astimezone(zone(self.timezone))
        started: datetime = croniter(self.cron, local + timedelta(seconds=1)).get_prev(datetime)
        return now < started + self.duration

    @cached_property
    def weekly_range(self) -> WeeklyRange:
        """The weekly range of a weekly window."""
        return WeeklyRange.model_validate({"days": self.days, "from": self.start,
                                           "to": self.end})

    def describe(self) -> str:
        """The schedule in words, for listings."""
        if self.kind == "cron":
            return f"cron {self.cron} ({self.timezone}) for {self.duration}"
        if self.kind == "weekly":
            assert self.start is not None
            assert self.end is not None
            return (f"weekly {_days(self.days or frozenset())} {_clock(self.start)}-"
                    f"{_clock(self.end)} ({self.timezone})")
        return f"from {self.starts_at:%Y-%m-%d %H:%M %Z} to {self.end_time:%Y-%m-%d %H:%M %Z}"

    def schedule_json(self) -> dict[str, object] | None:
        """The recurring part as stored with a silence (None for one-off windows)."""
        if self.kind == "cron":
            assert self.duration is not None
            return {"cron": self.cron, "duration": self.duration.total_seconds(),
                    "timezone": self.timezone}
        if self.kind == "weekly":
            assert self.start is not None
            assert self.end is not None
            return {"days": [DAY_NAMES[d] for d in sorted(self.days or ())],
                    "from": _clock(self.start), "to": _clock(self.end),
                    "timezone": self.timezone}
        return None


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(days: frozenset[int]) -> str:
    return ",".join(DAY_NAMES[d] for d in sorted(days))


class MaintenanceWindow(Schedule):
    """`[[maintenance]]` (and a silence): a name, matchers and a schedule."""

    name: str = Field(min_length=1, max_length=255)
    comment: str = ""
    match: Matcher = Field(default_factory=Matcher)


def active_window(subject: Subject, windows: Iterable[MaintenanceWindow],
                  vocabulary: Vocabulary) -> MaintenanceWindow | None:
    """The first window active at `subject.now` whose matchers the report fits."""
    for window in windows:
        # matchers first: they are cheap, and a cron schedule is not
        if matches(window.match, subject, vocabulary) and window.active_at(subject.now):
            return window
    return None
