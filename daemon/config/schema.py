"""The configuration file's shape: one frozen, strict pydantic model per TOML table.

Every field documents its default; `examples/incidentd.toml` mirrors this file.
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator

import parsers
from daemon.config.comms import DigestConfig, InstructionsConfig, StakeholderList, TimeZone
from daemon.config.integrations import IntegrationOptions
from daemon.config.mail import MailboxConfig, SmtpConfig
from daemon.config.ops import HealthConfig, LoggingConfig, MetricsConfig, RetentionConfig
from daemon.config.plans import PlanConfig, check_references
from daemon.config.types import STRICT, Duration, HostPort, Size, tls_pair_problem
from daemon.triage.maintenance import MaintenanceWindow
from daemon.triage.schema import TriageConfig
from parsers import ReportStatus, Severity

EXAMPLE_TOKEN_PREFIX = "example-"


class ServerConfig(BaseModel):
    """`[server]`: listeners, data directory, limits."""

    model_config = STRICT

    http: HostPort = "127.0.0.1:8080"
    smtp: HostPort | None = Field("127.0.0.1:2525", description="empty to disable SMTP")
    data_dir: Path = Path("var")
    hostname: str = Field(default_factory=socket.gethostname,
                          description="name in the SMTP banner and in Message-IDs")
    max_body_size: Size = Field(1024 * 1024, description="largest webhook body")
    max_message_size: Size = Field(25 * 1024 * 1024, description="largest mail (SMTP 552)")
    max_recipients: int = Field(50, ge=1)
    max_http_connections: int = Field(
        1000, ge=1, description="open HTTP connections at once; more get 503 and are closed")
    max_http_connections_per_client: int = Field(
        100, ge=1, description="the same from one address (trusted_proxies count only in "
                               "the total: a proxy speaks for many)")
    http_idle_timeout: Duration = Field(
        timedelta(seconds=75), description="an HTTP connection without a whole request for "
                                           "this long is closed")
    http_body_timeout: Duration = Field(
        timedelta(seconds=60), description="the longest a request body may take to arrive "
                                           "(408 after it)")
    shutdown_timeout: Duration = timedelta(seconds=10)
    trusted_proxies: tuple[IPvAnyNetwork, ...] = Field(
        (), description="reverse proxies and load balancers whose X-Forwarded-For (or PROXY "
                        "header, with [smtp] proxy_protocol) names the client")
    tls_cert: Path | None = Field(None, description="PEM certificate chain: HTTP becomes HTTPS")
    tls_key: Path | None = Field(None, description="PEM private key for tls_cert")

    @model_validator(mode="after")
    def _tls(self) -> ServerConfig:
        problem = tls_pair_problem(self.tls_cert, self.tls_key)
        if problem is not None:
            raise ValueError(problem)
        return self

    @field_validator("smtp", mode="before")
    @classmethod
    def _empty_disables(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        # ipaddress words the mistake ("10.0.0.1/8 has host bits set")
        return tuple(ipaddress.ip_network(item) if isinstance(item, str) else item
                     for item in value)


class DatabaseConfig(BaseModel):
    """`[database]`: any SQLAlchemy async URL; SQLite under data_dir by default."""

    model_config = STRICT

    url: str | None = Field(None, description="default sqlite+aiosqlite:///<data_dir>/incidentd.db")
    echo: bool = False


class IntegrationConfig(IntegrationOptions):
    """`[integrations.NAME]`: one webhook endpoint, its parser, auth and defaults.

    Auth methods, limits, dedup/grouping and SNS keys come from `IntegrationOptions`.
    """

    model_config = STRICT

    type: str = Field(description="parser name")
    token: SecretStr | None = Field(None, description="bearer token or ?token=")
    enabled: bool = True
    lists: list[str] = Field(default_factory=list, description="stakeholder lists to add")
    severity_map: dict[str, Severity] = Field(default_factory=dict)
    status_map: dict[str, ReportStatus] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict, description="generic: field → path")
    items: str | None = Field(None, description="generic: path to an array of alerts")
    max_attachment_size: Size = Field(10 * 1024 * 1024)

    @field_validator("type")
    @classmethod
    def _known_parser(cls, value: str) -> str:
        webhook_types = sorted(set(parsers.REGISTRY) - {"email"})
        if value == "email":
            raise ValueError("mail reaches incidentd over SMTP ([mailbox]), not as a webhook")
        if value not in parsers.REGISTRY:
            raise ValueError(f"unknown type {value!r}; known: {', '.join(webhook_types)}")
        return value

    def parser_options(self) -> dict[str, Any]:
        """The options handed to the parser in `RawInput.options`."""
        return {
            "severity_map": {k: str(v) for k, v in self.severity_map.items()},
            "status_map": {k: str(v) for k, v in self.status_map.items()},
            "fields": dict(self.fields),
            "items": self.items,
            "max_attachment_bytes": self.max_attachment_size,
        }


class ApiToken(BaseModel):
    """`[[api.tokens]]`: a bearer token for the HTTP API and its role."""

    model_config = STRICT

    name: str = Field(min_length=1)
    token: SecretStr
    role: Literal["read", "respond", "admin"] = "read"


class ApiConfig(BaseModel):
    """`[api]`."""

    model_config = STRICT

    tokens: list[ApiToken] = Field(default_factory=list)


class SmtpRelayConfig(BaseModel):
    """`[notify.smtp]`: the relay outgoing mail goes through when backend = "smtp"."""

    model_config = STRICT

    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password: SecretStr | None = None
    timeout: Duration = timedelta(seconds=30)
    ca_file: Path | None = Field(None, description="CA bundle for the relay's certificate")

    @field_validator("ca_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value}: no such file")
        return value


class NotifyConfig(BaseModel):
    """`[notify]`: how outgoing mail leaves."""

    model_config = STRICT

    backend: Literal["maildir", "smtp"] = "maildir"
    sender: str = Field("incidentd <incidentd@localhost>", alias="from")
    maildir: Path | None = Field(None, description="default <data_dir>/mail")
    smtp: SmtpRelayConfig = Field(default_factory=SmtpRelayConfig)
    retry_initial: Duration = timedelta(seconds=30)
    retry_max_interval: Duration = timedelta(hours=1)
    retry_max_age: Duration = timedelta(days=2)
    contact: str = Field("", description="who stakeholders can call or write to; in every mail")
    disclose_recipients: bool = Field(
        False, description="list every recipient in To:; otherwise a mail to several people "
                           "is addressed to an empty group and they do not see each other")
    timezone: TimeZone = Field("UTC", description="times in mails, and of quiet hours")


class CadenceConfig(BaseModel):
    """`[cadence]`: how often stakeholders get a status update, per priority."""

    model_config = STRICT

    p1: Duration = timedelta(minutes=30)
    p2: Duration = timedelta(hours=1)
    p3: Duration = timedelta(hours=4)
    p4: Duration = timedelta(days=1)

    def for_priority(self, priority: int) -> timedelta:
        """The update interval for `priority` (1-4)."""
        value: timedelta = getattr(self, f"p{min(max(priority, 1), 4)}")
        return value


class CorrelateConfig(BaseModel):
    """`[correlate]`: when reports join an existing incident."""

    model_config = STRICT

    group_window: Duration = Field(timedelta(hours=1),
                                   description="a group key joins an open incident this recent")
    auto_resolve: bool = Field(True, description="resolve when all alerts resolved")
    group_by: list[str] = Field(default_factory=list,
                                description="labels forming the group key of webhook alerts")
    join_by_service: bool = Field(False, description="a report joins an open incident of its "
                                                     "service reported within group_window")
    flap_threshold: int = Field(4, ge=0, description="more state changes than this in "
                                                     "flap_window mark an alert flapping; 0: off")
    flap_window: Duration = timedelta(minutes=30)
    flap_settle: Duration = Field(timedelta(minutes=15),
                                  description="a flapping alert unchanged this long settles")


class PipelineConfig(BaseModel):
    """`[pipeline]`: the worker that turns stored intake into incidents."""

    model_config = STRICT

    enabled: bool = Field(True, description="false: intake only, another instance processes")
    poll_interval: Duration = timedelta(seconds=2)


class SchedulerConfig(BaseModel):
    """`[scheduler]`: the periodic ticks."""

    model_config = STRICT

    updates_interval: Duration = timedelta(seconds=30)
    outbox_interval: Duration = timedelta(seconds=5)


DEFAULT_ROOT_CAUSE_CATEGORIES = [
    "change", "configuration", "capacity", "hardware", "software", "network",
    "third party", "security", "human error", "unknown",
]


class LifecycleConfig(BaseModel):
    """`[lifecycle]`: SOP gates, root-cause categories, review reminders."""

    model_config = STRICT

    gated_priorities: list[int] = Field(
        default_factory=lambda: [1, 2],
        description="priorities the SOP gates and review reminders apply to; [] turns them off")
    root_cause_categories: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ROOT_CAUSE_CATEGORIES), min_length=1)
    review_reminders: bool = True
    review_reminder_after: Duration = Field(
        timedelta(days=3), description="remind when a resolved incident has no completed review")
    update_grace: Duration = Field(
        timedelta(minutes=5), description="an update this late still counts as on time")

    @field_validator("gated_priorities")
    @classmethod
    def _priorities(cls, value: list[int]) -> list[int]:
        bad = [p for p in value if p not in (1, 2, 3, 4)]
        if bad:
            raise ValueError(f"priorities are 1 to 4, not {bad}")
        return value

    def gated(self, priority: int | None) -> bool:
        """True when the SOP gates apply to an incident of `priority`."""
        return priority in self.gated_priorities


class TemplatesConfig(BaseModel):
    """`[templates]`: a directory whose files override the shipped templates."""

    model_config = STRICT

    dir: Path | None = None


class Config(BaseModel):
    """The whole configuration file."""

    model_config = STRICT

    server: ServerConfig = Field(default_factory=ServerConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    mailbox: MailboxConfig = Field(default_factory=MailboxConfig)
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    integrations: dict[str, IntegrationConfig] = Field(default_factory=dict)
    api: ApiConfig = Field(default_factory=ApiConfig)
    lists: dict[str, StakeholderList] = Field(default_factory=dict)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    triage: TriageConfig = Field(default_factory=TriageConfig)
    cadence: CadenceConfig = Field(default_factory=CadenceConfig)
    correlate: CorrelateConfig = Field(default_factory=CorrelateConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    templates: TemplatesConfig = Field(default_factory=TemplatesConfig)
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    instructions: InstructionsConfig = Field(default_factory=InstructionsConfig)
    plans: dict[str, PlanConfig] = Field(default_factory=dict, description="response plans")
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Config:
        known = set(self.lists)
        refs: list[tuple[str, str]] = [("triage.default_lists", n)
                                       for n in self.triage.default_lists]
        refs += [(f"integrations.{name}.lists", n)
                 for name, integration in self.integrations.items() for n in integration.lists]
        refs += [("digest.lists", n) for n in self.digest.lists]
        for where, name in refs:
            if name not in known:
                raise ValueError(f"{where}: unknown list {name!r}; define it under [lists]")
        check_references(self.triage, self.plans, self.maintenance, self.lists,
                         self.integrations)
        tokens = [t.token.get_secret_value() for t in self.api.tokens]
        if len(set(tokens)) != len(tokens):
            raise ValueError("api.tokens: two tokens have the same value")
        routing = [i.routing_key.get_secret_value() for i in self.integrations.values()
                   if i.routing_key is not None]
        if len(set(routing)) != len(routing):
            raise ValueError("integrations: two integrations have the same routing_key")
        if self.smtp.proxy_protocol and not self.server.trusted_proxies:
            raise ValueError("smtp.proxy_protocol: name the load balancers that send the "
                             "header in [server] trusted_proxies")
        if self.smtp.max_data_in_memory < self.server.max_message_size:
            raise ValueError("smtp.max_data_in_memory: must be at least [server] "
                             "max_message_size, or the largest mail could never be received")
        return self

    @property
    def database_url(self) -> str:
        """The configured URL, or the SQLite file under the data directory."""
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{self.server.data_dir / 'incidentd.db'}"

    @property
    def maildir_path(self) -> Path:
        """Where the Maildir notifier writes."""
        return self.notify.maildir or self.server.data_dir / "mail"
