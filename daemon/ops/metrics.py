"""Prometheus metrics, one registry per application.

A registry per app (not prometheus_client's global one) because tests start
many apps in one process, and because nothing but the daemon should appear on
its `/metrics`. Event counters are updated where things happen (see
`daemon.ops.instrument`); gauges about the store are read at scrape time.
Every name is listed in the README's Operations section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

from daemon.ops.stats import OUTBOX_STATES, StoreStats

if TYPE_CHECKING:
    from daemon.ops.disk import Space

# What the webhook handler's answer means for the report (DESIGN §4 codes).
WEBHOOK_OUTCOMES = {
    202: "accepted",
    400: "rejected-invalid",
    401: "rejected-auth",
    404: "rejected-unknown-integration",
    413: "rejected-size",
    415: "rejected-type",
    503: "store-failed",
}

LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
DELIVERY_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400)


def _version() -> str:
    try:
        return version("incidentd")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


@dataclass(frozen=True, slots=True)
class HttpSeries:
    """The labelled series one kind of HTTP request updates."""

    requests: Any
    duration: Any
    intake: Any | None  # for webhooks: the intake counter of integration and outcome


class Metrics:
    """Every series the daemon exposes, registered in its own registry."""

    def __init__(self) -> None:
        # The `*_created` series double the output and no alert uses them. The
        # switch is process-wide; the daemon is the only user of the library.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = registry = CollectorRegistry()
        self.build_info = Gauge("incidentd_build_info", "Always 1; the version as a label.",
                                ["version"], registry=registry)
        self.build_info.labels(_version()).set(1)
        self.start_time = Gauge("incidentd_start_time_seconds",
                                "When this process started (Unix time).", registry=registry)
        self.start_time.set_to_current_time()

        # Intake: what senders were answered.
        self.intake = Counter(
            "incidentd_intake", "Reports offered, by source, integration and outcome "
            "(accepted, rejected-auth, rejected-size, rejected-invalid, store-failed, …).",
            ["source", "integration", "outcome"], registry=registry)
        self.smtp_sessions = Counter("incidentd_smtp_sessions",
                                     "SMTP connections accepted.", registry=registry)
        self.smtp_rejections = Counter("incidentd_smtp_rejections",
                                       "SMTP replies with a 4xx/5xx code, by code.", ["code"],
                                       registry=registry)
        self.tls_expiry = Gauge(
            "incidentd_tls_certificate_expiry_timestamp_seconds",
            "When the TLS certificate each listener serves stops being valid (Unix time).",
            ["listener"], registry=registry)
        self.http_requests = Counter("incidentd_http_requests",
                                     "HTTP requests by method, route template and status.",
                                     ["method", "route", "status"], registry=registry)
        self.http_duration = Histogram("incidentd_http_request_duration_seconds",
                                       "Time to answer an HTTP request, by route template.",
                                       ["route"], buckets=HTTP_BUCKETS, registry=registry)

        # Pipeline.
        self.processed = Counter("incidentd_pipeline_processed",
                                 "Intake rows processed, by resulting status.", ["status"],
                                 registry=registry)
        self.pipeline_latency = Histogram(
            "incidentd_pipeline_latency_seconds",
            "From a report's receipt to the end of its processing.",
            buckets=LATENCY_BUCKETS, registry=registry)
        self.backlog = Gauge("incidentd_intake_backlog",
                             "Accepted reports waiting for the pipeline (at scrape time).",
                             registry=registry)
        self.backlog_age = Gauge("incidentd_intake_backlog_oldest_seconds",
                                 "Age of the oldest report waiting for the pipeline (0: none).",
                                 registry=registry)
        self.quarantined = Gauge("incidentd_intake_quarantined",
                                 "Reports kept as quarantined (could not be parsed).",
                                 registry=registry)
        self.incidents_open = Gauge("incidentd_incidents_open", "Open incidents by priority.",
                                    ["priority"], registry=registry)

        # Outbox.
        self.outbox = Gauge("incidentd_outbox_messages",
                            "Outgoing messages by state (pending, sending, failed).", ["state"],
                            registry=registry)
        self.outbox_oldest = Gauge("incidentd_outbox_oldest_pending_seconds",
                                   "Age of the oldest undelivered message (0: none).",
                                   registry=registry)
        self.deliveries = Counter("incidentd_outbox_deliveries",
                                  "Delivery attempts by outcome (sent, temporary-failure, "
                                  "permanent-failure).", ["outcome"], registry=registry)
        self.delivery_latency = Histogram("incidentd_outbox_delivery_latency_seconds",
                                          "From queueing a message to its delivery.",
                                          buckets=DELIVERY_BUCKETS, registry=registry)
        self.send_duration = Histogram("incidentd_outbox_send_duration_seconds",
                                       "Time one delivery attempt took (relay or Maildir).",
                                       buckets=HTTP_BUCKETS, registry=registry)

        # Scheduler, loop, process.
        self.scheduler_lag = Histogram("incidentd_scheduler_lag_seconds",
                                       "How late a periodic job started, by job.", ["job"],
                                       buckets=HTTP_BUCKETS, registry=registry)
        self.loop_lag = Gauge("incidentd_event_loop_lag_seconds",
                              "How late the event loop ran a 0.5 s timer, last measured.",
                              registry=registry)
        self.database_up = Gauge("incidentd_database_up",
                                 "1 when the last scrape could query the database.",
                                 registry=registry)
        self.disk_free = Gauge("incidentd_disk_free_bytes",
                               "Bytes the daemon may still write where it keeps its data.",
                               ["path"], registry=registry)
        # Labelled by file so that nothing is exported for PostgreSQL.
        self.database_size = Gauge("incidentd_database_size_bytes",
                                   "The SQLite database and its write-ahead log.",
                                   ["file"], registry=registry)
        self.reloads = Counter("incidentd_config_reloads",
                               "Configuration reloads by outcome (ok, failed).", ["outcome"],
                               registry=registry)
        self.retention_deleted = Counter("incidentd_retention_removed",
                                         "Rows removed or emptied by retention, by kind.",
                                         ["kind"], registry=registry)
        self.reloads.labels("ok")
        self.reloads.labels("failed")
        self._http_series: dict[tuple[str, str, int, str | None], HttpSeries] = {}

    def http_series(self, method: str, route: str, status: int,
                    integration: str | None) -> HttpSeries:
        """The series of one (method, route template, status[, webhook integration]).

        Looking labelled children up once per combination, not per request,
        keeps metrics off the webhook's hot path; the label values are bounded
        (methods, route templates, configured integrations), and so is this cache.
        """
        key = (method, route, status, integration)
        series = self._http_series.get(key)
        if series is None:
            outcome = WEBHOOK_OUTCOMES.get(status, "rejected" if status < 500 else "error")
            series = HttpSeries(
                self.http_requests.labels(method, route, str(status)),
                self.http_duration.labels(route),
                None if integration is None else self.intake.labels(
                    "webhook", integration, outcome))
            self._http_series[key] = series
        return series

    def update_disk(self, spaces: Sequence[Space], database: tuple[str, int] | None) -> None:
        """Set the free space of each place the daemon writes to, and the SQLite file's size."""
        self.disk_free.clear()
        for space in spaces:
            self.disk_free.labels(str(space.path)).set(space.free)
        self.database_size.clear()
        if database is not None:
            self.database_size.labels(database[0]).set(database[1])

    def update_store(self, stats: StoreStats, now: datetime) -> None:
        """Set the store gauges from a fresh `StoreStats`."""
        self.database_up.set(1)
        self.backlog.set(stats.accepted)
        self.backlog_age.set(_age(stats.oldest_accepted_at, now))
        self.quarantined.set(stats.quarantined)
        self.incidents_open.clear()
        for priority in ("1", "2", "3", "4"):
            self.incidents_open.labels(priority).set(stats.open_by_priority.get(priority, 0))
        if stats.open_by_priority.get("none"):
            self.incidents_open.labels("none").set(stats.open_by_priority["none"])
        for state in OUTBOX_STATES:
            self.outbox.labels(state.value).set(stats.outbox.get(state.value, 0))
        self.outbox_oldest.set(_age(stats.oldest_pending_at, now))


def _age(since: datetime | None, now: datetime) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


METRICS = web.AppKey("metrics", Metrics)
