"""Triage rules as configuration: a tree of named rules with matchers and actions.

The shapes only; `daemon.triage.match` evaluates matchers and
`daemon.triage.engine` walks the tree. References between parts of
`[triage]` (time windows, named matcher sets, categories, rule names) are
checked here; references to other tables (lists, plans, integrations) are
checked with the whole configuration (`daemon.triage.references`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, field_validator, model_validator

from daemon.config.types import STRICT
from daemon.triage.windows import TimeWindow
from parsers import Level, Severity

Priority = Annotated[int, Field(ge=1, le=4)]
SOURCES = ("email", "webhook", "api")
DEFAULT_CATEGORIES = ["security breach", "data loss", "equipment failure",
                      "service disruption", "other"]


def _compile(value: Any) -> re.Pattern[str]:
    if isinstance(value, re.Pattern):
        return value
    if not isinstance(value, str):
        raise ValueError("a regular expression must be text")
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"bad regular expression {value!r}: {exc}") from None


def keyword_pattern(words: list[str]) -> re.Pattern[str]:
    """Any of `words` as a whole word (phrases match across any whitespace)."""
    alternatives = [r"\s+".join(re.escape(part) for part in word.split()) for word in words]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Regex = Annotated[re.Pattern[str], BeforeValidator(_compile)]
StrList = Annotated[list[str], BeforeValidator(_as_list)]


class Matcher(BaseModel):
    """What a report must look like. Every matcher given must hold (an empty set matches all).

    Lists match when any element does; `labels*` look at the report's labels.
    """

    model_config = STRICT

    source: StrList = Field(default_factory=list, description="email, webhook or api")
    integration: StrList = Field(default_factory=list, description="integration names")
    sender: StrList = Field(default_factory=list, description="address or @domain")
    labels: dict[str, str] = Field(default_factory=dict, description="label equals value")
    labels_not: dict[str, str] = Field(default_factory=dict,
                                       description="label missing or not equal to value")
    labels_regex: dict[str, Regex] = Field(default_factory=dict,
                                           description="label matches, anchored")
    labels_exist: StrList = Field(default_factory=list, description="labels that must be set")
    title: Regex | None = Field(None, description="regex searched in the title/subject")
    body: Regex | None = Field(None, description="regex searched in the description/body")
    keywords: StrList = Field(default_factory=list,
                              description="any of these words or phrases, in title or body")
    service: StrList = Field(default_factory=list, description="reported service")
    severity: list[Severity] = Field(default_factory=list, description="reported severity")
    during: StrList = Field(default_factory=list, description="time window names (any)")
    use: StrList = Field(default_factory=list, description="named matcher sets (all)")
    any_: list[Matcher] = Field(default_factory=list, alias="any")
    all_: list[Matcher] = Field(default_factory=list, alias="all")
    not_: Matcher | None = Field(None, alias="not")

    @field_validator("sender")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]

    @field_validator("keywords")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        if any(not word.strip() for word in value):
            raise ValueError("keywords are words or phrases, not empty text")
        return value

    @cached_property
    def keyword_regex(self) -> re.Pattern[str] | None:
        """`keywords` as one pattern (None without keywords)."""
        return keyword_pattern(self.keywords) if self.keywords else None

    @field_validator("source")
    @classmethod
    def _sources(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in SOURCES]
        if bad:
            raise ValueError(f"unknown source {bad[0]!r}; use {', '.join(SOURCES)}")
        return value

    def walk(self) -> Iterator[Matcher]:
        """Yield the matcher set itself, then every set nested in it."""
        yield self
        for child in (*self.any_, *self.all_, *([self.not_] if self.not_ else [])):
            yield from child.walk()


class Actions(BaseModel):
    """What a rule sets when it decides. Children inherit their parent's and override them."""

    model_config = STRICT

    severity: Severity | None = None
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = Field(None, description="outright, instead of the matrix")
    category: str | None = None
    service: str | None = None
    plan: str | None = Field(None, description="response plan to activate")
    lists: list[str] = Field(default_factory=list, description="stakeholder lists to add")
    assignee: str | None = None
    title_prefix: str | None = None
    suppress: bool = Field(False, description="store the report, open no incident")
    drop_duplicates: bool = Field(False, description="join an open incident of the same title")


class Rule(BaseModel):
    """One named rule: matchers, actions, and child routes tried when it matches."""

    model_config = STRICT

    name: str = Field(min_length=1)
    description: str = ""
    match: Matcher = Field(default_factory=Matcher)
    set: Actions = Field(default_factory=Actions)
    continue_: bool = Field(False, alias="continue")
    routes: list[Rule] = Field(default_factory=list)

    def walk(self) -> Iterator[Rule]:
        """Yield the rule itself, then all rules below it, depth first."""
        yield self
        for child in self.routes:
            yield from child.walk()


DEFAULT_MATRIX: dict[str, dict[str, int]] = {
    "high": {"high": 1, "medium": 2, "low": 3},
    "medium": {"high": 2, "medium": 3, "low": 4},
    "low": {"high": 3, "medium": 4, "low": 4},
}


def all_rules(rules: list[Rule]) -> Iterator[Rule]:
    """Every rule of the tree, depth first."""
    for rule in rules:
        yield from rule.walk()


class TriageConfig(BaseModel):
    """`[triage]`: defaults, the impact × urgency matrix, the rule tree and its vocabulary."""

    model_config = STRICT

    default_lists: list[str] = Field(default_factory=list,
                                     description="lists told about every incident")
    default_severity: Severity = Severity.MEDIUM
    defaults: bool = Field(True, description="built-in triage from the report's own words")
    categories: list[str] = Field(default_factory=lambda: list(DEFAULT_CATEGORIES),
                                  min_length=1)
    category_plans: dict[str, str] = Field(
        default_factory=dict, description="category → plan, when no rule chose a plan")
    default_plan: str | None = Field(None, description="plan for the rest, when no rule chose")
    plan_priorities: list[Priority] = Field(
        default_factory=lambda: [1, 2],
        description="priorities category_plans and default_plan apply to")
    matrix: dict[str, dict[str, Priority]] = Field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_MATRIX.items()},
        description="matrix[impact][urgency] = priority 1-4",
    )
    time_windows: dict[str, TimeWindow] = Field(default_factory=dict)
    matchers: dict[str, Matcher] = Field(default_factory=dict,
                                         description="named matcher sets for `use`")
    rules_file: Path | None = Field(None, description="the [[rules]] tree in its own file")
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> TriageConfig:
        self._check_matrix()
        names = [rule.name for rule in all_rules(self.rules)]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)}")
        for rule in all_rules(self.rules):
            where = f"rule {rule.name!r}"
            if rule.set.category is not None and rule.set.category not in self.categories:
                raise ValueError(f"{where}: unknown category {rule.set.category!r}; "
                                 f"categories are: {', '.join(self.categories)}")
            self._check_matcher(rule.match, where)
        for name, matcher in self.matchers.items():
            self._check_matcher(matcher, f"matcher set {name!r}")
        self._check_cycles()
        unknown = sorted(set(self.category_plans) - set(self.categories))
        if unknown:
            raise ValueError(f"category_plans: unknown category {unknown[0]!r}")
        return self

    def _check_matrix(self) -> None:
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

    def _check_matcher(self, matcher: Matcher, where: str) -> None:
        for part in matcher.walk():
            for name in part.during:
                if name not in self.time_windows:
                    raise ValueError(f"{where}: unknown time window {name!r}; define it "
                                     f"under [triage.time_windows.{name}]")
            for name in part.use:
                if name not in self.matchers:
                    raise ValueError(f"{where}: unknown matcher set {name!r}; define it "
                                     f"under [triage.matchers.{name}]")

    def _check_cycles(self) -> None:
        # Named sets may `use` each other; a set that reaches itself would never finish.
        def visit(name: str, path: list[str]) -> None:
            if name in path:
                cycle = " → ".join([*path[path.index(name):], name])
                raise ValueError(f"matcher sets use each other in a cycle: {cycle}")
            for part in self.matchers[name].walk():
                for used in part.use:
                    visit(used, [*path, name])

        for name in self.matchers:
            visit(name, [])


Matcher.model_rebuild()
Rule.model_rebuild()
