"""Triage rules as configuration: ordered, named rules with matchers and actions."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, field_validator, model_validator

from daemon.config.types import STRICT
from parsers import Level, Severity

Priority = Annotated[int, Field(ge=1, le=4)]


def _compile(value: Any) -> re.Pattern[str]:
    if isinstance(value, re.Pattern):
        return value
    if not isinstance(value, str):
        raise ValueError("a regular expression must be text")
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"bad regular expression {value!r}: {exc}") from None


Regex = Annotated[re.Pattern[str], BeforeValidator(_compile)]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


StrList = Annotated[list[str], BeforeValidator(_as_list)]


class RuleMatch(BaseModel):
    """What a report must look like for a rule to hit. All given matchers must hold."""

    model_config = STRICT

    source: StrList = Field(default_factory=list, description="email, webhook or api")
    integration: StrList = Field(default_factory=list, description="integration names")
    labels: dict[str, str] = Field(default_factory=dict, description="label equals value")
    labels_regex: dict[str, Regex] = Field(default_factory=dict)
    title: Regex | None = Field(None, description="regex searched in the title/subject")
    body: Regex | None = Field(None, description="regex searched in the description/body")
    severity: list[Severity] = Field(default_factory=list, description="reported severity")
    sender: StrList = Field(default_factory=list, description="address or @domain")
    service: StrList = Field(default_factory=list)

    @field_validator("sender")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.lower() for v in value]


class RuleActions(BaseModel):
    """What a hit sets on the incident."""

    model_config = STRICT

    severity: Severity | None = None
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = None
    category: str | None = None
    service: str | None = None
    lists: list[str] = Field(default_factory=list, description="stakeholder lists to add")


class Rule(BaseModel):
    """One named triage rule."""

    model_config = STRICT

    name: str = Field(min_length=1)
    description: str = ""
    match: RuleMatch = Field(default_factory=RuleMatch)
    set: RuleActions = Field(default_factory=RuleActions)
    continue_: bool = Field(False, alias="continue")


DEFAULT_MATRIX: dict[str, dict[str, int]] = {
    "high": {"high": 1, "medium": 2, "low": 3},
    "medium": {"high": 2, "medium": 3, "low": 4},
    "low": {"high": 3, "medium": 4, "low": 4},
}


class TriageConfig(BaseModel):
    """`[triage]`: defaults, the impact × urgency matrix and the ordered rules."""

    model_config = STRICT

    default_lists: list[str] = Field(default_factory=list,
                                     description="lists told about every incident")
    default_severity: Severity = Severity.MEDIUM
    matrix: dict[str, dict[str, Priority]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_MATRIX.items()},
        description="matrix[impact][urgency] = priority 1-4",
    )
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete_matrix(self) -> TriageConfig:
        levels = ("high", "medium", "low")
        unknown = [f"{i}.{u}" for i, row in self.matrix.items() for u in row
                   if i not in levels or u not in levels]
        if unknown:
            raise ValueError(f"matrix: unknown level(s) {', '.join(unknown)}; "
                             "use high, medium and low")
        missing = [f"{i}.{u}" for i in levels for u in levels
                   if u not in self.matrix.get(i, {})]
        if missing:
            raise ValueError(f"matrix is incomplete, missing {', '.join(missing)}")
        names = [rule.name for rule in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)}")
        return self
