"""`[mailbox]` and `[smtp]`: who may write to the incident mailbox, and how it listens.

`[mailbox]` is about the mail (parser options, sender policy, reply commands,
acknowledgements); `[smtp]` about the listener (protocol, TLS, AUTH, timeouts).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator, model_validator

from daemon.config.types import STRICT, Address, Duration, Size, tls_pair_problem
from parsers import Severity

_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}$")


def parse_sender_pattern(value: Any) -> str:
    """`alice@example.org` (one address), `@example.org` or `example.org` (a domain)."""
    if not isinstance(value, str):
        raise ValueError("a sender is text: an address or @domain")
    pattern = value.strip().lower()
    local, at, domain = pattern.rpartition("@")
    if not _DOMAIN.match(domain) or (at and local and any(c in local for c in " <>")):
        raise ValueError(f"{value!r} is neither an address (alice@example.org) nor a domain "
                         "(@example.org)")
    return f"@{domain}" if not local else pattern


SenderPattern = Annotated[str, BeforeValidator(parse_sender_pattern)]


def sender_matches(address: str | None, patterns: list[str]) -> bool:
    """True when `address` is one of `patterns` or in one of their domains."""
    if not address:
        return False
    address = address.strip().lower()
    domain = "@" + address.rpartition("@")[2]
    return any(p in (address, domain) for p in patterns)


AuthMethod = Literal["dmarc", "dkim", "spf", "arc"]


def _dmarc() -> list[AuthMethod]:
    return ["dmarc"]


class AuthResultsConfig(BaseModel):
    """`[mailbox.require_authentication_results]`: trust an upstream MTA's verdict."""

    model_config = STRICT

    authserv_id: str = Field(min_length=1, description="the trusted MTA's authserv-id")
    require: list[AuthMethod] = Field(default_factory=_dmarc, min_length=1,
                                      description="methods that must say pass")

    @field_validator("authserv_id")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class MailboxConfig(BaseModel):
    """`[mailbox]`: the incident mailbox addresses and what mail to them may do."""

    model_config = STRICT

    addresses: list[Address] = Field(default_factory=lambda: ["incidents@localhost"], min_length=1)
    # parser options
    max_attachment_size: Size = Field(10 * 1024 * 1024, description="larger files: metadata only")
    max_attachments: int = Field(20, ge=0, description="attachments kept per mail")
    allowed_list_ids: list[str] = Field(default_factory=list,
                                        description="mailing lists whose mail is accepted")
    accept_automatic_from: list[SenderPattern] = Field(
        default_factory=list, description="machine senders whose automatic mail is accepted")
    severity_map: dict[str, Severity] = Field(default_factory=dict,
                                              description="your words for Severity: lines")
    # who may open incidents, and who may change them by reply
    allowed_senders: list[SenderPattern] = Field(default_factory=list,
                                                 description="empty: everyone")
    sender_policy: Literal["reject", "quarantine"] = "quarantine"
    require_authentication_results: AuthResultsConfig | None = None
    responders: list[SenderPattern] = Field(default_factory=list,
                                            description="may run reply commands")
    responders_from_lists: bool = Field(False, description="the incident's lists may too")
    # answers to the sender
    acknowledge: bool = Field(True, description="acknowledge new reports to the reporter")
    ack_limit: int = Field(5, ge=0, description="automatic answers per sender per ack_window")
    ack_window: Duration = timedelta(hours=1)

    def parser_options(self) -> dict[str, Any]:
        """The options handed to the email parser in `RawInput.options`."""
        return {
            "max_attachment_bytes": self.max_attachment_size,
            "max_attachments": self.max_attachments,
            "allowed_list_ids": list(self.allowed_list_ids),
            "accept_automatic_from": list(self.accept_automatic_from),
            "severity_map": {k: str(v) for k, v in self.severity_map.items()},
        }

    def sender_allowed(self, address: str | None) -> bool:
        """Whether `address` may report (an empty `allowed_senders` allows everyone)."""
        return not self.allowed_senders or sender_matches(address, self.allowed_senders)


_HASH = re.compile(r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$")


class SmtpConfig(BaseModel):
    """`[smtp]`: the mailbox listener ([server] smtp is where it listens)."""

    model_config = STRICT

    protocol: Literal["smtp", "lmtp"] = Field(
        "smtp", description="lmtp: an MTA such as Postfix hands mail over (lmtp:inet:…)")
    tls_cert: Path | None = Field(None, description="PEM certificate chain for STARTTLS")
    tls_key: Path | None = Field(None, description="PEM private key for STARTTLS")
    require_tls: bool = Field(False, description="refuse mail before STARTTLS")
    auth_users: dict[str, str] = Field(
        default_factory=dict, description="user → scrypt hash (incidentd smtp hash-password)")
    auth_required: bool = Field(False, description="accept mail only after AUTH")
    timeout: Duration = Field(timedelta(minutes=5),
                              description="idle time allowed per command and for DATA")
    session_timeout: Duration = Field(timedelta(hours=1),
                                      description="longest connection, however busy")
    proxy_protocol: bool = Field(
        False, description="connections start with a PROXY protocol header (HAProxy, a "
                           "network load balancer) from one of [server] trusted_proxies")
    max_connections: int = Field(
        200, ge=1, description="open connections at once; more get 421 and are closed")
    max_connections_per_client: int = Field(
        50, ge=1, description="open connections at once from one address (not counted for "
                              "[server] trusted_proxies: a balancer speaks for many)")
    max_data_in_memory: Size = Field(
        128 * 1024 * 1024, description="mail being received at once, over all connections; "
                                       "past it DATA gets 451, and a transfer that would "
                                       "grow past it gets 421 and is closed")
    max_data_in_memory_per_client: Size = Field(
        64 * 1024 * 1024, description="the same for the connections of one client "
                                      "([server] trusted_proxies are not counted apart)")

    @field_validator("auth_users")
    @classmethod
    def _hashes(cls, value: dict[str, str]) -> dict[str, str]:
        for user, hashed in value.items():
            if not user or any(c.isspace() for c in user):
                raise ValueError(f"user name {user!r} must be non-empty without spaces")
            if not _HASH.match(hashed):
                raise ValueError(f"{user}: not a password hash; make one with "
                                 "`incidentd smtp hash-password`")
        return value

    @field_validator("timeout", "session_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SmtpConfig:
        problem = tls_pair_problem(self.tls_cert, self.tls_key)
        if problem is not None:
            raise ValueError(problem)
        tls = self.tls_cert is not None
        if self.require_tls and not tls:
            raise ValueError("require_tls needs tls_cert and tls_key")
        if self.require_tls and self.protocol == "lmtp":
            raise ValueError("require_tls is not available with protocol = lmtp (LHLO cannot "
                             "come before STARTTLS); offer STARTTLS without requiring it")
        if self.auth_users and not tls:
            raise ValueError("auth_users: AUTH is only offered after STARTTLS; set tls_cert "
                             "and tls_key")
        if self.auth_required and not self.auth_users:
            raise ValueError("auth_required needs auth_users")
        return self
