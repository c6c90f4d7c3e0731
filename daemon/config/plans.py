"""`[plans.NAME]` (response plans) and the cross-checks of triage against the whole file.

A plan names who responds (`team`), who else is told (`lists`), a checklist,
an optional status-update cadence and an acknowledgement deadline after which
`escalate_to` is mailed. `team` and `escalate_to` take addresses and list
names alike: an entry with an `@` is an address, any other is a `[lists]` name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, field_validator, model_validator

from daemon.config.types import STRICT, Duration, parse_address
from daemon.triage.maintenance import MaintenanceWindow
from daemon.triage.schema import TriageConfig, all_rules


def _task(value: Any) -> Any:
    return {"title": value} if isinstance(value, str) else value


class PlanTask(BaseModel):
    """One checklist item: a title, or `{ title, owner, due }` (due: time after activation)."""

    model_config = STRICT

    title: str = Field(min_length=1, max_length=500)
    owner: str | None = None
    due: Duration | None = None


def _recipient(value: Any) -> Any:
    if isinstance(value, str) and "@" in value:
        return parse_address(value)
    return value


Recipient = Annotated[str, BeforeValidator(_recipient)]


class PlanConfig(BaseModel):
    """`[plans.NAME]`: a response plan."""

    model_config = STRICT

    description: str = ""
    team: list[Recipient] = Field(default_factory=list,
                                  description="responders: addresses or list names")
    lists: list[str] = Field(default_factory=list, description="stakeholder lists to add")
    tasks: list[Annotated[PlanTask, BeforeValidator(_task)]] = Field(default_factory=list)
    update_interval: Duration | None = Field(None, description="status updates this often")
    acknowledge_within: Duration | None = Field(
        None, description="escalate when nobody acknowledged this long after activation")
    escalate_to: list[Recipient] = Field(default_factory=list,
                                         description="addresses or list names")

    @field_validator("update_interval", "acknowledge_within")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if value is not None and value.total_seconds() <= 0:
            raise ValueError("must be longer than zero")
        return value

    @model_validator(mode="after")
    def _escalation(self) -> PlanConfig:
        if self.acknowledge_within is not None and not self.escalate_to:
            raise ValueError("acknowledge_within needs escalate_to (who to tell)")
        if self.escalate_to and self.acknowledge_within is None:
            raise ValueError("escalate_to needs acknowledge_within (when to tell them)")
        return self


def list_names(entries: list[str]) -> Iterator[str]:
    """The list names among `team`/`escalate_to` entries (the rest are addresses)."""
    return (entry for entry in entries if "@" not in entry)


def check_references(triage: TriageConfig, plans: Mapping[str, PlanConfig],
                     maintenance: list[MaintenanceWindow], lists: Mapping[str, Any],
                     integrations: Mapping[str, Any]) -> None:
    """Every list, plan and integration that triage, plans and windows name must exist."""
    def need_list(where: str, name: str) -> None:
        if name not in lists:
            raise ValueError(f"{where}: unknown list {name!r}; define it under [lists]")

    def need_plan(where: str, name: str | None) -> None:
        if name is not None and name not in plans:
            raise ValueError(f"{where}: unknown plan {name!r}; define it under [plans.{name}]")

    for rule in all_rules(triage.rules):
        where = f"triage rule {rule.name!r}"
        for name in rule.set.lists:
            need_list(where, name)
        need_plan(where, rule.set.plan)
        for part in rule.match.walk():
            for name in part.integration:
                if name not in integrations:
                    raise ValueError(f"{where}: unknown integration {name!r}")
    for category, plan_name in triage.category_plans.items():
        need_plan(f"triage.category_plans.{category}", plan_name)
    need_plan("triage.default_plan", triage.default_plan)
    for name, plan in plans.items():
        for entry in (*list_names(plan.team), *list_names(plan.escalate_to), *plan.lists):
            need_list(f"plans.{name}", entry)
    for index, window in enumerate(maintenance):
        for part in window.match.walk():
            for name in part.during:
                if name not in triage.time_windows:
                    raise ValueError(f"maintenance.{index}: unknown time window {name!r}")
            for name in part.use:
                if name not in triage.matchers:
                    raise ValueError(f"maintenance.{index}: unknown matcher set {name!r}")
    names = [window.name for window in maintenance]
    if len(set(names)) != len(names):
        raise ValueError("maintenance: window names must be unique")
