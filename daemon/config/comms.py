"""Configuration of stakeholder communication: lists, quiet hours, digest, instructions.

`[lists]` accepts the short form `NAME = ["a@example.org", …]` and the table
form `[lists.NAME]` with filters and quiet hours; both become `StakeholderList`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, model_validator

from daemon.config.types import STRICT, Address
from parsers import Severity

_CLOCK = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_clock(value: Any) -> time:
    """`"08:00"` → 08:00 (24-hour clock, minutes required)."""
    if isinstance(value, time):
        return value
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a time of day like 08:00")
    return time(int(match.group(1)), int(match.group(2)))


ClockTime = Annotated[time, BeforeValidator(parse_clock),
                      PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str)]


def parse_timezone(value: Any) -> str:
    """An IANA time zone name such as `Europe/Berlin` (or `UTC`)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a time zone is a name like Europe/Berlin or UTC")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name like "
                         "Europe/Berlin") from None
    return value.strip()


TimeZone = Annotated[str, BeforeValidator(parse_timezone)]


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """A daily period, `start` up to (not including) `end`; it may span midnight."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(value: Any) -> QuietWindow:
    """`"22:00-07:00"` → the window from 22:00 to 07:00 the next morning."""
    if isinstance(value, QuietWindow):
        return value
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"{value!r} is not a period like 22:00-07:00")
    try:
        start, end = (parse_clock(part) for part in value.split("-"))
    except ValueError:
        raise ValueError(f"{value!r} is not a period like 22:00-07:00") from None
    if start == end:
        raise ValueError(f"{value!r} is empty; start and end must differ")
    return QuietWindow(start, end)


QuietHours = Annotated[QuietWindow, BeforeValidator(parse_quiet_hours),
                       PlainSerializer(str, return_type=str)]


class StakeholderList(BaseModel):
    """`[lists.NAME]`: who is on the list, which incidents it hears about, and when.

    The filters narrow the incidents a list named on an incident is told
    about; they are checked at each mail, so a list joins in when an
    incident is escalated into its range.
    """

    model_config = STRICT

    addresses: list[Address] = Field(default_factory=list)
    min_priority: int | None = Field(
        None, ge=1, le=4,
        description="only incidents this urgent or more: 2 means P1 and P2")
    severities: list[Severity] = Field(default_factory=list,
                                       description="only incidents of these severities")
    categories: list[str] = Field(default_factory=list,
                                  description="only incidents of these categories")
    quiet_hours: QuietHours | None = Field(
        None, description="P3/P4 mail is held until the end of this daily period")
    timezone: TimeZone | None = Field(None, description="of quiet_hours; default [notify]")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        # `NAME = ["a@x", …]` is a list with addresses and nothing else
        return {"addresses": value} if isinstance(value, list) else value

    def wants(self, *, priority: int | None, severity: str | None,
              category: str | None) -> bool:
        """True when an incident with these values is for this list."""
        if self.min_priority is not None and (priority or 4) > self.min_priority:
            return False
        if self.severities and severity not in self.severities:
            return False
        wanted = {c.casefold() for c in self.categories}
        return not wanted or (category or "").casefold() in wanted


class DigestConfig(BaseModel):
    """`[digest]`: a daily summary of the open incidents, one mail per list."""

    model_config = STRICT

    lists: list[str] = Field(default_factory=list, description="[] turns the digest off")
    time: ClockTime = Field(default_factory=lambda: time(8, 0))
    timezone: TimeZone = "UTC"
    send_empty: bool = Field(False, description="also mail a list that has no open incident")


class InstructionsConfig(BaseModel):
    """`[instructions]`: what stakeholders should do, per response plan or category."""

    model_config = STRICT

    default: str = ""
    category: dict[str, str] = Field(default_factory=dict)
    plan: dict[str, str] = Field(default_factory=dict)

    def for_incident(self, *, plan: str | None, category: str | None) -> str:
        """The most specific instructions: the plan's, else the category's, else default."""
        if plan and plan in self.plan:
            return self.plan[plan]
        categories = {name.casefold(): text for name, text in self.category.items()}
        if category and category.casefold() in categories:
            return categories[category.casefold()]
        return self.default
