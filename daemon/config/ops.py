"""The operations tables: `[logging]`, `[metrics]`, `[health]`, `[retention]`.

Kept beside `schema.py` (which includes them in `Config`) so the tables an
operator tunes live together; `examples/incidentd.toml` documents each key.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from daemon.config.types import STRICT, Duration, Size

_OFF = ("off", "never", "none", "")


def _off_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip().lower() in _OFF else value


class LoggingConfig(BaseModel):
    """`[logging]`: one line per event, as text (key=value) or JSON lines."""

    model_config = STRICT

    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["text", "json"] = "text"

    @field_validator("level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class MetricsConfig(BaseModel):
    """`[metrics]`: the Prometheus endpoint `GET /metrics`."""

    model_config = STRICT

    enabled: bool = True
    token: SecretStr | None = Field(None, description="bearer token or ?token=; none: open")


class HealthConfig(BaseModel):
    """`[health]`: when `/healthz` and `/readyz` say something is wrong."""

    model_config = STRICT

    loop_lag: Duration = Field(timedelta(seconds=5),
                               description="/healthz fails when the event loop lags more")
    pipeline_stall: Duration = Field(timedelta(minutes=5),
                                     description="accepted reports this old with no progress")
    outbox_pending_age: Duration = Field(timedelta(hours=1),
                                         description="oldest undelivered message this old")
    outbox_failures: int = Field(5, ge=1, description="consecutive failed deliveries")
    status_interval: Duration = Field(timedelta(seconds=15),
                                      description="how often systemd's STATUS= is refreshed")
    min_free_space: Size = Field(1024**3, description="warn (log, doctor) when less is free "
                                                     "where the daemon writes")


class RetentionConfig(BaseModel):
    """`[retention]`: how long raw reports and sent mail are kept ("off": forever)."""

    model_config = STRICT

    intake: Duration | None = Field(timedelta(days=90), description="raw reports")
    outbox: Duration | None = Field(timedelta(days=30), description="sent mail")
    run_at: str = Field("03:30", description="daily, HH:MM UTC")

    _off = field_validator("intake", "outbox", mode="before")(_off_is_none)

    @field_validator("run_at")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if match is None:
            raise ValueError(f"{value!r} is not a time of day like 03:30 (UTC)")
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    @property
    def hour_minute(self) -> tuple[int, int]:
        """`run_at` as numbers."""
        hour, minute = self.run_at.split(":")
        return int(hour), int(minute)
