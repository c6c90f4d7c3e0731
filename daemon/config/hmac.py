"""`[integrations.NAME.hmac]`: how a tool signs its webhooks, and presets for known tools.

A signature is an HMAC of a *signed string* built from the raw body (and, when
the tool sends one, a timestamp header), encoded as hex or base64, optionally
behind a prefix such as `sha256=` or `v1=`. A preset fills in what a tool's own
documentation says; keys given explicitly win over the preset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from daemon.config.types import STRICT, Duration

Algorithm = Literal["sha256", "sha1", "sha512"]
Encoding = Literal["hex", "base64"]

BODY = "{body}"
TIMESTAMP = "{timestamp}"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True, slots=True)
class Preset:
    """What one tool's documentation says about its signatures."""

    header: str
    algorithm: Algorithm = "sha256"
    encoding: Encoding = "hex"
    prefix: str = ""
    signed: str = BODY
    signed_with_timestamp: str | None = None  # the signed string when a timestamp is sent
    timestamp_header: str | None = None  # the tool's own timestamp header, when fixed


PRESETS = MappingProxyType({
    # Grafana Alerting webhook contact point (Grafana 12+): hex HMAC-SHA256 of the body,
    # or of "<timestamp>:<body>" when a timestamp header is configured in Grafana (the
    # header name is chosen there, so it must be given here too).
    "grafana": Preset(header="X-Grafana-Alerting-Signature",
                      signed_with_timestamp=TIMESTAMP + ":" + BODY),
    # Sentry integration platform: hex HMAC-SHA256 of the body with the client secret.
    # Sentry-Hook-Timestamp is sent but not signed, so it proves nothing.
    "sentry": Preset(header="Sentry-Hook-Signature"),
    # PagerDuty v3 webhook subscriptions: "v1=<hex HMAC-SHA256 of the body>", several
    # comma-separated while a secret is being rotated.
    "pagerduty": Preset(header="X-PagerDuty-Signature", prefix="v1="),
})


@dataclass(frozen=True, slots=True)
class SignatureScheme:
    """The resolved scheme an incoming signature is checked against."""

    secret: bytes
    header: str
    algorithm: Algorithm
    encoding: Encoding
    prefix: str
    signed: str  # template with {body} and maybe {timestamp}
    timestamp_header: str | None
    replay_window: timedelta

    def __repr__(self) -> str:  # never show the secret
        return f"SignatureScheme(header={self.header!r}, algorithm={self.algorithm!r})"


class HmacConfig(BaseModel):
    """`[integrations.NAME.hmac]`: require an HMAC signature over the body."""

    model_config = STRICT

    preset: Literal["grafana", "sentry", "pagerduty"] | None = Field(
        None, description="fill header/algorithm/encoding/prefix/signed from the tool's docs")
    secret: SecretStr = Field(description="the shared signing secret")
    header: str | None = Field(None, description="the header carrying the signature")
    algorithm: Algorithm | None = Field(None, description="sha256 (default), sha1, sha512")
    encoding: Encoding | None = Field(None, description="hex (default) or base64")
    prefix: str | None = Field(None, description="text before the signature, e.g. sha256=")
    signed: str | None = Field(
        None, description="what is signed: {body} (default), or e.g. {timestamp}.{body}")
    timestamp_header: str | None = Field(
        None, description="header with the signing time (Unix seconds); enables replay checks")
    replay_window: Duration = Field(
        timedelta(minutes=5), description="signatures older (or newer) than this are refused")

    @field_validator("secret")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("the secret must not be empty")
        return value

    @field_validator("signed")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is None:
            return value
        unknown = sorted(set(_PLACEHOLDER.findall(value)) - {BODY, TIMESTAMP})
        if unknown:
            raise ValueError(f"unknown placeholder(s) {', '.join(unknown)}; "
                             "use {body} and {timestamp}")
        if value.count(BODY) != 1 or value.count(TIMESTAMP) > 1:
            raise ValueError("the signed template needs {body} once (and {timestamp} at most "
                             "once), e.g. {timestamp}.{body}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HmacConfig:
        self.scheme()  # raises ValueError naming what is missing or contradictory
        return self

    def scheme(self) -> SignatureScheme:
        """The preset merged with the explicit keys."""
        preset = PRESETS.get(self.preset or "")
        header = self.header or (preset.header if preset else None)
        if not header:
            raise ValueError("hmac.header is required unless a preset names it")
        timestamp_header = self.timestamp_header or (preset.timestamp_header if preset else None)
        signed = self.signed
        if signed is None and preset is not None:
            signed = (preset.signed_with_timestamp
                      if timestamp_header and preset.signed_with_timestamp else preset.signed)
        signed = signed or BODY
        if TIMESTAMP in signed and not timestamp_header:
            raise ValueError("the signed template uses {timestamp}: set hmac.timestamp_header")
        if timestamp_header and TIMESTAMP not in signed:
            raise ValueError("hmac.timestamp_header is set but the timestamp is not signed; "
                             "an unsigned timestamp cannot stop replays (set hmac.signed, e.g. "
                             "{timestamp}.{body})")
        if self.replay_window.total_seconds() <= 0:
            raise ValueError("hmac.replay_window must be positive")
        return SignatureScheme(
            secret=self.secret.get_secret_value().encode("utf-8"),
            header=header,
            algorithm=self.algorithm or (preset.algorithm if preset else "sha256"),
            encoding=self.encoding or (preset.encoding if preset else "hex"),
            prefix=self.prefix if self.prefix is not None else (preset.prefix if preset else ""),
            signed=signed,
            timestamp_header=timestamp_header,
            replay_window=self.replay_window,
        )
