"""The monitoring-integration keys of `[integrations.NAME]`: auth, limits, keys, SNS.

`IntegrationConfig` (in `schema.py`) builds on `IntegrationOptions`, so the
table's basic keys (type, token, lists, maps) and these stay in one model with
one strict key check.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from daemon.config.hmac import HmacConfig
from daemon.config.types import STRICT, Duration, Rate, Size

# What `dedup_fields` may name: report fields, or `labels.X` / `details.X`.
REPORT_FIELDS = frozenset({
    "title", "service", "resource", "event", "environment", "source", "raw_severity",
    "severity", "url", "location", "reporter",
})
GROUP_FIELDS = frozenset({"service", "resource", "event", "environment", "source"})


def check_field_path(path: str) -> str:
    """Validate a `dedup_fields` entry: `title`, `labels.alertname`, `details.x.y`."""
    head, dot, rest = path.partition(".")
    if head in ("labels", "details") and dot and rest:
        return path
    if head in REPORT_FIELDS and not dot:
        return path
    raise ValueError(f"{path!r} is not a report field; use labels.NAME, details.NAME or one "
                     f"of {', '.join(sorted(REPORT_FIELDS))}")


class IntegrationOptions(BaseModel):
    """Authentication, limits, dedup/grouping and SNS keys of one integration."""

    model_config = STRICT

    username: str | None = Field(None, description="HTTP basic auth: user name")
    password: SecretStr | None = Field(None, description="HTTP basic auth: password")
    hmac: HmacConfig | None = Field(None, description="require a signature over the body")
    routing_key: SecretStr | None = Field(
        None, description="type pagerduty: the routing key POST /v2/enqueue events carry")
    rate_limit: Rate | None = Field(None, description="e.g. 100/1m; 429 above it")
    max_body_size: Size | None = Field(None, description="default: [server] max_body_size")
    dedup_fields: list[str] = Field(
        default_factory=list,
        description="report fields hashed into a dedup key when the payload has none")
    dedup_fields_override: bool = Field(
        False, description="use dedup_fields even when the payload has a dedup key")
    group_by: list[str] | None = Field(
        None, description="labels (or service, resource, …) forming the group key; "
                          "default [correlate] group_by")
    group_window: Duration | None = Field(None, description="default [correlate] group_window")
    auto_resolve: bool | None = Field(None, description="default [correlate] auto_resolve")
    join_by_service: bool | None = Field(
        None, description="default [correlate] join_by_service")
    confirm_subscription: bool = Field(
        False, description="type sns: fetch the SubscribeURL of a subscription confirmation")
    confirm_url_pattern: str | None = Field(
        None, description="tests only: a regular expression for SubscribeURLs to allow "
                          "instead of https://sns.<region>.amazonaws.com/")

    @field_validator("dedup_fields")
    @classmethod
    def _dedup_paths(cls, value: list[str]) -> list[str]:
        return [check_field_path(path) for path in value]

    @field_validator("group_by")
    @classmethod
    def _group_names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not name.strip() for name in value):
            raise ValueError("group_by names must not be empty")
        return value

    @field_validator("confirm_url_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _combinations(self) -> IntegrationOptions:
        kind: Any = getattr(self, "type", None)  # the subclass's parser name
        if (self.username is None) != (self.password is None):
            raise ValueError("basic auth needs both username and password")
        if self.routing_key is not None:
            if kind != "pagerduty":
                raise ValueError("routing_key is only for integrations of type pagerduty")
            if not self.routing_key.get_secret_value().strip():
                raise ValueError("routing_key must not be empty")
        if (self.confirm_subscription or self.confirm_url_pattern) and kind != "sns":
            raise ValueError("confirm_subscription is only for integrations of type sns")
        if self.dedup_fields_override and not self.dedup_fields:
            raise ValueError("dedup_fields_override needs dedup_fields")
        return self
